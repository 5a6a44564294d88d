package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

// boardRequest is a repair request in region for the board's tests.
func boardRequest(id, region, name string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": name, "phone": "13800138000", "address": "广州市天河区体育西路 103 号", "region": region},
		"product":  map[string]any{"model": "WM-7", "spec": "7kg", "colour": "white", "serial": "SN-" + id, "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin <b>loud</b>",
	}
}

// toScheduling creates a request and triages it (a quality fault, no
// parts): it waits to be booked.
func toScheduling(t *testing.T, env *housecalltest.Env, id, region, name string) {
	t.Helper()
	env.Call("callcentre", "POST", "/v1/requests", boardRequest(id, region, name), 201, nil)
	v := env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	if v["status"] != string(sop.StatusScheduling) {
		t.Fatalf("%s after triage: %v", id, v["status"])
	}
}

// boardDay is tomorrow in the service area's zone and a time on it.
func boardDay(env *housecalltest.Env, hour, minute int) (string, time.Time) {
	loc := env.Policy.Location()
	d := time.Now().In(loc).AddDate(0, 0, 1)
	return d.Format("2006-01-02"), time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
}

// webClient is the engineer tests' cookie-jar client (phone: sign-in,
// pages, the session's CSRF token) whose posts follow the redirect to the
// page they land on, and keep a csrf the test set itself.
type webClient struct{ *phone }

func signInHTTP(t *testing.T, env *housecalltest.Env, who string) *webClient {
	t.Helper()
	return &webClient{engSignIn(t, env, who)}
}

