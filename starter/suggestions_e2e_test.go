package starter_test

import (
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

// R12.9 through the API: a suggestion the engineer hears in the home and one
// the centre hears at a follow-up are recorded against the model, reported
// to production, and listed per model for the after-sales manager; the
// history and PostgreSQL agree (the environment's final audit check).
func TestR12_9_SuggestionsPerModel(t *testing.T) {
	p := sop.DefaultPolicy()
	p.DoorEarly = sop.D(48 * time.Hour) // the engineer knocks at once, a day before the slot (R6.4)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-1"}})
	env.AddEngineer("E-1", "south", 0)
	tomorrow := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	id := "SR-IDEA-1"
	env.Call("callcentre", "POST", "/v1/requests", body(id), 201, nil)
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": tomorrow, "end": tomorrow.Add(time.Hour)})
	too := env.Event("engineer:E-1", id, map[string]any{"type": "suggestion", "text": "a quieter spin cycle"})
	if too.Status != 409 {
		t.Fatalf("a suggestion before the visit: %d %s", too.Status, too.Body)
	}
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "arrived"})
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "knocked", "answered": true})
	env.MustEvent("engineer:E-1", id, map[string]any{"type": "suggestion", "text": "a quieter spin cycle"})
	env.MustEvent("callcentre", id, map[string]any{"type": "suggestion", "text": "a longer hose"})
	env.Call("callcentre", "POST", "/v1/requests/"+id+"/events", map[string]any{"type": "suggestion"}, 400, nil)

	var got struct {
		Models []store.ModelSuggestions `json:"models"`
	}
	env.Call("auditor", "GET", "/v1/suggestions?model=WM-7", nil, 200, &got)
	if len(got.Models) != 1 || got.Models[0].Model != "WM-7" || got.Models[0].Count != 2 ||
		got.Models[0].Suggestions[0].Text != "a longer hose" || got.Models[0].Suggestions[1].HeardBy != "engineer:E-1" {
		t.Fatalf("suggestions of WM-7: %+v", got)
	}
	env.Call("auditor", "GET", "/v1/suggestions?model=NOPE", nil, 200, &got)
	if len(got.Models) != 0 {
		t.Fatalf("suggestions of an unknown model: %+v", got)
	}
	env.Call("auditor", "GET", "/v1/suggestions?from=yesterday", nil, 400, nil)
	env.Call("engineer:E-1", "GET", "/v1/suggestions", nil, 403, nil)
	env.Eventually(10*time.Second, "production told", func() bool {
		var ns struct {
			Notifications []store.Outgoing `json:"notifications"`
		}
		env.Call("callcentre", "GET", "/v1/requests/"+id+"/notifications", nil, 200, &ns)
		n := 0
		for _, o := range ns.Notifications {
			if o.Message == "suggestion" && o.Audience == "production" && o.Params["model"] == "WM-7" {
				n++
			}
		}
		return n == 2
	})
}
