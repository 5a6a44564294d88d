package starter_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

func body(id string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": "李雷", "phone": "13800138000", "address": "广州市天河区体育西路 103 号", "region": "south"},
		"product":  map[string]any{"model": "WM-7", "spec": "7kg", "colour": "white", "serial": "SN123", "purchase_date": "2026-01-15"},
		"symptoms": "drum does not spin", "customer_requests": "visit on a weekday",
	}
}

type state struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Engineer string `json:"engineer"`
	Warranty string `json:"warranty"`
	Visits   int    `json:"visits"`
	Pending  []struct {
		Event string `json:"event"`
		Clock string `json:"clock"`
	} `json:"pending"`
	Problems map[string]string `json:"problems"`
}

func (s state) waitsFor(ev string) bool {
	return slices.ContainsFunc(s.Pending, func(p struct {
		Event string `json:"event"`
		Clock string `json:"clock"`
	}) bool {
		return p.Event == ev
	})
}

// The HTTP API end to end against a real Temporal server and PostgreSQL:
// authentication and roles, bad input, R1.2 verification, R1.3 one workflow
// per id, and the R2.2 consultation whose call-back falls due after the
// (shortened) sop.consultation_followup.
func TestAPIEndToEnd(t *testing.T) {
	p := sop.DefaultPolicy()
	p.ConsultationFollowup = sop.D(2 * time.Second)
	p.VerifyTimeout = sop.D(time.Hour)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1"}})

	t.Run("auth", func(t *testing.T) {
		env := env.For(t)
		env.Call("", "GET", "/v1/requests", nil, 401, nil)
		env.Call("engineer:E-1", "GET", "/v1/requests", nil, 403, nil)
		env.Call("callcentre", "POST", "/v1/engineers", map[string]any{"id": "E-9", "name": "x", "region": "south"}, 403, nil)
		env.Call("", "GET", "/healthz", nil, 200, nil)
		res := env.Call("", "GET", "/metrics", nil, 200, nil)
		if !strings.Contains(string(res.Body), "housecall_http_requests_total") {
			t.Fatal("metrics do not count HTTP requests")
		}
	})

	t.Run("bad input says which field", func(t *testing.T) {
		env := env.For(t)
		var e struct {
			Error  string            `json:"error"`
			Fields map[string]string `json:"fields"`
		}
		env.Call("callcentre", "POST", "/v1/requests", `{"customer": {"name": 42}}`, 400, &e)
		if !strings.Contains(e.Fields["customer.name"], "a string") {
			t.Fatalf("fields %v", e.Fields)
		}
		env.Call("callcentre", "POST", "/v1/requests", `{"customer": `, 400, &e)
		if !strings.Contains(e.Error, "JSON") {
			t.Fatalf("error %q", e.Error)
		}
		env.Call("callcentre", "POST", "/v1/requests", `{"custumer": {}}`, 400, &e)
		if e.Fields["custumer"] != "unknown field" {
			t.Fatalf("fields %v", e.Fields)
		}
		env.Call("callcentre", "POST", "/v1/requests", `{"id": "bad id!"}`, 400, &e)
		if e.Fields["id"] == "" {
			t.Fatalf("fields %v", e.Fields)
		}
		env.Call("callcentre", "GET", "/v1/requests?status=nonsense", nil, 400, &e)
		env.Call("callcentre", "GET", "/v1/requests/SR-NOPE", nil, 404, nil)
		if r := env.Event("callcentre", "SR-NOPE", map[string]any{"type": "triaged", "category": "quality"}); r.Status != 404 {
			t.Fatalf("event on unknown request: %d %s", r.Status, r.Body)
		}
	})

	t.Run("R1.2 incomplete data starts the request in verification", func(t *testing.T) {
		env := env.For(t)
		b := body("SR-API-VERIFY")
		b["customer"].(map[string]any)["address"] = ""
		delete(b["product"].(map[string]any), "purchase_date")
		var s state
		env.Call("callcentre", "POST", "/v1/requests", b, 201, &s)
		if s.Status != "verifying" || s.Problems["customer.address"] != "missing" || !s.waitsFor("info_verified") {
			t.Fatalf("state %+v", s)
		}
		// No visit on unverified data: 409 with the reason.
		r := env.Event("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": time.Now().Add(48 * time.Hour), "end": time.Now().Add(49 * time.Hour)})
		if r.Status != 409 || !strings.Contains(string(r.Body), "info_verified") {
			t.Fatalf("appointment on unverified data: %d %s", r.Status, r.Body)
		}
		v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "info_verified",
			"customer": map[string]any{"address": "广州市天河区体育西路 103 号"}, "product": map[string]any{"purchase_date": "2026-01-15"}})
		if v["status"] != "triage" || v["warranty"] != "in" {
			t.Fatalf("after verification %v", v)
		}
		env.Record(s.ID, "verification")
	})

	t.Run("R1.3 the same id twice is one workflow", func(t *testing.T) {
		env := env.For(t)
		var first, second state
		env.Call("callcentre", "POST", "/v1/requests", body("SR-API-DUP"), 201, &first)
		changed := body("SR-API-DUP")
		changed["symptoms"] = "something else"
		env.Call("callcentre", "POST", "/v1/requests", changed, 200, &second)
		if first.ID != second.ID || second.Status != "triage" {
			t.Fatalf("first %+v second %+v", first, second)
		}
		// Exactly one run of that workflow id exists.
		env.Eventually(5*time.Second, "one workflow listed", func() bool {
			resp, err := env.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = 'SR-API-DUP'"})
			return err == nil && len(resp.GetExecutions()) == 1
		})
		resp, err := env.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = 'SR-API-DUP'"})
		if err != nil || len(resp.GetExecutions()) != 1 {
			t.Fatalf("runs of SR-API-DUP: %v %v", err, resp.GetExecutions())
		}
	})

	t.Run("R2.2 consultation and call-back through the API", func(t *testing.T) {
		env := env.For(t)
		var s state
		env.Call("callcentre", "POST", "/v1/requests", body("SR-API-CONSULT"), 201, &s)
		if s.Status != "triage" {
			t.Fatalf("status %s", s.Status)
		}
		// An engineer not assigned to the request may not triage it.
		if r := env.Event("engineer:E-1", s.ID, map[string]any{"type": "triaged", "category": "misuse"}); r.Status != 403 {
			t.Fatalf("unassigned engineer: %d %s", r.Status, r.Body)
		}
		// Wrong types and values are 400 with the field.
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "triaged", "category": "weather"}); r.Status != 400 || !strings.Contains(string(r.Body), "category") {
			t.Fatalf("bad category: %d %s", r.Status, r.Body)
		}
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "consultation_given", "accepted": "yes"}); r.Status != 400 || !strings.Contains(string(r.Body), "accepted") {
			t.Fatalf("bad type: %d %s", r.Status, r.Body)
		}
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "teleport"}); r.Status != 400 {
			t.Fatalf("unknown type: %d %s", r.Status, r.Body)
		}
		// Not the event the request waits for: 409 with the reason.
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "consultation_given", "accepted": true}); r.Status != 409 || !strings.Contains(string(r.Body), "triaged") {
			t.Fatalf("out of order: %d %s", r.Status, r.Body)
		}
		v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "misuse"})
		if v["status"] != "consulting" {
			t.Fatalf("after triage %v", v)
		}
		consultedAt := time.Now()
		env.MustEvent("callcentre", s.ID, map[string]any{"type": "consultation_given", "accepted": true})
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "followup_result", "resolved": true}); r.Status != 409 {
			t.Fatalf("call-back before it is due: %d %s", r.Status, r.Body)
		}
		env.Eventually(10*time.Second, "the call-back falls due", func() bool {
			var st state
			env.Call("callcentre", "GET", "/v1/requests/"+s.ID, nil, 200, &st)
			return st.waitsFor("followup_result")
		})
		if waited := time.Since(consultedAt); waited < 2*time.Second {
			t.Fatalf("call-back due after %s, before sop.consultation_followup", waited)
		}
		kinds := env.Kinds(s.ID)
		if housecalltest.Count(kinds, "followup_due") != 1 {
			t.Fatalf("timeline %v", kinds)
		}
		v = env.MustEvent("callcentre", s.ID, map[string]any{"type": "followup_result", "resolved": true})
		if v["status"] != "closed" {
			t.Fatalf("after call-back %v", v)
		}

		// The call centre's list comes from PostgreSQL.
		var list struct {
			Requests []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"requests"`
		}
		env.Eventually(5*time.Second, "closed request listed", func() bool {
			env.Call("callcentre", "GET", "/v1/requests?status=closed", nil, 200, &list)
			return len(list.Requests) == 1 && list.Requests[0].ID == s.ID
		})

		// Every event received is logged, accepted or not.
		var evs struct {
			Events []struct {
				Type    string `json:"type"`
				Outcome string `json:"outcome"`
				Status  int    `json:"http_status"`
			} `json:"events"`
		}
		env.Call("auditor", "GET", "/v1/requests/"+s.ID+"/events", nil, 200, &evs)
		var outcomes []string
		for _, e := range evs.Events {
			outcomes = append(outcomes, e.Type+":"+e.Outcome)
		}
		for _, want := range []string{"triaged:forbidden", "triaged:invalid", "consultation_given:invalid", "teleport:invalid",
			"consultation_given:rejected", "triaged:accepted", "followup_result:rejected", "followup_result:accepted"} {
			if !slices.Contains(outcomes, want) {
				t.Errorf("event log %v lacks %s", outcomes, want)
			}
		}

		// Closed: no more events but complaints.
		if r := env.Event("callcentre", s.ID, map[string]any{"type": "cancel", "reason": "x"}); r.Status != 409 {
			t.Fatalf("event on closed request: %d %s", r.Status, r.Body)
		}

		// The notifications went to the outbox.
		var ns struct {
			Notifications []struct {
				Message string `json:"message"`
			} `json:"notifications"`
		}
		env.Call("callcentre", "GET", "/v1/requests/"+s.ID+"/notifications", nil, 200, &ns)
		b, _ := json.Marshal(ns)
		if !strings.Contains(string(b), "consultation_callback") {
			t.Fatalf("outbox %s", b)
		}
		env.Record(s.ID, "consultation-resolved")
	})
}
