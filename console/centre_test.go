package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// consoleClient is a signed-in session of the console (cookies, CSRF).
type consoleClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func signIn(t *testing.T, env *housecalltest.Env, who string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: t, base: env.API.URL, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	st, _, _ := c.post("/signin", url.Values{"token": {env.Token(who)}})
	if st != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", who, st)
	}
	_, body := c.get("/centre")
	m := regexp.MustCompile(`<meta name="csrf" content="([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on /centre: %s", body)
	}
	c.csrf = html.UnescapeString(m[1])
	return c
}

func (c *consoleClient) get(path string) (int, string) {
	c.t.Helper()
	res, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// post sends a form (with the CSRF token once signed in) and returns the
// status, the body and the redirect's target.
func (c *consoleClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	if c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	res, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

func requestBody(id, name, phone, region, serial string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": name, "phone": phone, "address": "广州市天河区体育西路 103 号", "region": region},
		"product":  map[string]any{"model": "WM-7", "spec": "7kg", "colour": "white", "serial": serial, "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin",
	}
}

// rowIDs are the request ids of the queue's rows in a page.
func rowIDs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr id="row-([^"]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func rowHTML(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<tr id="row-`+id+`"`)
	if i < 0 {
		t.Fatalf("no row %s", id)
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The queue: filters (status, region, engineer, overdue) and search (id,
// phone, serial) from PostgreSQL; overdue rows stand out: a verification
// whose R1.2 deadline fired, a complaint whose answer clock (R11.1) ran
// out; one row alone for the live page.
func TestCentreQueueFiltersSearchOverdue(t *testing.T) {
	p := sop.DefaultPolicy()
	p.VerifyTimeout = sop.D(2 * time.Second)
	p.ComplaintResponse = sop.D(2 * time.Second)
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Policy: &p, Quiet: true})
	env.AddEngineer("E1", "north", 20)

	// N: complete data, north; S: complete, south; V: no address (verifying).
	env.Call("callcentre", "POST", "/v1/requests", requestBody("SR-Q-N", "North Customer", "13800000001", "north", "SN-N1"), 201, nil)
	env.Call("callcentre", "POST", "/v1/requests", requestBody("SR-Q-S", "South Customer", "13800000002", "south", "SN-S1"), 201, nil)
	v := requestBody("SR-Q-V", "Verify Customer", "13800000003", "south", "SN-V1")
	v["customer"].(map[string]any)["address"] = ""
	env.Call("callcentre", "POST", "/v1/requests", v, 201, nil)
	c := signIn(t, env, "callcentre")

	q := func(query string) []string {
		t.Helper()
		st, body := c.get("/centre?" + query)
		if st != 200 {
			t.Fatalf("/centre?%s: %d %s", query, st, body)
		}
		return rowIDs(body)
	}
	all := []string{"SR-Q-N", "SR-Q-S", "SR-Q-V"}
	// The rows are written by each request's first step (an activity):
	// under load that can come after the API's answer.
	env.Eventually(10*time.Second, "the three requests in PostgreSQL", func() bool { return sameSet(q(""), all) })
	for query, want := range map[string][]string{
		"region=north":          {"SR-Q-N"},
		"region=south":          {"SR-Q-S", "SR-Q-V"},
		"status=verifying":      {"SR-Q-V"},
		"status=triage":         {"SR-Q-N", "SR-Q-S"},
		"status=closed":         nil,
		"q=13800000002":         {"SR-Q-S"},
		"q=SN-V1":               {"SR-Q-V"},
		"q=SR-Q-N":              {"SR-Q-N"},
		"q=nothing":             nil,
		"region=south&q=SN-N1":  nil,
		"engineer=E1":           nil,
		"status=triage&q=SN-S1": {"SR-Q-S"},
	} {
		if got := q(query); !sameSet(got, want) {
			t.Errorf("/centre?%s: %v, want %v", query, got, want)
		}
	}

	// The queue shows what each waits for and by when.
	_, body := c.get("/centre")
	vr := rowHTML(t, body, "SR-Q-V")
	if !strings.Contains(vr, `data-event="info_verified"`) || !strings.Contains(vr, `data-clock="verify_timeout"`) || !strings.Contains(vr, `class="countdown`) || !strings.Contains(vr, "R1.2") {
		t.Fatalf("row of a request in verification: %s", vr)
	}
	if strings.Contains(vr, `class="overdue"`) {
		t.Fatalf("a running verification clock is overdue already: %s", vr)
	}

	// A complaint on N; then both deadlines run out: the verification is
	// escalated (its clock gone, info_verified still awaited), the
	// complaint's 12 h (here 2 s) clock fires.
	env.MustEvent("callcentre", "SR-Q-N", map[string]any{"type": "complaint", "text": "nobody called back"})
	env.Eventually(20*time.Second, "the verification and complaint deadlines fire", func() bool {
		return sameSet(q("overdue=1"), []string{"SR-Q-V", "SR-Q-N"})
	})
	if got := q("overdue=1&region=south"); !sameSet(got, []string{"SR-Q-V"}) {
		t.Fatalf("overdue in the south: %v", got)
	}
	_, body = c.get("/centre")
	for _, id := range []string{"SR-Q-V", "SR-Q-N"} {
		if r := rowHTML(t, body, id); !strings.Contains(r, `class="overdue"`) || !strings.Contains(r, `wait late`) {
			t.Fatalf("overdue row %s does not stand out: %s", id, r)
		}
	}
	if r := rowHTML(t, body, "SR-Q-S"); strings.Contains(r, `class="overdue"`) {
		t.Fatalf("S is not overdue: %s", r)
	}
	// The store says the same.
	rows, err := env.Store.Queue(context.Background(), store.QueueFilter{Overdue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !rows[0].Overdue || !rows[1].Overdue {
		t.Fatalf("store overdue: %+v", rows)
	}

	// One row for the live page, with the page's filters: 204 when it
	// does not pass them.
	st, one := c.get("/centre/rows/SR-Q-S")
	if st != 200 || !strings.HasPrefix(strings.TrimSpace(one), `<tr id="row-SR-Q-S"`) || strings.Count(one, "<tr") != 1 {
		t.Fatalf("row fragment: %d %s", st, one)
	}
	if st, _ := c.get("/centre/rows/SR-Q-S?region=north"); st != http.StatusNoContent {
		t.Fatalf("row outside the filter: %d", st)
	}
	if st, _ := c.get("/centre/rows/SR-NOPE"); st != http.StatusNoContent {
		t.Fatalf("unknown row: %d", st)
	}
	st, all2 := c.get("/centre/rows?overdue=1")
	if st != 200 || !sameSet(rowIDs(all2), []string{"SR-Q-V", "SR-Q-N"}) {
		t.Fatalf("rows fragment: %d %v", st, rowIDs(all2))
	}
	// Labels in Chinese.
	req, _ := http.NewRequest("GET", env.API.URL+"/centre", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(zb), "呼叫中心服务单") || !strings.Contains(string(zb), "核实资料") {
		t.Fatalf("Chinese queue: %s", zb)
	}
}

// The intake form: the API's field errors next to the fields with the form
// filled in; a double submit (same id drawn with the form) starts one
// request (R1.3); a missing phone is not refused but verified (R1.2).
func TestCentreIntake(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Quiet: true})
	c := signIn(t, env, "callcentre")

	st, page := c.get("/centre/new")
	m := regexp.MustCompile(`name="id" value="(SR-[^"]+)"`).FindStringSubmatch(page)
	if st != 200 || m == nil {
		t.Fatalf("intake form: %d %s", st, page)
	}
	id := m[1]
	form := url.Values{"id": {id}, "kind": {"repair"}, "customer.name": {"王<b>芳</b>"}, "customer.phone": {"13900001111"},
		"customer.address": {"深圳市南山区 1 号"}, "customer.region": {"south"}, "product.model": {"RF-2"},
		"product.serial": {"SN-INTAKE"}, "product.purchase_date": {"1800-01-01"}, "symptoms": {"no cooling"},
		"preferred.start": {"2026-13-40T10:00"}}
	st, body, _ := c.post("/centre/new", form)
	if st != http.StatusBadRequest {
		t.Fatalf("implausible date: %d %s", st, body)
	}
	// The field's reason next to it, the entered values kept (escaped).
	if !regexp.MustCompile(`(?s)name="product.purchase_date" value="1800-01-01"[^>]*aria-invalid="true"[^>]*>\s*<p class="field-error" id="in-product-purchase_date-error">[^<]*not a plausible date`).MatchString(body) &&
		!strings.Contains(body, `id="in-preferred-start-error"`) {
		t.Fatalf("field errors not next to the fields: %s", body)
	}
	if !strings.Contains(body, `value="王&lt;b&gt;芳&lt;/b&gt;"`) || !strings.Contains(body, `value="`+id+`"`) || !strings.Contains(body, "no cooling</textarea>") {
		t.Fatalf("form not filled in again: %s", body)
	}
	// The console's own reading of the time comes first; then the API's.
	form.Del("preferred.start")
	st, body, _ = c.post("/centre/new", form)
	if st != http.StatusBadRequest || !strings.Contains(body, `id="in-product-purchase_date-error"`) || !strings.Contains(body, "not a plausible date") {
		t.Fatalf("API's field error: %d %s", st, body)
	}
	if rows, _ := env.Store.ListRequests(context.Background(), store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("a refused form started a request: %v", rows)
	}

	// Fixed and sent twice (a double click): one request, both land on it.
	form.Set("product.purchase_date", "2026-01-15")
	for i := 0; i < 2; i++ {
		st, body, loc := c.post("/centre/new", form)
		if st != http.StatusSeeOther || loc != "/centre/requests/"+id {
			t.Fatalf("submit %d: %d %s %s", i, st, loc, body)
		}
	}
	if n := housecalltest.Count(env.Kinds(id), "request_started"); n != 1 {
		t.Fatalf("request_started %d times", n)
	}
	rows, _ := env.Store.ListRequests(context.Background(), store.RequestFilter{})
	if len(rows) != 1 || rows[0].Customer.Name != "王<b>芳</b>" {
		t.Fatalf("requests: %+v", rows)
	}
	st, body = c.get("/centre/requests/" + id)
	if st != 200 || !strings.Contains(body, "王&lt;b&gt;芳&lt;/b&gt;") || !strings.Contains(body, "SN-INTAKE") {
		t.Fatalf("request page: %d %s", st, body)
	}

	// A missing phone: the API starts the request in verification (R1.2);
	// its page lists what to verify.
	_, page = c.get("/centre/new")
	id2 := regexp.MustCompile(`name="id" value="(SR-[^"]+)"`).FindStringSubmatch(page)[1]
	if id2 == id {
		t.Fatal("the form drew the same id twice")
	}
	form.Set("id", id2)
	form.Del("customer.phone")
	if st, body, loc := c.post("/centre/new", form); st != http.StatusSeeOther {
		t.Fatalf("missing phone: %d %s %s", st, loc, body)
	}
	_, body = c.get("/centre/requests/" + id2)
	if !strings.Contains(body, `id="problems"`) || !strings.Contains(body, "customer.phone") || !strings.Contains(body, `data-type="info_verified"`) {
		t.Fatalf("verification page: %s", body)
	}
}

