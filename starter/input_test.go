package starter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

type errorBody struct {
	Error     string            `json:"error"`
	Fields    map[string]string `json:"fields"`
	RequestID string            `json:"request_id"`
}

// post sends a raw body with a Content-Type (none when ct is "").
func post(t *testing.T, env *housecalltest.Env, who, path, ct string, body []byte, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", env.API.URL+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer tok-"+strings.ReplaceAll(who, ":", "-"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, []byte(b.String()), res.Header
}

// Bounded input refused at the door, naming the field; idempotent events;
// error answers without infrastructure; 403 without the assigned engineer.
func TestAPIInputAndIdempotency(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E-1", "E-2"}})
	env.AddEngineer("E-1", "south", 0)
	tomorrow := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)

	t.Run("bodies that are not a JSON object", func(t *testing.T) {
		env := env.For(t)
		for _, tc := range []struct {
			body, ct string
			status   int
			want     string
		}{
			{`null`, "application/json", 400, "null"},
			{`[]`, "application/json", 400, "array"},
			{`"x"`, "application/json", 400, "string"},
			{`42`, "application/json", 400, "number"},
			{`true`, "", 400, "boolean"},
			{``, "application/json", 400, "empty"},
			{"{\"symptoms\": \"a\xffb\"}", "application/json", 400, "UTF-8"},
			{`{} {}`, "application/json", 400, "more than one"},
			{`{}`, "text/plain", 415, "application/json"},
			{`{}`, "application/x-www-form-urlencoded", 415, "application/json"},
			{`{}`, "application/json; charset=latin1", 415, "UTF-8"},
		} {
			for _, path := range []string{"/v1/requests", "/v1/requests/SR-NOPE/events"} {
				status, b, _ := post(t, env, "callcentre", path, tc.ct, []byte(tc.body), nil)
				var e errorBody
				_ = json.Unmarshal(b, &e)
				if status != tc.status || !strings.Contains(e.Error, tc.want) {
					t.Errorf("%s %q (%s): %d %s", path, tc.body, tc.ct, status, b)
				}
			}
		}
		status, _, _ := post(t, env, "callcentre", "/v1/requests", "application/json", []byte(`{"symptoms":"`+strings.Repeat("x", 1<<20)+`"}`), nil)
		if status != 413 {
			t.Errorf("body over 1 MiB: %d", status)
		}
		// A body without Content-Type is read as JSON.
		b := body("SR-IN-NOCT")
		raw, _ := json.Marshal(b)
		if status, res, _ := post(t, env, "callcentre", "/v1/requests", "", raw, nil); status != 201 {
			t.Errorf("no Content-Type: %d %s", status, res)
		}
	})

	t.Run("bounds name the field", func(t *testing.T) {
		env := env.For(t)
		var e errorBody
		for _, tc := range []struct {
			set   func(map[string]any)
			field string
		}{
			{func(b map[string]any) { b["customer"].(map[string]any)["name"] = strings.Repeat("名", 101) }, "customer.name"},
			{func(b map[string]any) { b["customer"].(map[string]any)["phone"] = strings.Repeat("1", 33) }, "customer.phone"},
			{func(b map[string]any) { b["symptoms"] = "drum \x1b[31mred\x1b[0m" }, "symptoms"},
			{func(b map[string]any) { b["customer"].(map[string]any)["address"] = "a\x00b" }, "customer.address"},
			{func(b map[string]any) { b["product"].(map[string]any)["purchase_date"] = "0001-01-01" }, "product.purchase_date"},
			{func(b map[string]any) {
				b["preferred"] = map[string]any{"start": "0001-01-01T00:00:00Z", "end": tomorrow}
			}, "preferred.start"},
		} {
			b := body("SR-IN-BOUND")
			tc.set(b)
			env.Call("callcentre", "POST", "/v1/requests", b, 400, &e)
			if e.Fields[tc.field] == "" {
				t.Errorf("%s not named: %+v", tc.field, e)
			}
		}
		// Exactly at the limits: taken.
		b := body("SR-IN-EDGE")
		b["customer"].(map[string]any)["name"] = strings.Repeat("名", sop.LimitOf("customer.name").Max)
		b["symptoms"] = strings.Repeat("症", sop.LimitOf("symptoms").Max-1) + "\n"
		env.Call("callcentre", "POST", "/v1/requests", b, 201, nil)

		var s state
		env.Call("callcentre", "POST", "/v1/requests", body("SR-IN-EVENTS"), 201, &s)
		for _, tc := range []struct {
			ev    string
			field string
		}{
			{`{"type":"cancel","reason":"` + strings.Repeat("r", 501) + `"}`, "reason"},
			{`{"type":"cancel","reason":"x","note":"\u001b[2J"}`, "note"},
			{`{"type":"triaged","category":"quality","parts":["a\u0000"]}`, "parts[0]"},
			{`{"type":"delayed","minutes":1000000000}`, "minutes"},
			{`{"type":"delayed","minutes":1e30}`, "minutes"},
			{`{"type":"compensation_requested","reason":"x","amount":1e308}`, "amount"},
			{`{"type":"completed","quality_rating":5,"attitude_rating":5,"satisfied":true,"signed_by_customer":true,"fix_certain":true,"record":{"charge":12.345}}`, "record.charge"},
			{`{"type":"appointment_requested","start":"0001-01-01T00:00:00Z","end":"0001-01-01T01:00:00Z"}`, "start"},
		} {
			who := "callcentre"
			if strings.Contains(tc.ev, "delayed") || strings.Contains(tc.ev, "compensation") || strings.Contains(tc.ev, "completed") {
				who = "engineer:E-1"
			}
			status, b, _ := post(t, env, who, "/v1/requests/"+s.ID+"/events", "application/json", []byte(tc.ev), nil)
			var e errorBody
			_ = json.Unmarshal(b, &e)
			if status != 400 || e.Fields[tc.field] == "" {
				t.Errorf("%s: %d %s", tc.ev, status, b)
			}
		}
	})

	t.Run("Idempotency-Key: same key, same event, applied once", func(t *testing.T) {
		env := env.For(t)
		var s state
		env.Call("callcentre", "POST", "/v1/requests", body("SR-IN-IDEM"), 201, &s)
		key := http.Header{"Idempotency-Key": {`"triage-1"`}}
		ev := []byte(`{"type":"triaged","category":"misuse"}`)
		st1, b1, _ := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", ev, key)
		// The same event again, spelt differently: the same answer, not a second event.
		st2, b2, h2 := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", []byte(`{ "category": "misuse", "type": "triaged" }`), key)
		if st1 != 200 || st2 != 200 || string(b1) != string(b2) || h2.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s, retry %d %s %v", st1, b1, st2, b2, h2)
		}
		// The same key for another event: 422, nothing applied.
		st3, b3, _ := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", []byte(`{"type":"consultation_given","accepted":true}`), key)
		var e errorBody
		_ = json.Unmarshal(b3, &e)
		if st3 != 422 || !strings.Contains(e.Error, "was used for a different event") {
			t.Fatalf("other event with the key: %d %s", st3, b3)
		}
		if v := env.State(s.ID); v["status"] != "consulting" {
			t.Fatalf("state %v", v)
		}
		// A bad key: 400.
		for _, k := range []string{strings.Repeat("k", 129), "ключ"} {
			if st, b, _ := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", ev, http.Header{"Idempotency-Key": {k}}); st != 400 || !strings.Contains(string(b), "Idempotency-Key") {
				t.Errorf("key %q: %d %s", k, st, b)
			}
		}
		if st, _, _ := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", ev, http.Header{"Idempotency-Key": {strings.Repeat("k", 128)}}); st != 409 {
			t.Errorf("key of 128 characters: %d", st)
		}

		// The log: one row for the key, accepted, two attempts.
		rows := eventLog(t, env, s.ID)
		n := 0
		for _, r := range rows {
			if r.IdempotencyKey == "triage-1" {
				n++
				if r.Outcome != "accepted" || r.Attempts != 2 || r.HTTPStatus != 200 {
					t.Errorf("row of the key: %+v", r)
				}
			}
		}
		if n != 1 || housecalltest.Count(kindsOf(rows), "triaged:accepted") != 1 {
			t.Fatalf("log %+v", rows)
		}
		if k := env.Kinds(s.ID); housecalltest.Count(k, "triaged") != 1 {
			t.Fatalf("timeline %v", k)
		}
	})

	t.Run("Idempotency-Key: an outcome not known re-attaches to the update", func(t *testing.T) {
		env := env.For(t)
		var s state
		env.Call("callcentre", "POST", "/v1/requests", body("SR-IN-REATTACH"), 201, &s)
		env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "misuse"})
		// The first call reserved its key and delivered the update, then
		// answered 502 (say Temporal's answer was lost): the log says error.
		ev := sop.Event{Type: sop.EvConsultationGiven, Accepted: new(bool), Actor: sop.Actor{Role: sop.RoleCallCentre}, At: time.Now().UTC()}
		*ev.Accepted = true
		raw := []byte(`{"type":"consultation_given","accepted":true}`)
		rec, created, _, err := env.Store.ReserveEvent(t.Context(), store.EventLog{RequestID: s.ID, Type: string(ev.Type), ActorRole: "callcentre", Body: raw},
			"consult-1", starter.Fingerprint(ev), "consult-1")
		if err != nil || !created {
			t.Fatal(err)
		}
		h, err := env.Temporal.UpdateWorkflow(t.Context(), client.UpdateWorkflowOptions{WorkflowID: s.ID, UpdateID: "consult-1",
			UpdateName: workflows.UpdateEvent, Args: []any{ev}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil || h.Get(t.Context(), nil) != nil {
			t.Fatalf("update: %v", err)
		}
		if err := env.Store.FinishEvent(t.Context(), rec.ID, "error", 502, "the event could not be delivered", nil); err != nil {
			t.Fatal(err)
		}
		// The retry answers the real outcome — 200, applied once — not the 502.
		status, b, _ := post(t, env, "callcentre", "/v1/requests/"+s.ID+"/events", "application/json", raw, http.Header{"Idempotency-Key": {"consult-1"}})
		var v state
		_ = json.Unmarshal(b, &v)
		if status != 200 || v.Status != "consulting" {
			t.Fatalf("retry: %d %s", status, b)
		}
		if k := env.Kinds(s.ID); housecalltest.Count(k, "consultation") != 1 {
			t.Fatalf("timeline %v", k)
		}
		for _, r := range eventLog(t, env, s.ID) {
			if r.IdempotencyKey == "consult-1" && (r.Outcome != "accepted" || r.HTTPStatus != 200 || r.Attempts != 2) {
				t.Fatalf("row %+v", r)
			}
		}
	})

	t.Run("403 does not name the assigned engineer", func(t *testing.T) {
		env := env.For(t)
		var s state
		env.Call("callcentre", "POST", "/v1/requests", requestIn("SR-IN-403", "south"), 201, &s)
		env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "quality"})
		v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": tomorrow, "end": tomorrow.Add(time.Hour)})
		if v["engineer"] != "E-1" {
			t.Fatalf("booking %v", v)
		}
		res := env.Call("engineer:E-2", "GET", "/v1/requests/"+s.ID, nil, 403, nil)
		r := env.Event("engineer:E-2", s.ID, map[string]any{"type": "departed"})
		for _, b := range [][]byte{res.Body, r.Body} {
			if strings.Contains(string(b), "E-1") {
				t.Errorf("403 names the assigned engineer: %s", b)
			}
		}
		if r.Status != 403 || !strings.Contains(string(r.Body), "not assigned") {
			t.Errorf("event of another engineer: %d %s", r.Status, r.Body)
		}
	})

	t.Run("errors name the problem, not the infrastructure", func(t *testing.T) {
		env := env.For(t)
		var h map[string]string
		env.Call("", "GET", "/healthz", nil, 200, &h)
		if h["status"] != "ok" || h["database"] != "ok" {
			t.Fatalf("health %v", h)
		}
		// The same API on a database that is gone.
		st, err := store.Open(context.Background(), env.DBURL)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		srv := &starter.Server{Temporal: env.Temporal, Store: st, TaskQueue: env.Queue, Policy: func(time.Time) sop.Policy { return env.Policy },
			Tokens: []config.Token{{Token: "tok-callcentre", Role: sop.RoleCallCentre}}}
		api := httptest.NewServer(srv.Handler())
		defer api.Close()
		c := &starter.Client{BaseURL: api.URL, Token: "tok-callcentre"}
		res, err := c.Get(t.Context(), "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 503 || strings.TrimSpace(string(res.Body)) != `{"database":"unavailable","status":"unavailable","temporal":"ok"}` {
			t.Fatalf("health: %d %s", res.Status, res.Body)
		}
		res, err = c.Get(t.Context(), "/v1/requests")
		if err != nil {
			t.Fatal(err)
		}
		var e errorBody
		_ = json.Unmarshal(res.Body, &e)
		if res.Status != 500 || e.Error != "the database is unavailable; try again" || e.RequestID == "" || strings.Contains(string(res.Body), "127.0.0.1") {
			t.Fatalf("list: %d %s", res.Status, res.Body)
		}
	})
}

type logRow struct {
	Type           string `json:"type"`
	Outcome        string `json:"outcome"`
	HTTPStatus     int    `json:"http_status"`
	IdempotencyKey string `json:"idempotency_key"`
	Attempts       int    `json:"attempts"`
}

func eventLog(t *testing.T, env *housecalltest.Env, id string) []logRow {
	var evs struct {
		Events []logRow `json:"events"`
	}
	env.Call("auditor", "GET", "/v1/requests/"+id+"/events", nil, 200, &evs)
	return evs.Events
}

func kindsOf(rows []logRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Type + ":" + r.Outcome
	}
	return out
}
