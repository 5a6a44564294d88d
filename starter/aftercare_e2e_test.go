package starter_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/worker"
	"github.com/housecall/housecall/workflows"
)

type report struct {
	Entries    []timelineEntry `json:"entries"`
	Compliance []struct {
		Rule   string `json:"rule"`
		Status string `json:"status"`
		Detail string `json:"detail"`
	} `json:"compliance"`
	Runs []struct {
		RunID string `json:"run_id"`
	} `json:"runs"`
}

func (r report) verdict(rule string) (string, string) {
	for _, v := range r.Compliance {
		if v.Rule == rule {
			return v.Status, v.Detail
		}
	}
	return "", ""
}

// After the visit and for the auditor, through the API (R9–R11, R3.3, R4.6):
// the daily reconciliation catches a "satisfied" the customer never signed;
// a complaint reopens a request whose workflow has ended; returns and
// guidance are requests of their own; the auditor's timeline spans every
// run and judges every rule; the histories replay.
func TestAftercareEndToEnd(t *testing.T) {
	p := sop.DefaultPolicy()
	p.ConsultationFollowup = sop.D(time.Second)
	// The engineers knock at once, up to a day before the appointment: the
	// door may be knocked on up to sop.door_early before it (R6.4).
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1"}})
	env.AddEngineer("E-1", "east", 0)
	tomorrow := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)

	t.Run("R10.2 an unsigned satisfied card is confirmed with the customer, who contradicts it", func(t *testing.T) {
		env := env.For(t)
		id := "SR-AC-FORGED"
		env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "east"), 201, nil)
		env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
		env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": tomorrow, "end": tomorrow.Add(time.Hour)})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "arrived"})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "knocked", "answered": true})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "diagnosed", "cause": "loose hose", "onsite": true})
		v := env.MustEvent("engineer:E-1", id, map[string]any{"type": "completed", "quality_rating": 5, "attitude_rating": 5,
			"satisfied": true, "signed_by_customer": false, "fix_certain": true})
		if v["status"] != "closed" {
			t.Fatalf("after completion %v", v)
		}
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "card_returned"})

		var res workflows.ReconcileResult
		env.Call("admin", "POST", "/v1/reconciliations", nil, 200, &res)
		var mine *workflows.ReconciledVisit
		for i := range res.Visits {
			if res.Visits[i].RequestID == id {
				mine = &res.Visits[i]
			}
		}
		// An unsigned card (R8.2: never forced) is not falsification by
		// itself: the centre is asked to confirm with the customer.
		if mine == nil || len(mine.Flags) != 0 || !mine.Confirm {
			t.Fatalf("reconciliation %+v", res)
		}
		env.Call("callcentre", "POST", "/v1/reconciliations", nil, 403, nil)
		var list struct {
			Reconciliations []struct {
				ID          int64 `json:"id"`
				Flagged     int   `json:"flagged"`
				Unconfirmed int   `json:"unconfirmed"`
			} `json:"reconciliations"`
		}
		env.Call("auditor", "GET", "/v1/reconciliations", nil, 200, &list)
		if len(list.Reconciliations) == 0 || list.Reconciliations[0].ID != res.ID || list.Reconciliations[0].Unconfirmed < 1 {
			t.Fatalf("listed %+v", list)
		}
		env.Eventually(10*time.Second, "the centre asked to confirm", func() bool {
			st := env.State(id)
			for _, p := range st["pending"].([]any) {
				if p.(map[string]any)["event"] == "satisfaction_confirmed" {
					return true
				}
			}
			return false
		})
		// The customer says the visit did not satisfy them: the card's
		// "satisfied" is one they did not give.
		env.MustEvent("callcentre", id, map[string]any{"type": "satisfaction_confirmed", "visit": 1, "satisfied": false})
		// The request's own timeline has it, and a call-back is open.
		env.Eventually(10*time.Second, "suspected falsification in the timeline", func() bool {
			return count(timeline(env, id), "suspected_falsification") == 1
		})
		if st := env.State(id); st["status"] != "followup" {
			t.Fatalf("after the flag %v", st)
		}
		// The confirmation the reconciliation reads is the one the history
		// holds: audit check reports a row changed behind the workflow's back.
		flip := func(to bool) {
			if _, err := env.Store.Pool.Exec(t.Context(), `UPDATE service_records SET customer_confirmed = $2 WHERE request_id = $1 AND visit = 1`, id, to); err != nil {
				t.Fatal(err)
			}
		}
		flip(true)
		found := false
		for _, d := range env.Check(id).Divergences {
			found = found || d.What == "differs" && d.Table == "service_records" && strings.Contains(d.Detail, "confirmation of visit 1")
		}
		flip(false)
		if !found {
			t.Fatalf("audit check missed a changed confirmation: %+v", env.Check(id).Divergences)
		}
		if d := env.Check(id).Divergences; len(d) != 0 {
			t.Fatalf("after restoring the row: %+v", d)
		}
		var rep report
		env.Call("auditor", "GET", "/v1/requests/"+id+"/timeline", nil, 200, &rep)
		if s, d := rep.verdict("R10.2"); s != "breached" || !strings.Contains(d, "contradicts") {
			t.Fatalf("R10.2 verdict %s %q", s, d)
		}
		if s, _ := rep.verdict("R8.2"); s != "met" {
			t.Fatalf("R8.2 verdict %s", s)
		}
		v = env.MustEvent("callcentre", id, map[string]any{"type": "followup_call", "satisfied": true})
		if v["status"] != "closed" {
			t.Fatalf("after the call-back %v", v)
		}
		waitEnded(env, id)
		env.Record(id, "reconciliation-flag-and-callback")
		// The next run finds nothing new for it.
		var again workflows.ReconcileResult
		env.Call("admin", "POST", "/v1/reconciliations", nil, 200, &again)
		for _, v := range again.Visits {
			if v.RequestID == id {
				t.Fatalf("card reconciled twice: %+v", again)
			}
		}
	})

	t.Run("R11.1 a complaint reopens a request whose workflow ended", func(t *testing.T) {
		env := env.For(t)
		id := "SR-AC-COMPLAINT"
		env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "east"), 201, nil)
		env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "misuse"})
		env.MustEvent("callcentre", id, map[string]any{"type": "consultation_given", "accepted": true})
		env.Eventually(10*time.Second, "call-back due", func() bool { return count(timeline(env, id), "followup_due") == 1 })
		env.MustEvent("callcentre", id, map[string]any{"type": "followup_result", "resolved": true})
		waitEnded(env, id)
		if r := env.Event("callcentre", id, map[string]any{"type": "cancel", "reason": "x"}); r.Status != 409 {
			t.Fatalf("event on an ended request: %d %s", r.Status, r.Body)
		}
		v := env.MustEvent("callcentre", id, map[string]any{"type": "complaint", "text": "the advice did not help after all"})
		if v["status"] != "closed" {
			t.Fatalf("after the complaint %v", v)
		}
		env.MustEvent("callcentre", id, map[string]any{"type": "complaint_answered", "resolution": "engineer visit offered"})
		waitEnded(env, id)
		var rep report
		env.Call("auditor", "GET", "/v1/requests/"+id+"/timeline", nil, 200, &rep)
		if len(rep.Runs) != 2 {
			t.Fatalf("runs %+v", rep.Runs)
		}
		kinds := []string{}
		for _, e := range rep.Entries {
			kinds = append(kinds, e.Kind)
		}
		for _, k := range []string{"request_started", "consultation", "followup_due", "closed", "complaint", "complaint_answered"} {
			if count(rep.Entries, k) != 1 {
				t.Fatalf("timeline across runs %v lacks one %s", kinds, k)
			}
		}
		if s, d := rep.verdict("R11.1"); s != "met" || !strings.Contains(d, "limit 12 h 00 m") {
			t.Fatalf("R11.1 %s %q", s, d)
		}
		// The raw histories of both runs, and they replay against this build.
		var hs struct {
			Runs []starter.RunHistory `json:"runs"`
		}
		env.Call("auditor", "GET", "/v1/requests/"+id+"/history?runs=all", nil, 200, &hs)
		env.Call("callcentre", "GET", "/v1/requests/"+id+"/history", nil, 403, nil)
		if len(hs.Runs) != 2 {
			t.Fatalf("%d runs of history", len(hs.Runs))
		}
		for _, run := range hs.Runs {
			h, err := client.HistoryFromJSON(bytes.NewReader(run.History), client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dc, fc := codec.Converters(env.Codec)
			if err := audit.Replay(h, dc, fc); err != nil {
				t.Fatalf("run %s: %v", run.RunID, err)
			}
		}
		env.Call("auditor", "GET", "/v1/requests/"+id+"/history", nil, 200, nil)
	})

	t.Run("R3.3 and R4.6 are request kinds of their own", func(t *testing.T) {
		env := env.For(t)
		var e starter.ErrorBody
		b := requestIn("SR-AC-RET-BAD", "east")
		b["kind"] = "return"
		env.Call("callcentre", "POST", "/v1/requests", b, 400, &e)
		if e.Fields["return"] == "" {
			t.Fatalf("fields %v", e.Fields)
		}
		b = requestIn("SR-AC-RET", "east")
		b["kind"] = "return"
		b["return"] = map[string]any{"has_receipt": true, "special_price": true, "packaging_intact": true, "sale_date": time.Now().Format("2006-01-02")}
		var st map[string]any
		env.Call("callcentre", "POST", "/v1/requests", b, 201, &st)
		if st["status"] != "closed" {
			t.Fatalf("special-price return: %v", st)
		}
		tl := timeline(env, "SR-AC-RET")
		if count(tl, "return_decided") != 1 || !strings.Contains(tl[len(tl)-2].Detail, "special-price") {
			t.Fatalf("timeline %+v", tl)
		}
		g := requestIn("SR-AC-GUIDE-BAD", "east")
		g["kind"] = "installation_guidance"
		env.Call("callcentre", "POST", "/v1/requests", g, 400, &e)
		if e.Fields["guidance.installation_at"] == "" {
			t.Fatalf("fields %v", e.Fields)
		}
		g = requestIn("SR-AC-GUIDE", "east")
		g["kind"] = "installation_guidance"
		g["guidance"] = map[string]any{"installation_at": time.Now().Add(5 * 24 * time.Hour).UTC().Format(time.RFC3339)}
		env.Call("callcentre", "POST", "/v1/requests", g, 201, &st)
		if st["status"] != "scheduling" {
			t.Fatalf("guidance %v", st)
		}
		if r := env.Event("callcentre", "SR-AC-GUIDE", map[string]any{"type": "guidance_call", "start": time.Now().Add(4 * 24 * time.Hour)}); r.Status != 409 ||
			!strings.Contains(string(r.Body), "not before") {
			t.Fatalf("early call-back: %d %s", r.Status, r.Body)
		}
	})

	t.Run("R10.2 the daily schedule is created once and follows the configuration", func(t *testing.T) {
		ctx := t.Context()
		for _, at := range []string{"18:00", "18:30"} {
			if err := worker.EnsureReconcileSchedule(ctx, env.Temporal, worker.ReconcileSchedule{TaskQueue: env.Queue, At: at, Zone: time.FixedZone("CST", 8*3600)}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := env.Temporal.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID).Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cal := d.Schedule.Spec.Calendars
		if len(cal) != 1 || cal[0].Hour[0].Start != 10 || cal[0].Minute[0].Start != 30 || d.Schedule.Spec.TimeZoneName != "UTC" {
			b, _ := json.Marshal(d.Schedule.Spec)
			t.Fatalf("schedule spec %s", b)
		}
		act, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		if !ok || act.TaskQueue != env.Queue {
			t.Fatalf("schedule action %+v", d.Schedule.Action)
		}
	})
}
