package workflows

import (
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// R4.1, the dispatch board: appointment_requested may name the engineer.
// Only that engineer is asked of the calendar; when that engineer cannot
// take the slot, that engineer's nearest slot is proposed to the customer.
func TestR4_1_ChosenEngineer(t *testing.T) {
	t.Run("booked with the chosen engineer", func(t *testing.T) {
		h := newHarness(t)
		h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
		req := h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(apptStart), End: ptr(apptEnd), Engineer: "E-7"})
		h.run(goodRequest(), testPolicy(), time.Hour)
		v := wantOK(t, req)
		wantStatus(t, v, sop.StatusScheduled)
		if v.Engineer != "E-7" {
			t.Fatalf("engineer %q", v.Engineer)
		}
		if len(h.books) != 1 || h.books[0].Only != "E-7" || h.books[0].Prefer != "E-7" || !h.books[0].Propose {
			t.Fatalf("calendar asked %+v", h.books)
		}
		wantDetail(t, h.one(sop.KindAppointmentBooked), "with E-7")
	})
	t.Run("the chosen engineer is busy: that engineer's nearest slot is proposed", func(t *testing.T) {
		h := newHarness(t)
		alt := apptStart.Add(2 * time.Hour)
		h.calendar = func(in BookInput) BookResult {
			if in.Only != "E-7" {
				t.Errorf("calendar asked for %+v", in)
			}
			return BookResult{Outcome: Proposed, Reason: "E-7 busy then, counting travel", Appointment: &Appointment{Engineer: in.Only, Start: alt, End: alt.Add(time.Hour), Travel: sop.D(20 * time.Minute)}}
		}
		h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
		req := h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(apptStart), End: ptr(apptEnd), Engineer: "E-7"})
		h.run(goodRequest(), testPolicy(), time.Hour)
		v := wantOK(t, req)
		wantStatus(t, v, sop.StatusAwaitingCustomer)
		if v.Proposed == nil || !v.Proposed.Start.Equal(alt) {
			t.Fatalf("proposed %+v", v.Proposed)
		}
		wantDetail(t, h.one(sop.KindAppointmentProposed), "E-7 busy", "with E-7")
	})
	t.Run("without the field the region's engineers are asked as before", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		h.run(goodRequest(), testPolicy(), time.Hour)
		if len(h.books) != 1 || h.books[0].Only != "" {
			t.Fatalf("calendar asked %+v", h.books)
		}
	})
}

// The engineer named on appointment_requested must be an engineer's id.
func TestAppointmentRequestedEngineerValidated(t *testing.T) {
	start := apptStart
	end := apptEnd
	ev := sop.Event{Type: sop.EvAppointmentRequested, Start: &start, End: &end, Engineer: "E 1; drop"}
	if f := ev.Validate(); f["engineer"] == "" {
		t.Fatalf("bad engineer id accepted: %v", f)
	}
	ev.Engineer = "E-1"
	if f := ev.Validate(); len(f) != 0 {
		t.Fatalf("good event refused: %v", f)
	}
}
