package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

// engRequest is an intake whose customer lives in region "east".
func engRequest(id, name string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": name, "phone": "13800138000", "address": "广州市天河区体育西路 103 号", "region": "east"},
		"product":  map[string]any{"model": "WM-7", "spec": "7kg", "colour": "white", "serial": "SN123", "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin",
	}
}

// engScheduled starts a request and books it with E1 at slot (through the
// API, as the call centre does).
func engScheduled(t *testing.T, env *housecalltest.Env, id, name string, slot time.Time) {
	t.Helper()
	env.Call("callcentre", "POST", "/v1/requests", engRequest(id, name), 201, nil)
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": slot, "end": slot.Add(time.Hour)})
	if v["status"] != "scheduled" || v["engineer"] != "E1" {
		t.Fatalf("booking: %v", v)
	}
}

// engSlot is a whole hour tomorrow (UTC), as the e2e tests book.
func engSlot() time.Time { return time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour) }

// phone is a signed-in browser without a browser: a cookie jar.
type phone struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([^"]+)">`)

func engSignIn(t *testing.T, env *housecalltest.Env, who string) *phone {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &phone{t: t, base: env.API.URL, c: &http.Client{Jar: jar}}
	res, err := p.c.PostForm(p.base+"/signin", url.Values{"token": {env.Token(who)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return p
}

func (p *phone) get(path string) (int, string) {
	p.t.Helper()
	return p.getIn(path, "en")
}

// getIn opens a page in a language (Accept-Language).
func (p *phone) getIn(path, lang string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	req.Header.Set("Accept-Language", lang)
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfMeta.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return res.StatusCode, string(b)
}

// post sends a form (with the session's CSRF token) and does not follow
// the redirect.
func (p *phone) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	form.Set("csrf", p.csrf)
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := *p.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func mustContain(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, page)
		}
	}
}

// The engineer's day and job pages through their handlers: the day's job
// with a tel: and a map link and the customer's name escaped; the one next
// step from pending; another engineer refused; forms through the API with
// field errors in place, a 409's reason in words, a double tap as one
// event, and the drawn signature asked for when the customer signed.
func TestEngineerPages(t *testing.T) {
	p := sop.DefaultPolicy()
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E1", "E2"}, Quiet: true})
	env.AddEngineer("E1", "east", 0)
	env.AddEngineer("E2", "east", 0)
	slot := engSlot()
	const id = "SR-ENG-PAGES"
	engScheduled(t, env, id, "李雷 <b>Lei</b>", slot)
	day := slot.In(p.Location()).Format("2006-01-02")

	e1 := engSignIn(t, env, "engineer:E1")
	status, page := e1.get("/engineer?day=" + day)
	if status != 200 {
		t.Fatalf("day: %d %s", status, page)
	}
	mustContain(t, "the day", page,
		`data-request="`+id+`"`, `href="tel:13800138000"`, `href="geo:0,0?q=%e5%b9%bf%e5%b7%9e`,
		"李雷 &lt;b&gt;Lei&lt;/b&gt;", "WM-7", slot.In(p.Location()).Format("15:04"),
		// The job in hand is on the page, its next step a big button:
		// the departure plan is confirmed first (R12.1).
		`id="job-panel"`, `id="primary"`, `data-event="departure_confirmed"`, `href="/static/engineer.css"`)
	if strings.Contains(page, "<b>Lei</b>") {
		t.Fatal("the customer's name is not escaped")
	}
	if _, page := e1.get("/engineer?day=nope"); !strings.Contains(page, "YYYY-MM-DD") {
		t.Fatalf("a bad day: %s", page)
	}

	// Another engineer's job: the API's 403, in words.
	e2 := engSignIn(t, env, "engineer:E2")
	if status, page := e2.get("/engineer/jobs/" + id); status != 403 || !strings.Contains(page, "not assigned to engineer E2") {
		t.Fatalf("E2 on E1's job: %d %s", status, page)
	}
	if status, _, page := e2.post("/engineer/jobs/"+id+"/events", url.Values{"type": {"departed"}, "nonce": {strings.Repeat("a", 32)}}); status != 403 {
		t.Fatalf("E2 departs on E1's job: %d %s", status, page)
	}
	// The call centre may not open the engineer's pages.
	cc := engSignIn(t, env, "callcentre")
	if status, _ := cc.get("/engineer"); status != 403 {
		t.Fatalf("call centre on /engineer: %d", status)
	}

	e1.get("/engineer/jobs/" + id)
	// A stale page acting on a request that moved on: the 409's reason.
	status, _, page = e1.post("/engineer/jobs/"+id+"/events", url.Values{"type": {"card_returned"}, "nonce": {strings.Repeat("b", 32)}})
	if status != 409 || !strings.Contains(page, `id="flash"`) || !strings.Contains(page, "card") {
		t.Fatalf("a card before the visit: %d %s", status, page)
	}
	// Field errors: a number that is not one (the console's words), and
	// one the API refuses (its rule and message), next to the field, the
	// form filled in as sent.
	status, _, page = e1.post("/engineer/jobs/"+id+"/events", url.Values{"type": {"delayed"}, "minutes": {"soon"}, "reason": {"traffic jam"}, "nonce": {strings.Repeat("c", 32)}})
	if status != 400 {
		t.Fatalf("delayed soon: %d", status)
	}
	mustContain(t, "delayed soon", page, "must be a whole number", `value="soon"`, `value="traffic jam"`, `<details id="more" class="eng-more" open>`)
	status, _, page = e1.post("/engineer/jobs/"+id+"/events", url.Values{"type": {"delayed"}, "minutes": {"5000"}, "nonce": {strings.Repeat("d", 32)}})
	if status != 400 {
		t.Fatalf("delayed 5000: %d", status)
	}
	mustContain(t, "delayed 5000", page, "must be 1–1440, got 5000", `value="5000"`)

	// A double tap is one event: the same form's nonce twice.
	form := url.Values{"type": {"departure_confirmed"}, "nonce": {strings.Repeat("e", 32)}}
	for i := range 2 {
		status, loc, page := e1.post("/engineer/jobs/"+id+"/events", form)
		if status != http.StatusSeeOther || loc != "/engineer/jobs/"+id+"?done=departure_confirmed" {
			t.Fatalf("tap %d: %d %s %s", i+1, status, loc, page)
		}
	}
	var n int
	if err := env.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM request_events WHERE request_id = $1 AND type = 'departure_confirmed'`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("departure_confirmed logged %d times (%v)", n, err)
	}
	// Without the key, the same form again is the API's 409.
	form.Set("nonce", strings.Repeat("f", 32))
	if status, _, page := e1.post("/engineer/jobs/"+id+"/events", form); status != 409 || !strings.Contains(page, "already confirmed") {
		t.Fatalf("a second confirmation: %d %s", status, page)
	}

	// The next step is now to depart, with the departure checklist.
	_, page = e1.get("/engineer/jobs/" + id + "?done=departure_confirmed")
	mustContain(t, "after confirming", page, `id="sent"`, `data-event="departed"`, `name="eta"`, `value="spare_covers"`, "R5.1")
	for _, ev := range []map[string]any{{"type": "departed"}, {"type": "arrived"}, {"type": "knocked", "answered": true}, {"type": "diagnosed", "cause": "belt", "onsite": true}} {
		env.MustEvent("engineer:E1", id, ev)
	}
	// Signed by the customer, but nothing drawn: the console asks for the
	// drawing (the API would take it).
	complete := url.Values{"type": {"completed"}, "nonce": {strings.Repeat("1", 32)}, "quality_rating": {"5"}, "attitude_rating": {"4"},
		"satisfied": {"true"}, "signed_by_customer": {"true"}, "fix_certain": {"true"}, "record.cause": {"worn belt"}, "checklist": {"thanked", "card_left"}}
	status, _, page = e1.post("/engineer/jobs/"+id+"/events", complete)
	if status != 400 {
		t.Fatalf("signed without a drawing: %d %s", status, page)
	}
	mustContain(t, "signed without a drawing", page, `id="signature-error"`, "draw the signature", `>worn belt</textarea>`, `value="thanked" checked`)
	if s := env.State(id); s["status"] != "in_service" {
		t.Fatalf("the visit completed without its signature: %v", s["status"])
	}
	// A signature that is not a PNG is the API's 400, next to the pad.
	complete.Set("signature", "data:image/png;base64,bm90IGEgcG5n")
	status, _, page = e1.post("/engineer/jobs/"+id+"/events", complete)
	if status != 400 || !strings.Contains(page, "is not a PNG image") {
		t.Fatalf("a signature that is not a PNG: %d %s", status, page)
	}
	complete.Set("signature", sop.SignaturePrefix+onePixelPNG)
	if status, loc, page := e1.post("/engineer/jobs/"+id+"/events", complete); status != http.StatusSeeOther {
		t.Fatalf("completed: %d %s %s", status, loc, page)
	}
	png, err := env.Store.Signature(t.Context(), id, 1)
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("signature stored: %v %q", err, png)
	}
	// The card comes back next.
	_, page = e1.get("/engineer/jobs/" + id)
	mustContain(t, "after completing", page, `data-event="card_returned"`)
	// In Chinese.
	_, page = e1.getIn("/engineer/jobs/"+id, "zh-CN,zh;q=0.9")
	mustContain(t, "in Chinese", page, "下一步", "已交回服务卡", "致电")
	// The live panel alone.
	status, page = e1.get("/engineer/jobs/" + id + "/panel")
	if status != 200 || strings.Contains(page, "<html") || !strings.Contains(page, `id="job-panel"`) {
		t.Fatalf("panel: %d %s", status, page)
	}
}

const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

// Every checklist item has its label in both languages.
func TestEngineerChecklistLabels(t *testing.T) {
	for _, c := range sop.Checklists {
		for _, it := range c.Items {
			if !console.EngLabel("eng.item." + it.ID) {
				t.Errorf("no label for checklist item %s (%s)", it.ID, c.Rule)
			}
		}
	}
}
