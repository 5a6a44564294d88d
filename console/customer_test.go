package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/notify"
	"github.com/housecall/housecall/sop"
)

// customerRequest starts a request for customer 韩梅梅 (name: as given)
// and books it with E1 at slot (status scheduled).
func customerRequest(t *testing.T, env *housecalltest.Env, id string, slot time.Time, name ...string) {
	t.Helper()
	who := "韩梅梅 <b>"
	if len(name) > 0 {
		who = name[0]
	}
	env.Call("callcentre", "POST", "/v1/requests", map[string]any{
		"id":       id,
		"customer": map[string]any{"name": who, "phone": "13800138001", "address": "上海市浦东新区世纪大道 100 号", "region": "east"},
		"product":  map[string]any{"model": "WM-9", "spec": "9kg", "colour": "white", "serial": "SN-" + id, "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin",
	}, 201, nil)
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": slot, "end": slot.Add(time.Hour)})
	if v["status"] != "scheduled" {
		t.Fatalf("booking %s: %v", id, v)
	}
}

type page struct {
	status int
	body   string
}

func custGet(t *testing.T, u string, hdr ...string) page {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(b)}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func custPost(t *testing.T, u string, form url.Values, hdr ...string) page {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(b)}
}

// The link opens its own request and nothing else; tampered, expired and
// re-pointed links show a page without data; the forms need the link's
// CSRF token and the same origin; the customer's answers go through the
// API as the customer of that request, which may not act on another.
func TestCustomerLinkHandlers(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "east", 0)
	slot := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	customerRequest(t, env, "SR-CUST-1", slot)
	customerRequest(t, env, "SR-CUST-2", slot.Add(2*time.Hour))
	exp := time.Now().Add(time.Hour)
	link := console.CustomerLink(env.API.URL, env.ConsoleSecret, "SR-CUST-1", exp)

	p := custGet(t, link)
	if p.status != 200 {
		t.Fatalf("GET link: %d %s", p.status, p.body)
	}
	for _, want := range []string{"Engineer E1", "Your visit is booked.", "韩梅梅 &lt;b&gt;", `id="cust-confirm"`} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("page lacks %q:\n%s", want, p.body)
		}
	}
	for _, not := range []string{"SR-CUST-2", "SN-SR-CUST-2", "/centre", "13800138001"} {
		if strings.Contains(p.body, not) {
			t.Fatalf("page shows %q", not)
		}
	}
	if zh := custGet(t, link, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"); !strings.Contains(zh.body, "您的上门服务已预约。") {
		t.Fatalf("Chinese page:\n%s", zh.body)
	}

	// Links that do not open: no data on the page.
	tok := strings.TrimPrefix(link, env.API.URL+"/c/")
	parts := strings.Split(tok, ".")
	other := console.CustomerToken(env.ConsoleSecret, "SR-CUST-2", exp)
	wrongKey := console.CustomerToken([]byte("another-secret-another-secret-0123456789"), "SR-CUST-1", exp)
	flip := []byte(parts[2])
	if flip[0] == 'A' {
		flip[0] = 'B'
	} else {
		flip[0] = 'A'
	}
	for name, c := range map[string]struct {
		tok    string
		status int
	}{
		"tampered signature":       {parts[0] + "." + parts[1] + "." + string(flip), 403},
		"other request's id":       {strings.Split(other, ".")[0] + "." + parts[1] + "." + parts[2], 403},
		"later expiry":             {parts[0] + "." + "9999999999" + "." + parts[2], 403},
		"signed with another key":  {wrongKey, 403},
		"expired":                  {console.CustomerToken(env.ConsoleSecret, "SR-CUST-1", time.Now().Add(-time.Minute)), 410},
		"garbage":                  {"not-a-token", 403},
		"unknown request (signed)": {console.CustomerToken(env.ConsoleSecret, "SR-NOPE", exp), 404},
	} {
		p := custGet(t, env.API.URL+"/c/"+c.tok)
		if p.status != c.status || !strings.Contains(p.body, `id="customer-invalid"`) {
			t.Fatalf("%s: %d\n%s", name, p.status, p.body)
		}
		for _, not := range []string{"韩梅梅", "Engineer E1", "SR-CUST", "csrf"} {
			if strings.Contains(p.body, not) {
				t.Fatalf("%s: the page shows %q", name, not)
			}
		}
		// Its forms refuse too, before anything is sent.
		// (a well-signed link of an unknown request fails the CSRF check first)
		if p := custPost(t, env.API.URL+"/c/"+c.tok+"/confirm", url.Values{"csrf": {"x"}}); p.status != c.status && !(c.status == 404 && p.status == 403) {
			t.Fatalf("%s: POST %d", name, p.status)
		}
	}

	// CSRF: the link's own token, and the same origin.
	m := csrfField.FindStringSubmatch(custGet(t, link).body)
	if m == nil {
		t.Fatal("no csrf field")
	}
	if p := custPost(t, link+"/confirm", url.Values{}); p.status != 403 {
		t.Fatalf("POST without CSRF: %d", p.status)
	}
	otherCSRF := csrfField.FindStringSubmatch(custGet(t, env.API.URL+"/c/"+other).body)
	if p := custPost(t, link+"/confirm", url.Values{"csrf": {otherCSRF[1]}}); p.status != 403 {
		t.Fatalf("POST with another link's CSRF token: %d", p.status)
	}
	if p := custPost(t, link+"/confirm", url.Values{"csrf": {m[1]}}, "Origin", "https://evil.example"); p.status != 403 {
		t.Fatalf("cross-site POST: %d", p.status)
	}
	if kinds := env.Kinds("SR-CUST-1"); strings.Contains(strings.Join(kinds, ","), "customer_contact") {
		t.Fatalf("a refused form acted: %v", kinds)
	}

	// Confirm: through the API as the customer; a second time is the 409's reason.
	if p := custPost(t, link+"/confirm", url.Values{"csrf": {m[1]}, "id": {"SR-CUST-2"}}); p.status != 303 {
		t.Fatalf("confirm: %d %s", p.status, p.body)
	}
	p = custGet(t, link+"?done=confirmed")
	if !strings.Contains(p.body, `id="cust-confirmed"`) || strings.Contains(p.body, `id="cust-confirm"`) {
		t.Fatalf("after confirming:\n%s", p.body)
	}
	if st := env.State("SR-CUST-1"); st["appointment_confirmed"] != true {
		t.Fatalf("state %v", st)
	}
	if st := env.State("SR-CUST-2"); st["appointment_confirmed"] == true {
		t.Fatal("the form's id reached another request")
	}
	if p := custPost(t, link+"/confirm", url.Values{"csrf": {m[1]}}); p.status != 409 || !strings.Contains(p.body, "already confirmed") {
		t.Fatalf("confirm again: %d %s", p.status, p.body)
	}

	// Another time: the reason is required (the form comes back filled in);
	// then the centre is told and the request waits for a new booking.
	day := slot.Add(24 * time.Hour).In(env.Policy.Location()).Format("2006-01-02")
	p = custPost(t, link+"/reschedule", url.Values{"csrf": {m[1]}, "date": {day}, "from": {"10:00"}, "to": {"12:00"}})
	if p.status != 400 || !strings.Contains(p.body, `data-field="reason"`) || !strings.Contains(p.body, `value="`+day+`"`) {
		t.Fatalf("reschedule without a reason: %d\n%s", p.status, p.body)
	}
	p = custPost(t, link+"/reschedule", url.Values{"csrf": {m[1]}, "reason": {"我那天要上班"}, "date": {day}, "from": {"12:00"}, "to": {"10:00"}})
	if p.status != 400 || !strings.Contains(p.body, `data-field="end"`) || !strings.Contains(p.body, "我那天要上班") {
		t.Fatalf("reschedule with end before start: %d\n%s", p.status, p.body)
	}
	if p := custPost(t, link+"/reschedule", url.Values{"csrf": {m[1]}, "reason": {"我那天要上班"}, "date": {day}, "from": {"10:00"}, "to": {"12:00"}}); p.status != 303 {
		t.Fatalf("reschedule: %d %s", p.status, p.body)
	}
	st := env.State("SR-CUST-1")
	waits := false
	for _, x := range st["pending"].([]any) {
		waits = waits || x.(map[string]any)["event"] == "appointment_requested"
	}
	if !waits || st["reschedule"] == nil {
		t.Fatalf("after the request for another time: %v", st)
	}
	var ns struct {
		Notifications []struct {
			Audience string            `json:"audience"`
			Message  string            `json:"message"`
			Params   map[string]string `json:"params"`
		} `json:"notifications"`
	}
	env.Call("callcentre", "GET", "/v1/requests/SR-CUST-1/notifications", nil, 200, &ns)
	told := false
	for _, n := range ns.Notifications {
		told = told || n.Audience == "centre" && strings.Contains(n.Params["what"], "我那天要上班")
	}
	if !told {
		t.Fatalf("the centre was not told: %+v", ns)
	}
	if p := custGet(t, link); !strings.Contains(p.body, `id="cust-reschedule"`) {
		t.Fatalf("page after the request:\n%s", p.body)
	}

	// A proposed slot (the time asked for was taken, R4.1): the customer
	// accepts it from the link, and it is booked.
	env.Call("callcentre", "POST", "/v1/requests", map[string]any{
		"id":       "SR-CUST-3",
		"customer": map[string]any{"name": "李雷", "phone": "13800138002", "address": "上海市浦东新区世纪大道 200 号", "region": "east"},
		"product":  map[string]any{"model": "WM-9", "spec": "9kg", "colour": "white", "serial": "SN-3", "purchase_date": "2026-01-15"},
		"symptoms": "noisy",
	}, 201, nil)
	env.MustEvent("callcentre", "SR-CUST-3", map[string]any{"type": "triaged", "category": "quality"})
	busy := slot.Add(2 * time.Hour) // SR-CUST-2's slot with the only engineer
	if v := env.MustEvent("callcentre", "SR-CUST-3", map[string]any{"type": "appointment_requested", "start": busy, "end": busy.Add(time.Hour)}); v["status"] != "awaiting_customer" {
		t.Fatalf("conflicting booking: %v", v)
	}
	link3 := console.CustomerLink(env.API.URL, env.ConsoleSecret, "SR-CUST-3", exp)
	p = custGet(t, link3)
	if !strings.Contains(p.body, `id="cust-proposed"`) || !strings.Contains(p.body, "Accept this time") {
		t.Fatalf("proposal page:\n%s", p.body)
	}
	m3 := csrfField.FindStringSubmatch(p.body)
	if p := custPost(t, link3+"/confirm", url.Values{"csrf": {m3[1]}}); p.status != 303 {
		t.Fatalf("accept: %d %s", p.status, p.body)
	}
	if st := env.State("SR-CUST-3"); st["status"] != "scheduled" {
		t.Fatalf("after accepting the proposal: %v", st)
	}
	if p := custGet(t, link3+"?done=accepted"); !strings.Contains(p.body, `id="cust-appointment"`) || !strings.Contains(p.body, "the proposed time is booked") {
		t.Fatalf("after accepting:\n%s", p.body)
	}
	// Satisfaction before any visit: the 409's reason, in words.
	if p := custPost(t, link3+"/satisfaction", url.Values{"csrf": {m3[1]}, "satisfied": {"yes"}}); p.status != 409 || !strings.Contains(p.body, "no visit to confirm") {
		t.Fatalf("satisfaction before the visit: %d %s", p.status, p.body)
	}

	// The API: the customer of SR-CUST-1 may not act on SR-CUST-2, and an
	// engineer may not send the customer's events as the customer.
	cust := sop.Actor{Role: sop.RoleCustomer, Subject: "SR-CUST-1"}
	status, body := env.Starter.Call(context.Background(), cust, "POST", "/v1/requests/SR-CUST-2/events", []byte(`{"type":"appointment_confirmed"}`), nil)
	if status != 403 || !strings.Contains(string(body), "may not act on request SR-CUST-2") {
		t.Fatalf("customer on another request: %d %s", status, body)
	}
	status, _ = env.Starter.Call(context.Background(), cust, "GET", "/v1/requests/SR-CUST-1", nil, nil)
	if status != 403 {
		t.Fatalf("customer reads the API's state: %d", status)
	}
	if r := env.Event("engineer:E1", "SR-CUST-2", map[string]any{"type": "appointment_confirmed"}); r.Status != 403 {
		t.Fatalf("engineer sends appointment_confirmed: %d", r.Status)
	}
}

