package console_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/console/browsertest"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

func auditRequestBody(id string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": "韩梅梅 <b>", "phone": "13900139000", "address": "", "region": "east"},
		"product":  map[string]any{"model": "WM-7", "spec": "7kg", "colour": "white", "serial": "SN-AUDIT-1", "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin", "customer_requests": "visit on a weekday",
	}
}

// startBreachedRequest drives a request whose verification came after
// sop.verify_timeout (R1.2 breached), then triaged and booked; with visit,
// engineer E-1 fixes it at the first visit, the customer satisfied (closed;
// the policy must let the door be knocked early: sop.door_early).
func startBreachedRequest(t *testing.T, env *housecalltest.Env, id string, visit bool) {
	t.Helper()
	env.Call("callcentre", "POST", "/v1/requests", auditRequestBody(id), 201, nil)
	env.Eventually(20*time.Second, "the verification escalated after sop.verify_timeout", func() bool {
		return housecalltest.Count(env.Kinds(id), "escalated") > 0
	})
	env.MustEvent("callcentre", id, map[string]any{"type": "info_verified", "customer": map[string]any{"address": "广州市天河区体育西路 103 号"}})
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	tomorrow := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": tomorrow, "end": tomorrow.Add(time.Hour)})
	if v["status"] != "scheduled" {
		t.Fatalf("booking: %v", v)
	}
	if !visit {
		return
	}
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "departed"})
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "arrived"})
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "knocked", "answered": true})
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "diagnosed", "cause": "worn belt", "onsite": true})
	v = env.MustEvent("engineer:E-1", id, map[string]any{"type": "completed", "quality_rating": 5, "attitude_rating": 5,
		"satisfied": true, "signed_by_customer": true, "fix_certain": true, "record": map[string]any{"cause": "worn belt", "measures": "replaced belt"}})
	if v["status"] != "closed" {
		t.Fatalf("after the visit: %v", v)
	}
}