func (w *webClient) post(path string, form url.Values) (int, string) {
	w.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", w.csrf)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	res, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The board of a day: engineers as rows with their appointments and the
// travel before each, the requests waiting to be booked (escaped, with
// region, product, symptoms and how long they waited); booking through the
// API with the chosen engineer; the form's errors; a taken slot answered
// as the API answers it; roles and CSRF.
func TestBoardPage(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "south", 30)
	env.AddEngineer("E2", "south", 0)
	env.AddEngineer("N1", "north", 15)
	toScheduling(t, env, "SR-B1", "south", "王芳")
	toScheduling(t, env, "SR-B2", "south", "李雷")
	toScheduling(t, env, "SR-N1", "north", "赵六")
	day, _ := boardDay(env, 10, 0)

	w := signInHTTP(t, env, "callcentre")
	st, page := w.get("/board?day=" + day)
	if st != 200 {
		t.Fatalf("board: %d\n%s", st, page)
	}
	mustContain(t, "the board", page,
		`data-engineer="E1"`, `data-engineer="E2"`, `data-engineer="N1"`, "30 min travel",
		`id="board-unscheduled"`, `data-request="SR-B1"`, `data-request="SR-N1"`, "王芳", "WM-7",
		"drum does not spin &lt;b&gt;loud&lt;/b&gt;", "waiting ", `<line class="hour"`, ">07:00<", ">21:00<",
		`href="/board?day=`)
	if strings.Contains(page, "<b>loud</b>") {
		t.Fatal("customer text not escaped")
	}
	// The region filter.
	_, south := w.get("/board?day=" + day + "&region=south")
	if strings.Contains(south, `data-engineer="N1"`) || strings.Contains(south, `data-request="SR-N1"`) || !strings.Contains(south, `data-request="SR-B1"`) {
		t.Fatal("region filter shows another region")
	}
	if st, _ := w.get("/board?day=tomorrow"); st != 400 {
		t.Fatalf("bad day: %d", st)
	}

	// The form's own errors come back next to the fields, filled in.
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B1"}, "engineer": {"E1"}, "time": {"25:00"}, "minutes": {"60"}})
	if st != 400 {
		t.Fatalf("bad time: %d", st)
	}
	mustContain(t, "bad time", page, `id="err-time"`, "not a time of day", `value="SR-B1"`, `<option value="E1" selected>`)
	st, page = w.post("/board/book", url.Values{"day": {day}, "time": {"10:00"}, "minutes": {"60"}})
	if st != 400 || !strings.Contains(page, `id="err-request"`) {
		t.Fatalf("no request: %d", st)
	}
	// The API's field errors: an engineer id it refuses.
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B1"}, "engineer": {"E 1"}, "time": {"10:00"}, "minutes": {"60"}})
	if st != 400 {
		t.Fatalf("bad engineer: %d\n%s", st, page)
	}
	mustContain(t, "bad engineer", page, `id="err-engineer"`, "not an engineer id")

	// Booked on E1 at 10:00 through the API: on E1's row with its travel.
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B1"}, "engineer": {"E1"}, "time": {"10:00"}, "minutes": {"60"}})
	if st != 200 {
		t.Fatalf("booking: %d\n%s", st, page)
	}
	mustContain(t, "booked", page, `data-kind="booked"`, "Booked: SR-B1 with E1", `class="appt booked rs-scheduled" data-request="SR-B1"`, `<rect class="travel"`)
	v := env.State("SR-B1")
	if v["status"] != "scheduled" || v["engineer"] != "E1" {
		t.Fatalf("SR-B1 after the board's booking: %v %v", v["status"], v["engineer"])
	}
	// The travel block ends where the visit starts: 30 min = 29 units
	// before 10:00 (130 + 3 h × 58).
	block := regexp.MustCompile(`data-request="SR-B1"[^>]*>\s*<title>[^<]*</title>\s*<rect class="travel" x="(\d+)" y="\d+" width="(\d+)"[^>]*/>\s*<rect class="visit" x="(\d+)"`).FindStringSubmatch(page)
	if block == nil || block[1] != "275" || block[2] != "29" || block[3] != "304" {
		t.Fatalf("SR-B1's blocks (travel x, width, visit x): %v", block)
	}
	// No longer waiting.
	if strings.Contains(page, `<li class="waiting" data-request="SR-B1"`) {
		t.Fatal("SR-B1 still waiting after its booking")
	}

	// SR-B2 into E1's taken slot: E1's nearest slot is proposed (E2, free,
	// is not asked).
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B2"}, "engineer": {"E1"}, "time": {"10:30"}, "minutes": {"60"}})
	if st != 200 {
		t.Fatalf("taken slot: %d\n%s", st, page)
	}
	mustContain(t, "taken slot", page, `data-kind="proposed"`, "E1 busy", "with E1", "waits for the customer")
	v = env.State("SR-B2")
	if v["status"] != "awaiting_customer" {
		t.Fatalf("SR-B2: %v", v["status"])
	}
	// An engineer of another region: not booked, with the calendar's reason.
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B2"}, "engineer": {"N1"}, "time": {"13:00"}, "minutes": {"60"}})
	if st != 200 {
		t.Fatalf("other region: %d", st)
	}
	mustContain(t, "other region", page, `data-kind="not_booked"`, "Not booked:", "N1 is not an active engineer of region")
	_, page = w.get("/board?day=" + day)
	mustContain(t, "the waiting list", page, `data-request="SR-B2" data-status="awaiting_customer"`, "proposed to the customer: ")

	// A request that moved on: the API's 409 reason in words, the form
	// filled in.
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-B1"}, "engineer": {"E2"}, "time": {"09:00"}, "minutes": {"60"}})
	// Rebooking a scheduled request on the board moves it (the API takes it).
	if st != 200 {
		t.Fatalf("rebooking SR-B1 on E2: %d", st)
	}
	mustContain(t, "rebooked", page, `data-kind="booked"`, "Booked: SR-B1 with E2")
	env.MustEvent("callcentre", "SR-N1", map[string]any{"type": "cancel", "reason": "customer fixed it"})
	st, page = w.post("/board/book", url.Values{"day": {day}, "request": {"SR-N1"}, "engineer": {"N1"}, "time": {"11:00"}, "minutes": {"60"}})
	if st != 409 {
		t.Fatalf("cancelled request booked: %d", st)
	}
	mustContain(t, "409", page, `data-kind="refused"`, "Refused (409)", "SR-N1", `value="SR-N1"`)

	// The live fragment, roles, CSRF.
	st, frag := w.get("/board/live?day=" + day)
	if st != 200 || strings.Contains(frag, "<html") || !strings.Contains(frag, `id="board-svg"`) {
		t.Fatalf("live fragment: %d", st)
	}
	eng := signInHTTP(t, env, "engineer:E1")
	if st, page := eng.get("/board"); st != 403 || !strings.Contains(page, "/board") {
		t.Fatalf("engineer on the board: %d", st)
	}
	bad := url.Values{"csrf": {"forged"}, "day": {day}, "request": {"SR-B2"}, "engineer": {"E2"}, "time": {"15:00"}, "minutes": {"60"}}
	if st, _ := w.post("/board/book", bad); st != 403 {
		t.Fatalf("forged CSRF: %d", st)
	}
	if v := env.State("SR-B2"); v["status"] != "awaiting_customer" {
		t.Fatalf("a forged form changed SR-B2: %v", v["status"])
	}
}
