package starter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

func requestIn(id, region string) map[string]any {
	b := body(id)
	b["customer"].(map[string]any)["region"] = region
	return b
}

type timelineEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Rule   string    `json:"rule"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
}

func timeline(env *housecalltest.Env, id string) []timelineEntry {
	var tl struct {
		Entries []timelineEntry `json:"entries"`
	}
	env.Call("auditor", "GET", "/v1/requests/"+id+"/timeline", nil, 200, &tl)
	return tl.Entries
}

func count(es []timelineEntry, kind string) int {
	n := 0
	for _, e := range es {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// The visit through the API alone (R4–R8), with sop.knock_interval=300ms and
// sop.call_after=3s: booking on conflict, the whole door protocol, and a
// re-visit until the customer is satisfied.
func TestVisitEndToEnd(t *testing.T) {
	p := sop.DefaultPolicy()
	p.KnockInterval = sop.D(300 * time.Millisecond)
	p.CallAfter = sop.D(3 * time.Second)
	// The engineers knock at once, up to a day before the appointment: the
	// door may be knocked on up to sop.door_early before it (R6.4).
	p.DoorEarly = sop.D(48 * time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1", "W-1"}})
	env.AddEngineer("E-1", "east", 0)
	env.AddEngineer("W-1", "west", 30)
	// Whole hours tomorrow, so that the working-hours window does not get in the way.
	tomorrow := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)

	t.Run("R6.3 the door protocol", func(t *testing.T) {
		env := env.For(t)
		var s state
		env.Call("callcentre", "POST", "/v1/requests", requestIn("SR-E2E-DOOR", "east"), 201, &s)
		env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "quality"})
		v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": tomorrow, "end": tomorrow.Add(time.Hour)})
		if v["status"] != "scheduled" || v["engineer"] != "E-1" {
			t.Fatalf("booking: %v", v)
		}
		// The engineer may now read the request; another engineer may not.
		env.Call("engineer:E-1", "GET", "/v1/requests/"+s.ID, nil, 200, nil)
		env.Call("engineer:W-1", "GET", "/v1/requests/"+s.ID, nil, 403, nil)
		if r := env.Event("engineer:W-1", s.ID, map[string]any{"type": "departed"}); r.Status != 403 {
			t.Fatalf("another engineer's event: %d %s", r.Status, r.Body)
		}
		env.MustEvent("engineer:E-1", s.ID, map[string]any{"type": "departed"})
		env.MustEvent("engineer:E-1", s.ID, map[string]any{"type": "arrived"})
		knockedAt := time.Now()
		env.MustEvent("engineer:E-1", s.ID, map[string]any{"type": "knocked", "answered": false})
		env.Eventually(15*time.Second, "the call after 3 s", func() bool {
			return count(timeline(env, s.ID), "call_customer") == 1
		})
		if d := time.Since(knockedAt); d < 3*time.Second {
			t.Fatalf("call after %s", d)
		}
		tl := timeline(env, s.ID)
		if n := count(tl, "knock_prompt"); n != 10 {
			t.Fatalf("%d knock prompts, want 10", n)
		}
		var lastPrompt, call time.Time
		for _, e := range tl {
			switch e.Kind {
			case "knock_prompt":
				lastPrompt = e.At
			case "call_customer":
				call = e.At
			}
		}
		if call.Before(lastPrompt) {
			t.Fatal("the call came before the tenth prompt")
		}
		env.MustEvent("engineer:E-1", s.ID, map[string]any{"type": "call_result", "answered": false})
		v = env.MustEvent("engineer:E-1", s.ID, map[string]any{"type": "note_left"})
		if v["status"] != "scheduling" {
			t.Fatalf("after the note: %v", v)
		}
		tl = timeline(env, s.ID)
		for _, k := range []string{"leave_note", "note_left", "centre_notified"} {
			if count(tl, k) == 0 {
				t.Fatalf("timeline lacks %s", k)
			}
		}
		// The slot is free again.
		var n int
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM appointments WHERE request_id = $1 AND status = 'booked'`, s.ID).Scan(&n)
		if n != 0 {
			t.Fatalf("%d booked appointments left", n)
		}
		env.Record(s.ID, "door-protocol-note-left")
	})

	t.Run("R4.1 two requests for the only engineer at the same hour", func(t *testing.T) {
		env := env.For(t)
		slot := tomorrow.Add(2 * time.Hour)
		ids := []string{"SR-E2E-RACE-1", "SR-E2E-RACE-2"}
		for _, id := range ids {
			env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "west"), 201, nil)
			env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
		}
		var wg sync.WaitGroup
		states := make([]map[string]any, 2)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				states[i] = env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": slot, "end": slot.Add(time.Hour)})
			}()
		}
		wg.Wait()
		proposed := -1
		for i, s := range states {
			if s["status"] == "awaiting_customer" {
				proposed = i
			} else if s["status"] != "scheduled" {
				t.Fatalf("%s: %v", ids[i], s)
			}
		}
		if proposed < 0 {
			t.Fatalf("both booked the same engineer at the same hour: %v", states)
		}
		v := env.MustEvent("callcentre", ids[proposed], map[string]any{"type": "appointment_answer", "accepted": true})
		if v["status"] != "scheduled" {
			t.Fatalf("after accepting the proposal: %v", v)
		}
		var overlaps, booked int
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM appointments WHERE engineer_id = 'W-1' AND status = 'booked'`).Scan(&booked)
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM appointments a JOIN appointments b ON a.id < b.id
			AND a.engineer_id = b.engineer_id AND a.busy && b.busy WHERE a.status = 'booked' AND b.status = 'booked'`).Scan(&overlaps)
		if booked != 2 || overlaps != 0 {
			t.Fatalf("%d booked, %d overlapping", booked, overlaps)
		}
		if count(timeline(env, ids[proposed]), "appointment_proposed") != 1 {
			t.Fatal("no proposal in the timeline")
		}
		env.Record(ids[proposed], "booking-proposal-accepted")
	})

	t.Run("R8.3 a dissatisfied customer gets a second visit", func(t *testing.T) {
		env := env.For(t)
		id := "SR-E2E-REVISIT"
		env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "east"), 201, nil)
		env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
		visit := func(start time.Time, satisfied bool) map[string]any {
			env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})
			env.MustEvent("engineer:E-1", id, map[string]any{"type": "arrived"})
			env.MustEvent("engineer:E-1", id, map[string]any{"type": "knocked", "answered": true})
			env.MustEvent("engineer:E-1", id, map[string]any{"type": "diagnosed", "cause": "worn belt", "onsite": true})
			return env.MustEvent("engineer:E-1", id, map[string]any{"type": "completed", "quality_rating": 3, "attitude_rating": 5,
				"satisfied": satisfied, "signed_by_customer": true, "fix_certain": true,
				"record": map[string]any{"cause": "worn belt", "measures": "replaced belt", "parts_used": []string{"belt B-7"}, "charge": 0}})
		}
		v := visit(tomorrow.Add(4*time.Hour), false)
		if v["status"] != "scheduling" {
			t.Fatalf("after an unsatisfied visit: %v", v)
		}
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "card_returned"})
		v = visit(tomorrow.Add(6*time.Hour), true)
		if v["status"] != "closed" || v["visits"] != float64(2) {
			t.Fatalf("after the second visit: %v", v)
		}
		tl := timeline(env, id)
		if count(tl, "revisit") != 1 || count(tl, "completed") != 2 || count(tl, "closed") != 1 {
			t.Fatalf("timeline %v", tl)
		}
		env.Record(id, "revisit-until-satisfied")
		var records int
		_ = env.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM service_records WHERE request_id = $1`, id).Scan(&records)
		if records != 2 {
			t.Fatalf("%d service records", records)
		}
		// The request's list row follows.
		env.Eventually(5*time.Second, "closed in the list", func() bool {
			var row struct {
				Requests []struct {
					ID     string `json:"id"`
					Visits int    `json:"visits"`
				} `json:"requests"`
			}
			env.Call("callcentre", "GET", "/v1/requests?status=closed&engineer=E-1", nil, 200, &row)
			for _, r := range row.Requests {
				if r.ID == id && r.Visits == 2 {
					return true
				}
			}
			return false
		})
	})

	t.Run("R8.1 a satisfied visit closes the request and the workflow ends", func(t *testing.T) {
		env := env.For(t)
		id := "SR-E2E-ONE-VISIT"
		env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "east"), 201, nil)
		env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
		start := tomorrow.Add(9 * time.Hour)
		env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "departed"})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "arrived"})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "knocked", "answered": true})
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "diagnosed", "cause": "loose hose", "onsite": true})
		v := env.MustEvent("engineer:E-1", id, map[string]any{"type": "completed", "quality_rating": 5, "attitude_rating": 5,
			"satisfied": true, "signed_by_customer": true, "fix_certain": true, "record": map[string]any{"cause": "loose hose", "measures": "tightened"}})
		if v["status"] != "closed" {
			t.Fatalf("after completion: %v", v)
		}
		env.MustEvent("engineer:E-1", id, map[string]any{"type": "card_returned"})
		// R10.2: the request ends once the daily reconciliation has looked at its card.
		env.Call("admin", "POST", "/v1/reconciliations", nil, 200, nil)
		waitEnded(env, id)
		env.Record(id, "visit-closed-card-returned")

		// The Temporal UI's filters: the request was started with its
		// region and kind, and its workflow upserted no attribute of its
		// own (stepsStartAttributes) — only the SDK's TemporalChangeVersion.
		d, err := env.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for k, p := range d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
			var s string
			if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err == nil {
				got[k] = s
			}
		}
		for k, want := range map[string]string{"HousecallRegion": "east", "HousecallKind": "repair"} {
			if got[k] != want {
				t.Errorf("search attribute %s = %q, want %q (all: %v)", k, got[k], want, got)
			}
		}
		for _, k := range []string{"HousecallStatus", "HousecallEngineer", "HousecallWarranty"} {
			if v, ok := got[k]; ok {
				t.Errorf("search attribute %s = %q, want none: PostgreSQL has it", k, v)
			}
		}
		h, err := audit.History(context.Background(), env.Temporal, id, "")
		if err != nil {
			t.Fatal(err)
		}
		var upserted []string
		for _, ev := range h.GetEvents() {
			if ev.GetEventType() == enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES {
				for k := range ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields() {
					upserted = append(upserted, k)
				}
			}
		}
		if len(upserted) != 1 || upserted[0] != "TemporalChangeVersion" {
			t.Errorf("upserted %v, want only the SDK's TemporalChangeVersion", upserted)
		}
	})
}

// waitEnded waits for a request's workflow to complete.
func waitEnded(env *housecalltest.Env, id string) {
	env.T.Helper()
	env.Eventually(10*time.Second, id+" ends", func() bool {
		d, err := env.Temporal.DescribeWorkflowExecution(env.T.(*testing.T).Context(), id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil
	})
}