// The auditor finds a request, reads its timeline with the rules and the
// breached verdict first, replays its history from a button, sees it in
// the compliance table and the CSV, and opens the KPIs' charts.
func TestAuditBrowser(t *testing.T) {
	p := sop.DefaultPolicy()
	p.VerifyTimeout = sop.D(time.Second)
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1"}, Quiet: true})
	env.AddEngineer("E-1", "east", 0)
	const id = "SR-AUDIT-1"
	startBreachedRequest(t, env, id, true)

	b := browsertest.New(t, env.API.URL, browsertest.DesktopWidth, browsertest.DesktopHeight)
	b.SignIn(env.Token("auditor"))
	if loc := b.Location(); !strings.HasSuffix(loc, "/audit") {
		t.Fatalf("auditor landed on %s", loc)
	}
	// Find it by the product's serial: one match opens its audit page.
	b.Fill("#q", "SN-AUDIT-1")
	b.ClickAndLoad("#audit-find")
	if loc := b.Location(); !strings.HasSuffix(loc, "/audit/requests/"+id) {
		t.Fatalf("search by serial went to %s", loc)
	}
	// The timeline, each entry with its rule.
	if !b.Exists(`tr.entry[data-kind="escalated"][data-rule="R1.2"]`) || !b.Exists(`tr.entry[data-kind="appointment_booked"][data-rule]`) {
		t.Fatal("the timeline lacks the escalation of R1.2 or the booking")
	}
	// Breaches first, R1.2 among them, with its evidence.
	first := browsertest.Eval[string](b, `document.querySelector("#verdicts tr.verdict").dataset.status`)
	if first != "breached" {
		t.Fatalf("first verdict is %q, want breached", first)
	}
	if ev := b.Text(`tr.verdict[data-rule="R1.2"][data-status="breached"] td:last-child`); !strings.Contains(ev, "limit") {
		t.Fatalf("R1.2 evidence %q", ev)
	}
	lastBreach := browsertest.Eval[int](b, `[...document.querySelectorAll("#verdicts tr.verdict")].map(r => r.dataset.status).lastIndexOf("breached")`)
	firstOther := browsertest.Eval[int](b, `[...document.querySelectorAll("#verdicts tr.verdict")].map(r => r.dataset.status).findIndex(s => s !== "breached")`)
	if firstOther >= 0 && firstOther < lastBreach {
		t.Fatalf("a verdict other than breached (row %d) before a breach (row %d)", firstOther, lastBreach)
	}
	// Customer-entered text is shown exactly.
	if txt := b.Text("#audit-head dl"); !strings.Contains(txt, "韩梅梅 <b>") {
		t.Fatalf("customer name shown as %q", txt)
	}
	href := browsertest.Eval[string](b, `document.querySelector("#temporal-link").getAttribute("href")`)
	if want := housecalltest.UIOrigin + "/namespaces/" + env.Server.GetDefaultNamespace() + "/workflows/" + id; href != want {
		t.Fatalf("Temporal UI link %q, want %q", href, want)
	}
	b.Screenshot("audit")

	// Replay verification from the button.
	b.ClickAndLoad("#verify")
	if msg := b.Text("#replay-result"); !strings.Contains(msg, "replays cleanly") {
		t.Fatalf("replay: %q", msg)
	}
	// PostgreSQL against the history.
	b.ClickAndLoad("#check")
	if msg := b.Text("#check-result"); !strings.Contains(msg, "agrees") {
		t.Fatalf("check: %q", msg)
	}

	// The compliance table for today counts it.
	today := time.Now().In(p.Location()).Format("2006-01-02")
	b.Go("/audit?from=" + today + "&to=" + today)
	if cov := b.Text("#coverage"); !strings.Contains(cov, "1 of 1 requests judged") {
		t.Fatalf("coverage %q", cov)
	}
	if n := b.Text(`#compliance-table tr[data-rule="R1.2"] td.breached`); n != "1" {
		t.Fatalf("R1.2 breached %q, want 1", n)
	}
	if !b.Exists(`#compliance-table tr[data-rule="R1.2"] a.breach[href="/audit/requests/` + id + `"]`) {
		t.Fatal("no link to the breaching request")
	}

	// The CSV downloads with the right rows.
	csvHref := browsertest.Eval[string](b, `document.querySelector("#compliance-csv").href`)
	req, _ := http.NewRequest("GET", csvHref, nil)
	for _, c := range b.Cookies() {
		req.AddCookie(c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	cr := csv.NewReader(strings.NewReader(string(raw)))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2+len(sop.AllRules) || strings.Join(recs[1], ",") != "rule,title,met,breached,not_applicable,breaching_requests" {
		t.Fatalf("CSV has %d rows, header %v", len(recs), recs[1])
	}
	var r12 []string
	for _, r := range recs[2:] {
		if r[0] == "R1.2" {
			r12 = r
		}
	}
	if r12 == nil || r12[3] != "1" || r12[5] != id || r12[2] != "0" {
		t.Fatalf("CSV row of R1.2: %v", r12)
	}

	// The KPIs, with charts drawn as SVG and the published figures beside ours.
	b.Go("/kpi?from=" + today + "&to=" + today)
	if n := browsertest.Eval[int](b, `document.querySelectorAll("#kpi-charts svg.chart").length`); n < 5 {
		t.Fatalf("%d charts", n)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll("#chart-ftf-region line.ref").length`); n != 2 {
		t.Fatalf("%d reference lines on the first-time-fix chart", n)
	}
	if got := b.Text("#kpi-requests"); got != "1" {
		t.Fatalf("KPI requests %q", got)
	}
	// Fixed at the first visit, the customer satisfied: 1 of 1.
	if got := b.Text("#kpi-ftf .value"); got != "100.0 %" {
		t.Fatalf("first-time fix %q", got)
	}
	if w := browsertest.Eval[string](b, `document.querySelector("#chart-ftf-region rect.own").getAttribute("width")`); w != "300" {
		t.Fatalf("our first-time-fix bar is %s wide, want the full 300", w)
	}
	if !b.Exists(`#chart-rules rect.bar`) {
		t.Fatal("no compliance-per-rule bars")
	}
	// Compliance per rule per region and engineer: R1.2 breached in east and by E-1.
	if cells := browsertest.Eval[int](b, `document.querySelectorAll('#kpi-matrix tr[data-rule="R1.2"] td.bad').length`); cells != 2 {
		t.Fatalf("R1.2 breached in %d columns, want 2 (east, E-1)", cells)
	}
	b.Screenshot("kpi")
}
