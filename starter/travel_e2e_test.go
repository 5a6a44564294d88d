package starter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/sop"
)

// R5.2: sop.default_travel is the travel of an engineer put on the roster
// without travel_minutes; the booking, its departure and the R4.1 check use
// it (37 min here, no other key's default).
func TestR5_2_DefaultTravelOfTheRoster(t *testing.T) {
	p := sop.DefaultPolicy()
	p.DefaultTravel = sop.D(37 * time.Minute)
	env := housecalltest.Start(t, housecalltest.Options{Policy: &p, Engineers: []string{"E-37"}})
	env.Call("admin", "POST", "/v1/engineers", map[string]any{"id": "E-37", "name": "Engineer 37", "region": "west"}, 201, nil)
	var roster struct {
		Engineers []struct {
			ID            string `json:"id"`
			TravelMinutes int    `json:"travel_minutes"`
		} `json:"engineers"`
	}
	env.Call("callcentre", "GET", "/v1/engineers?region=west", nil, 200, &roster)
	if len(roster.Engineers) != 1 || roster.Engineers[0].TravelMinutes != 37 {
		t.Fatalf("roster %+v, want E-37 with 37 min of travel", roster.Engineers)
	}
	id := "SR-TRAVEL-37"
	env.Call("callcentre", "POST", "/v1/requests", requestIn(id, "west"), 201, nil)
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	start := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})
	if v["engineer"] != "E-37" {
		t.Fatalf("booked %v", v)
	}
	for _, e := range timeline(env, id) {
		if e.Kind == "appointment_booked" {
			if !strings.Contains(e.Detail, "travel 37m") {
				t.Fatalf("booked %q, want travel 37m", e.Detail)
			}
			return
		}
	}
	t.Fatal("no appointment_booked entry")
}
