package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// The customer's own link (web console /c/{token}) acts as sop.RoleCustomer
// whose subject is the request id.
var customer = sop.Actor{Role: sop.RoleCustomer, Subject: wftest.Request().ID}

func customerBooked(h *wftest.Harness) {
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.Book(2 * time.Minute)
}

// R4.1: the customer confirms the booked appointment: a timeline entry, no
// change of state; twice is refused; another request's customer is refused.
func TestCustomerConfirmsTheAppointment(t *testing.T) {
	h := wftest.New(t)
	customerBooked(h)
	other := h.Send(3*time.Minute, sop.Actor{Role: sop.RoleCustomer, Subject: "SR-OTHER"}, sop.Event{Type: sop.EvAppointmentConfirmed})
	ok := h.Send(4*time.Minute, customer, sop.Event{Type: sop.EvAppointmentConfirmed})
	again := h.Send(5*time.Minute, customer, sop.Event{Type: sop.EvAppointmentConfirmed})
	engineer := h.Eng(6*time.Minute, sop.Event{Type: sop.EvAppointmentConfirmed})
	h.Run(10 * time.Minute)

	wftest.MustReject(t, other, workflows.ErrNotAssigned, "may not act on request")
	v := wftest.MustOK(t, ok)
	if v.Status != sop.StatusScheduled || !v.AppointmentConfirmed {
		t.Fatalf("after the confirmation %+v", v)
	}
	wftest.MustReject(t, again, workflows.ErrNotValidNow, "already confirmed")
	wftest.MustReject(t, engineer, workflows.ErrNotAssigned, "may not send appointment_confirmed")
	es := h.OnlyRule(sop.KindCustomerContact, sop.R4_1)
	if len(es) != 1 || es[0].Outcome != sop.OutAccepted || !strings.Contains(es[0].Detail, "customer confirms the appointment") ||
		es[0].Actor != customer.String() {
		t.Fatalf("entries %+v:%s", es, h.Timeline())
	}
}

// R4.1: the customer asks for another time: the centre is told, the request
// waits for its new booking (appointment_requested), which answers it.
func TestCustomerAsksForAnotherTime(t *testing.T) {
	h := wftest.New(t)
	customerBooked(h)
	pref := wftest.T0.Add(29 * time.Hour)
	noReason := h.Send(3*time.Minute, customer, sop.Event{Type: sop.EvRescheduleRequested})
	ask := h.Send(4*time.Minute, customer, sop.Event{Type: sop.EvRescheduleRequested, Reason: "at work that afternoon",
		Start: wftest.Ptr(pref), End: wftest.Ptr(pref.Add(2 * time.Hour))})
	twice := h.Send(5*time.Minute, customer, sop.Event{Type: sop.EvRescheduleRequested, Reason: "again"})
	rebook := h.CC(10*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(pref), End: wftest.Ptr(pref.Add(2 * time.Hour))})
	after := h.ViewAt(11 * time.Minute)
	h.Run(15 * time.Minute)

	if noReason.Done && noReason.Rejected == nil && noReason.Err == nil {
		t.Fatalf("a request for another time without a reason was taken: %s", noReason)
	}
	v := wftest.MustOK(t, ask)
	if v.Reschedule == nil || v.Reschedule.Reason != "at work that afternoon" || !v.Reschedule.Start.Equal(pref) {
		t.Fatalf("view %+v", v.Reschedule)
	}
	waits := false
	for _, p := range v.Pending {
		waits = waits || (p.Event == sop.EvAppointmentRequested && p.Rule == sop.R4_1)
	}
	if !waits {
		t.Fatalf("pending %+v lacks appointment_requested", v.Pending)
	}
	wftest.MustReject(t, twice, workflows.ErrNotValidNow, "already asked for")
	ns := h.NotesTo(sop.MsgEscalation, sop.ToCentre)
	if len(ns) != 1 || !strings.Contains(ns[0].Params["what"], "another time") || ns[0].Params["start"] != pref.Format(time.RFC3339) {
		t.Fatalf("centre notified %+v", ns)
	}
	if len(h.OnlyRule(sop.KindCentreNotified, sop.R4_1)) != 1 {
		t.Fatalf("timeline:%s", h.Timeline())
	}
	wftest.MustOK(t, rebook)
	if after.Reschedule != nil {
		t.Fatalf("the new booking left the request for another time open: %+v", after.Reschedule)
	}
	for _, p := range after.Pending {
		if p.Event == sop.EvAppointmentRequested {
			t.Fatalf("still waits for a booking: %+v", after.Pending)
		}
	}
}

// R10.2: after the visit the customer confirms it with a rating, in their
// own name; the view names the visit to confirm until then.
func TestCustomerConfirmsSatisfactionWithARating(t *testing.T) {
	h := wftest.New(t)
	start, done := 5*time.Hour, 5*time.Hour+30*time.Minute
	h.CC(30*time.Second, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.CC(time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.T0.Add(start)), End: wftest.Ptr(wftest.T0.Add(start + 2*time.Hour))})
	h.Eng(start-40*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(start-5*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(start, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
	h.Eng(start+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: wftest.Ptr(true)})
	h.Eng(start+20*time.Minute, sop.Event{Type: sop.EvWorkExplained, Accepted: wftest.Ptr(true), Minutes: wftest.Ptr(30), Fee: wftest.Ptr(0.0)})
	h.Eng(done, sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(true), FixCertain: wftest.Ptr(true),
		Record: &sop.ServiceRecord{Cause: "firing defect", Measures: "replaced 3 tiles"}, Checklist: wftest.Checklist(sop.EvCompleted)})
	before := h.ViewAt(done + time.Minute)
	ok := h.Send(done+2*time.Minute, customer, sop.Event{Type: sop.EvSatisfactionConfirmed, Visit: wftest.Ptr(1), Satisfied: wftest.Ptr(true), Rating: wftest.Ptr(4)})
	after := h.ViewAt(done + 3*time.Minute)
	h.Run(done + 10*time.Minute)

	if before.ConfirmVisit != 1 {
		t.Fatalf("before: confirm_visit %d, pending %+v", before.ConfirmVisit, before.Pending)
	}
	wftest.MustOK(t, ok)
	if after.ConfirmVisit != 0 {
		t.Fatalf("after: confirm_visit %d", after.ConfirmVisit)
	}
	es := h.OnlyRule(sop.KindSatisfactionConfirmed, sop.R10_2)
	if len(es) != 1 || es[0].Outcome != sop.OutConfirmed || !strings.Contains(es[0].Detail, "rated 4/5") ||
		!strings.Contains(es[0].Detail, "customer's link") || es[0].Actor != customer.String() {
		t.Fatalf("entries %+v:%s", es, h.Timeline())
	}
}