// actionTypes are the event forms of a request's page.
func actionTypes(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<details class="action" data-type="([a-z_]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// A request's page: its clocks with their rules, its timeline, the actions
// valid now (the pending events the call centre may send, a complaint,
// cancel); an event sent through a form; a stale form's 409 reason; 400
// reasons next to the fields; a double submit is one event.
func TestCentreRequestActions(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "south", 20)
	env.Call("callcentre", "POST", "/v1/requests", requestBody("SR-A-1", "Li Lei", "13800138000", "south", "SN-A1"), 201, nil)
	c := signIn(t, env, "callcentre")

	wantActions := func(body string) {
		t.Helper()
		var want []string
		st := env.State("SR-A-1")
		for _, p := range st["pending"].([]any) {
			if ev, _ := p.(map[string]any)["event"].(string); ev != "" && sop.EventType(ev).Allows(sop.RoleCallCentre) && !slices.Contains(want, ev) {
				want = append(want, ev)
			}
		}
		for _, ev := range []string{"complaint", "cancel"} {
			if !slices.Contains(want, ev) {
				want = append(want, ev)
			}
		}
		if got := actionTypes(body); !sameSet(got, want) {
			t.Fatalf("actions %v, want %v (state %v)", got, want, st["pending"])
		}
	}
	// The page's timeline is PostgreSQL's: wait for the first step's commit.
	env.Eventually(10*time.Second, "the first step of SR-A-1 in PostgreSQL", func() bool {
		tl, err := env.Store.Timeline(t.Context(), "SR-A-1")
		return err == nil && len(tl) > 0
	})
	st, body := c.get("/centre/requests/SR-A-1")
	if st != 200 {
		t.Fatalf("page: %d %s", st, body)
	}
	wantActions(body)
	if !slices.Contains(actionTypes(body), "triaged") || slices.Contains(actionTypes(body), "departed") {
		t.Fatalf("actions in triage: %v", actionTypes(body))
	}
	if !strings.Contains(body, `data-kind="request_started"`) || !strings.Contains(body, `data-status="triage"`) {
		t.Fatalf("timeline / status: %s", body)
	}
	nonce := func(body, typ string) string {
		m := regexp.MustCompile(`(?s)id="form-` + typ + `".*?name="nonce" value="([0-9a-f]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no form %s", typ)
		}
		return m[1]
	}

	// 400: no category; the reason next to the field, the rest kept.
	n := nonce(body, "triaged")
	st, body, _ = c.post("/centre/requests/SR-A-1/events", url.Values{"type": {"triaged"}, "nonce": {n}, "parts": {"belt"}, "note": {"kept note"}})
	if st != 400 || !strings.Contains(body, `id="triaged-category-error"`) || !strings.Contains(body, "required") || !strings.Contains(body, `value="kept note"`) || !strings.Contains(body, `value="belt"`) {
		t.Fatalf("400 triaged: %d %s", st, body)
	}

	// Sent: quality, repairable on site → the request moves on.
	stale := nonce(body, "triaged")
	st, _, loc := c.post("/centre/requests/SR-A-1/events", url.Values{"type": {"triaged"}, "nonce": {stale}, "category": {"quality"}, "onsite_repairable": {"true"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/centre/requests/SR-A-1") {
		t.Fatalf("triaged: %d %s", st, loc)
	}
	_, body = c.get(loc)
	if strings.Contains(body, `data-status="triage"`) || !strings.Contains(body, `data-kind="triaged"`) {
		t.Fatalf("after triage: %s", body)
	}
	wantActions(body)
	if slices.Contains(actionTypes(body), "triaged") {
		t.Fatalf("triaged still offered: %v", actionTypes(body))
	}

	// The stale form sent again with a new nonce: 409 with the reason in
	// words at the top, the form back filled in.
	st, body, _ = c.post("/centre/requests/SR-A-1/events", url.Values{"type": {"triaged"}, "nonce": {"fresh-nonce-1"}, "category": {"misuse"}, "note": {"stale page"}})
	if st != http.StatusConflict || !strings.Contains(body, `id="page-error-reason"`) {
		t.Fatalf("stale form: %d %s", st, body)
	}
	reason := regexp.MustCompile(`id="page-error-reason">([^<]+)<`).FindStringSubmatch(body)
	if reason == nil || !strings.Contains(reason[1], "wait") && !strings.Contains(reason[1], "not") {
		t.Fatalf("409 reason: %v", reason)
	}
	t.Logf("409 reason shown: %s", html.UnescapeString(reason[1]))
	if !strings.Contains(body, `value="stale page"`) || !regexp.MustCompile(`<option value="misuse" selected>`).MatchString(body) {
		t.Fatalf("stale form not filled in: %s", body)
	}

	// A complaint sent twice with the same nonce (a double submit): one.
	form := url.Values{"type": {"complaint"}, "nonce": {"double-submit-1"}, "text": {"the engineer was rude"}}
	for i := 0; i < 2; i++ {
		if st, body, _ := c.post("/centre/requests/SR-A-1/events", form); st != http.StatusSeeOther {
			t.Fatalf("complaint %d: %d %s", i, st, body)
		}
	}
	if n := housecalltest.Count(env.Kinds("SR-A-1"), "complaint"); n != 1 {
		t.Fatalf("%d complaints", n)
	}
	_, body = c.get("/centre/requests/SR-A-1")
	wantActions(body)
	if !slices.Contains(actionTypes(body), "complaint_answered") || !strings.Contains(body, `data-clock="complaint_due"`) || !strings.Contains(body, "R11.1") {
		t.Fatalf("complaint's clock and answer: %v", actionTypes(body))
	}
	// The notifications sent so far are listed.
	if !strings.Contains(body, `id="notifications"`) {
		t.Fatalf("no notifications: %s", body)
	}
}
