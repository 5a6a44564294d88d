package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/housecall/housecall/console/browsertest"
	"github.com/housecall/housecall/internal/housecalltest"
)

// The dispatch board in Chromium: a request waiting to be booked is in the
// list; a click on it and on E1's row at 10:00 fills in the form; booking it
// puts it on E1's row with its travel block; booking another into E1's
// taken slot shows the API's answer (another slot proposed); a booking made
// elsewhere appears without a reload (live).
func TestBoardBrowser(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{Engineers: []string{"E1"}, Quiet: true})
	env.AddEngineer("E1", "south", 30)
	env.AddEngineer("E2", "south", 15)
	env.AddEngineer("E3", "south", 45)
	env.AddEngineer("N1", "north", 20)
	day, _ := boardDay(env, 0, 0)
	for i, s := range []struct {
		id, name, eng string
		hour          int
	}{{"SR-2041", "陈静", "E2", 9}, {"SR-2042", "Maria Lopez", "E2", 14}, {"SR-2043", "周强", "E3", 11}, {"SR-2044", "Tom Baker", "N1", 16}} {
		region := "south"
		if s.eng == "N1" {
			region = "north"
		}
		toScheduling(t, env, s.id, region, s.name)
		_, at := boardDay(env, s.hour, 0)
		v := env.MustEvent("callcentre", s.id, map[string]any{"type": "appointment_requested", "start": at, "end": at.Add(90 * 60e9), "engineer": s.eng})
		if v["status"] != "scheduled" || v["engineer"] != s.eng {
			t.Fatalf("setup %d: %v %v", i, v["status"], v["engineer"])
		}
	}
	toScheduling(t, env, "SR-3001", "south", "王芳")
	toScheduling(t, env, "SR-3002", "south", "李雷")
	toScheduling(t, env, "SR-3003", "north", "Anna Schmidt")

	b := browsertest.New(t, env.API.URL, browsertest.DesktopWidth, browsertest.DesktopHeight)
	b.SignIn(env.Token("callcentre"))
	b.Go("/board?day=" + day)
	b.WaitVisible(`#board-unscheduled li[data-request="SR-3001"]`)
	if got := b.Text(`#board-unscheduled li[data-request="SR-3001"]`); !strings.Contains(got, "王芳") || !strings.Contains(got, "WM-7") || !strings.Contains(got, "drum does not spin <b>loud</b>") {
		t.Fatalf("waiting request shows %q", got)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#board-svg g.eng-row').length`); n != 4 {
		t.Fatalf("%d engineer rows, want 4", n)
	}

	// Choose the request, then click E1's row at 10:00.
	b.Click(`#board-unscheduled .pick-request[data-request="SR-3001"]`)
	click := `(() => {
		const lane = document.querySelector('#board-svg .lane[data-engineer="E1"]');
		const box = lane.ownerSVGElement.getBoundingClientRect(), r = lane.getBoundingClientRect();
		const d = lane.ownerSVGElement.dataset;
		lane.dispatchEvent(new MouseEvent("click", {bubbles: true, clientX: box.left + (+d.labelW) + (10 - d.firstHour) * d.hourW + 5, clientY: r.top + 20}));
		return [document.querySelector("#book-request").value, document.querySelector("#book-engineer").value, document.querySelector("#book-time").value].join(" ");
	})()`
	if got := browsertest.Eval[string](b, click); got != "SR-3001 E1 10:00" {
		t.Fatalf("the form after the clicks: %q", got)
	}
	b.ClickAndLoad("#book-submit")
	if msg := b.WaitText("#board-result", "Booked"); !strings.Contains(msg, "SR-3001 with E1") {
		t.Fatalf("booking answer %q", msg)
	}
	appt := `#board-svg g.appt[data-request="SR-3001"][data-engineer="E1"]`
	b.WaitVisible(appt + " rect.visit")
	// 10:00 is 3 hours from 07:00; the 30 min of travel end there.
	geo := browsertest.Eval[string](b, fmt.Sprintf(`(() => { const g = document.querySelector(%q), d = document.querySelector("#board-svg").dataset;
		const t = g.querySelector("rect.travel"), v = g.querySelector("rect.visit");
		const x0 = +d.labelW + 3 * d.hourW, tw = Math.floor(d.hourW / 2);
		return [+t.getAttribute("x") === x0 - tw, +t.getAttribute("width") === tw, +v.getAttribute("x") === x0].join(" "); })()`, appt))
	if geo != "true true true" {
		t.Fatalf("SR-3001's travel and visit (travel x, width, visit x): %q", geo)
	}
	if b.Exists(`#board-unscheduled li[data-request="SR-3001"]`) {
		t.Fatal("SR-3001 still waiting")
	}

	// Another request into E1's taken slot: the API proposes E1's nearest.
	b.Set("#book-request", "SR-3002")
	b.Set("#book-engineer", "E1")
	b.Set("#book-time", "10:30")
	b.ClickAndLoad("#book-submit")
	msg := b.WaitText("#board-result", "proposed")
	if !strings.Contains(msg, "E1 busy") || !strings.Contains(msg, "with E1") {
		t.Fatalf("taken slot answer %q", msg)
	}
	if v := env.State("SR-3002"); v["status"] != "awaiting_customer" {
		t.Fatalf("SR-3002: %v", v["status"])
	}
	b.WaitText(`#board-unscheduled li[data-request="SR-3002"]`, "proposed to the customer")

	// Live: a booking made through the API elsewhere appears on the board.
	_, at := boardDay(env, 12, 0)
	env.MustEvent("callcentre", "SR-3003", map[string]any{"type": "appointment_requested", "start": at, "end": at.Add(60 * 60e9), "engineer": "N1"})
	b.WaitVisible(`#board-svg g.appt[data-request="SR-3003"][data-engineer="N1"]`)
	b.WaitGone(`#board-unscheduled li[data-request="SR-3003"]`)
	b.Screenshot("board")
}
