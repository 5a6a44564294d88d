package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/console/browsertest"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/notify"
	"github.com/housecall/housecall/sop"
)

type centreEntry struct {
	Kind   string `json:"kind"`
	Rule   string `json:"rule"`
	Actor  string `json:"actor"`
	Detail string `json:"detail"`
}

// centreTimeline is the request's timeline as the centre's pages read it
// (PostgreSQL, store.Timeline).
func centreTimeline(env *housecalltest.Env, id string) []centreEntry {
	rows, err := env.Store.Timeline(context.Background(), id)
	if err != nil {
		env.T.Fatal(err)
	}
	out := make([]centreEntry, len(rows))
	for i, r := range rows {
		out[i] = centreEntry{Kind: r.Kind, Rule: r.Rule, Actor: r.Actor, Detail: r.Detail}
	}
	return out
}

func findEntry(es []centreEntry, kind, actor, detail string) *centreEntry {
	for i, e := range es {
		if e.Kind == kind && e.Actor == actor && strings.Contains(e.Detail, detail) {
			return &es[i]
		}
	}
	return nil
}

// The customer on a phone: the link of their notification opens the booked
// appointment; they confirm it (the centre's timeline shows it), ask for
// another time (the centre is notified and rebooks), and after the visit
// confirm their satisfaction with a rating (the service record and the
// timeline show the customer's own confirmation). A tampered link shows
// the invalid-link page.
func TestCustomerLinkInTheBrowser(t *testing.T) {
	p := sop.DefaultPolicy()
	// The engineer may knock long before the appointment (R6.4): the visit
	// is to the rebooked slot, 10:00 on the day after the first one, which
	// is 26 h ahead — up to 60 h from now, depending on the hour the test
	// runs.
	p.DoorEarly = sop.D(72 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "east", 0)
	id := "SR-CUST-B"
	slot := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	customerRequest(t, env, id, slot, "Han Meimei")
	cust := "customer:" + id

	// The link as a notification to the customer carries it.
	links := console.CustomerLinks(env.API.URL, env.ConsoleSecret, 30*24*time.Hour, nil)
	if l := links(notify.Notification{Audience: "centre", RequestID: id}); l != "" {
		t.Fatalf("a centre notification got a link: %s", l)
	}
	link := links(notify.Notification{Audience: "customer", RequestID: id})
	path := strings.TrimPrefix(link, env.API.URL)

	b := browsertest.New(t, env.API.URL, browsertest.PhoneWidth, browsertest.PhoneHeight)
	b.Go(path)
	b.WaitVisible("#cust-appointment")
	if got := b.Text("#cust-engineer"); got != "Engineer E1" {
		t.Fatalf("engineer %q", got)
	}
	want := slot.In(env.Policy.Location())
	if got := b.Text("#cust-window"); got != want.Format("15:04")+"–"+want.Add(time.Hour).Format("15:04") {
		t.Fatalf("window %q", got)
	}
	if b.Exists("header nav a") {
		t.Fatal("the customer's page shows staff navigation")
	}
	b.Screenshot("customer")

	// Confirm the appointment: the centre sees it.
	b.ClickAndLoad("#cust-confirm")
	b.WaitVisible("#cust-done")
	b.WaitVisible("#cust-confirmed")
	if e := findEntry(centreTimeline(env, id), "customer_contact", cust, "customer confirms the appointment"); e == nil || e.Rule != "R4.1" {
		t.Fatalf("the centre's timeline lacks the confirmation: %+v", centreTimeline(env, id))
	}

	// Ask for another time: the centre is notified, the request waits for
	// its new booking.
	b.Click("#cust-other summary")
	b.Set("#reason", "我那天下午要上班")
	day := slot.Add(24 * time.Hour).In(env.Policy.Location())
	b.Set("#date", day.Format("2006-01-02"))
	b.Set("#from", "10:00")
	b.Set("#to", "12:00")
	b.ClickAndLoad("#cust-reschedule-send")
	b.WaitVisible("#cust-reschedule")
	var ns struct {
		Notifications []struct {
			Audience string            `json:"audience"`
			Params   map[string]string `json:"params"`
		} `json:"notifications"`
	}
	env.Call("callcentre", "GET", "/v1/requests/"+id+"/notifications", nil, 200, &ns)
	told := false
	for _, n := range ns.Notifications {
		told = told || n.Audience == "centre" && strings.Contains(n.Params["what"], "我那天下午要上班")
	}
	if !told {
		t.Fatalf("the centre was not notified: %+v", ns)
	}
	if e := findEntry(centreTimeline(env, id), "customer_contact", cust, "another time: 我那天下午要上班; prefers"); e == nil {
		t.Fatalf("timeline lacks the request for another time: %+v", centreTimeline(env, id))
	}
	pref := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, env.Policy.Location())
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": pref, "end": pref.Add(2 * time.Hour)})
	if v["status"] != "scheduled" || v["reschedule"] != nil {
		t.Fatalf("rebooked: %v", v)
	}

	// The visit, by the engineer through the API.
	env.MustEvent("engineer:E1", id, map[string]any{"type": "arrived"})
	env.MustEvent("engineer:E1", id, map[string]any{"type": "knocked", "answered": true})
	env.MustEvent("engineer:E1", id, map[string]any{"type": "diagnosed", "cause": "worn belt", "onsite": true})
	v = env.MustEvent("engineer:E1", id, map[string]any{"type": "completed", "quality_rating": 5, "attitude_rating": 5,
		"satisfied": true, "signed_by_customer": true, "fix_certain": true})
	if v["status"] != "closed" {
		t.Fatalf("after completion %v", v)
	}

	// Their satisfaction, with a rating.
	b.Go(path)
	b.WaitVisible("#form-satisfaction")
	// Sent without saying whether satisfied: the form comes back, filled in.
	b.Click("#rating-4 + span")
	b.Set("#note", "师傅很专业")
	b.ClickAndLoad("#cust-satisfaction")
	b.WaitVisible(`.field-error[data-field="satisfied"]`)
	if !browsertest.Eval[bool](b, `document.querySelector("#rating-4").checked && document.querySelector("#note").value === "师傅很专业"`) {
		t.Fatal("the refused form lost what was entered")
	}
	b.Click("#sat-yes")
	b.Set("#note", "师傅很专业")
	b.ClickAndLoad("#cust-satisfaction")
	b.WaitVisible("#cust-done")
	if b.Exists("#form-satisfaction") {
		t.Fatal("the satisfaction form is still offered")
	}
	e := findEntry(centreTimeline(env, id), "satisfaction_confirmed", cust, "rated 4/5")
	if e == nil || e.Rule != "R10.2" || !strings.Contains(e.Detail, "customer confirms visit 1: satisfied") {
		t.Fatalf("timeline lacks the customer's confirmation: %+v", centreTimeline(env, id))
	}
	env.Eventually(10*time.Second, "the service record holds the customer's confirmation", func() bool {
		var confirmed *bool
		err := env.Store.Pool.QueryRow(t.Context(), `SELECT customer_confirmed FROM service_records WHERE request_id = $1 AND visit = 1`, id).Scan(&confirmed)
		return err == nil && confirmed != nil && *confirmed
	})

	// The auditor's verdicts of the customer's rules (the engineer above
	// skipped their checklists: those rules are not this test's).
	var rep struct {
		Compliance []struct {
			Rule   string `json:"rule"`
			Status string `json:"status"`
			Detail string `json:"detail"`
		} `json:"compliance"`
	}
	env.Call("auditor", "GET", "/v1/requests/"+id+"/timeline", nil, 200, &rep)
	verdicts := map[string]string{}
	for _, c := range rep.Compliance {
		verdicts[c.Rule] = c.Status + ": " + c.Detail
	}
	if v := verdicts["R4.1"]; !strings.HasPrefix(v, "met") {
		t.Errorf("R4.1 %s", v)
	}
	if v := verdicts["R10.2"]; v == "" || strings.HasPrefix(v, "breached") {
		t.Errorf("R10.2 %s", v)
	}

	// A tampered link shows the invalid-link page, and nothing of the request.
	tampered := path[:len(path)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(path, "AA")]
	b.Go(tampered)
	b.WaitVisible("#customer-invalid")
	if body := b.Text("body"); strings.Contains(body, "Han Meimei") || strings.Contains(body, "Engineer E1") {
		t.Fatalf("the invalid-link page shows the request: %s", body)
	}
}
