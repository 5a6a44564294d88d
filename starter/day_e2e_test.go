package starter_test

import (
	"testing"
	"time"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/store"
)

// An engineer's day through the API: the booked job with the customer's
// address, in the service area's day; an engineer sees only their own day.
func TestEngineersDay(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E-1", "E-2"}})
	env.AddEngineer("E-1", "south", 25)
	env.AddEngineer("E-2", "south", 0)
	day := time.Now().In(time.Local).AddDate(0, 0, 2)
	start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, time.Local)
	id := "SR-DAY-1"
	env.Call("callcentre", "POST", "/v1/requests", body(id), 201, nil)
	env.MustEvent("callcentre", id, map[string]any{"type": "triaged", "category": "quality"})
	v := env.MustEvent("callcentre", id, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})
	eng := v["engineer"].(string)
	var got struct {
		Engineer string         `json:"engineer"`
		Date     string         `json:"date"`
		Jobs     []store.DayJob `json:"jobs"`
	}
	date := start.Format("2006-01-02")
	env.Call("engineer:"+eng, "GET", "/v1/engineers/"+eng+"/day?date="+date, nil, 200, &got)
	if got.Date != date || len(got.Jobs) != 1 || got.Jobs[0].RequestID != id || !got.Jobs[0].Start.Equal(start) ||
		got.Jobs[0].Customer.Address == "" || got.Jobs[0].Model != "WM-7" {
		t.Fatalf("%s's day: %+v", eng, got)
	}
	other := "E-2"
	if eng == "E-2" {
		other = "E-1"
	}
	env.Call("engineer:"+other, "GET", "/v1/engineers/"+eng+"/day", nil, 403, nil)
	env.Call("callcentre", "GET", "/v1/engineers/"+other+"/day?date="+date, nil, 200, &got)
	if len(got.Jobs) != 0 {
		t.Fatalf("%s's day: %+v", other, got.Jobs)
	}
	env.Call("callcentre", "GET", "/v1/engineers/E-9/day", nil, 404, nil)
	env.Call("callcentre", "GET", "/v1/engineers/E-1/day?date=tomorrow", nil, 400, nil)
}