// A notification to the customer carries their link (webhook body "link"),
// which opens their page; a notification to the centre carries none.
func TestCustomerNotificationCarriesTheLink(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "east", 0)
	var mu sync.Mutex
	var bodies []map[string]any
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer gw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &notify.Dispatcher{Store: env.Store, Notifier: &notify.WebhookNotifier{URL: gw.URL}, PollInterval: 100 * time.Millisecond,
		Link: console.CustomerLinks(env.API.URL, env.ConsoleSecret, time.Hour, nil)}
	go func() { _ = d.Run(ctx) }()

	slot := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	customerRequest(t, env, "SR-CUST-N", slot)
	// The customer asks for another time: the centre is notified.
	env.Starter.Call(ctx, sop.Actor{Role: sop.RoleCustomer, Subject: "SR-CUST-N"}, "POST", "/v1/requests/SR-CUST-N/events",
		[]byte(`{"type":"reschedule_requested","reason":"away"}`), nil)
	var cust, centre map[string]any
	env.Eventually(20*time.Second, "a customer's and a centre's notification delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, b := range bodies {
			switch b["audience"] {
			case "customer":
				cust = b
			case "centre":
				centre = b
			}
		}
		return cust != nil && centre != nil
	})
	if _, has := centre["link"]; has {
		t.Fatalf("a centre notification carries a link: %v", centre)
	}
	link, _ := cust["link"].(string)
	if !strings.HasPrefix(link, env.API.URL+"/c/") {
		t.Fatalf("customer notification link %q", link)
	}
	if p := custGet(t, link); p.status != 200 || !strings.Contains(p.body, `id="customer"`) || !strings.Contains(p.body, "Engineer E1") {
		t.Fatalf("the link opens %d\n%s", p.status, p.body)
	}
}
