package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// The appointment every visit test books: Tuesday 10:00–11:00 local, 25 h
// after t0; engineer E-1 with 30 min travel.
var (
	apptStart = t0.Add(25 * time.Hour)
	apptEnd   = apptStart.Add(time.Hour)
)

// booked triages the request as a quality fault and books the appointment.
func (h *harness) booked() *result {
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	return h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(apptStart), End: ptr(apptEnd)})
}

// atDoor books, departs and arrives at apptStart-5m (on time).
func (h *harness) atDoor() time.Duration {
	h.booked()
	h.eng(24*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDeparted, ETA: ptr(apptStart.Add(-8 * time.Minute))})
	h.eng(25*time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
	return 25*time.Hour - 5*time.Minute
}

// inService gets the engineer through the door at apptStart.
func (h *harness) inService() time.Duration {
	h.atDoor()
	h.eng(25*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	return 25 * time.Hour
}

// diagnosedOnsite is the diagnosis a visit needs before it is completed (R7.1).
func diagnosedOnsite() sop.Event {
	return sop.Event{Type: sop.EvDiagnosed, Cause: "glaze defect", Onsite: ptr(true)}
}

func completed(satisfied, signed, certain bool) sop.Event {
	return sop.Event{Type: sop.EvCompleted, QualityRating: ptr(4), AttitudeRating: ptr(5), Satisfied: ptr(satisfied),
		SignedByCustomer: ptr(signed), FixCertain: ptr(certain),
		Record: &sop.ServiceRecord{Cause: "firing defect", Measures: "replaced 3 tiles", PartsUsed: []string{"CT-800 tile"}, Charge: 0}}
}

// R4.1: the requested slot is booked with a free engineer of the region.
func TestR4_1_RequestedSlotIsBooked(t *testing.T) {
	h := newHarness(t)
	book := h.booked()
	h.run(goodRequest(), testPolicy(), 3*time.Hour)
	v := wantOK(t, book)
	wantStatus(t, v, sop.StatusScheduled)
	if v.Engineer != "E-1" || v.Appointment == nil || !v.Appointment.Start.Equal(apptStart) {
		t.Fatalf("view %+v", v)
	}
	e := h.one(sop.KindAppointmentBooked)
	wantRule(t, e, sop.R4_1)
	wantDetail(t, e, "2026-03-03 10:00–11:00", "E-1", "travel 30m")
	if n := h.notes(sop.MsgNewJob); len(n) != 1 || n[0].Recipient != "E-1" {
		t.Fatalf("engineer not told: %+v", n)
	}
	if b := h.books[0]; b.Region != "north" || b.Key == "" || !b.Propose {
		t.Fatalf("booking input %+v", b)
	}
}

// R4.1: on conflict the slot goes to another free engineer of the region
// (reassigned); with nobody free the nearest free slot is proposed, and the
// customer's consent books it, or their refusal hands the request back.
func TestR4_1_ConflictReassignsOrProposes(t *testing.T) {
	t.Run("proposal accepted", func(t *testing.T) {
		h := newHarness(t)
		alt := apptStart.Add(3 * time.Hour)
		calls := 0
		h.calendar = func(in BookInput) BookResult {
			calls++
			if calls == 1 {
				return BookResult{Outcome: Proposed, Reason: "E-1 busy then, counting travel", Appointment: &Appointment{Engineer: "E-1", Start: alt, End: alt.Add(time.Hour), Travel: sop.D(30 * time.Minute)}}
			}
			return BookResult{Outcome: Booked, Appointment: &Appointment{ID: 9, Engineer: in.Only, Start: in.Start, End: in.End, Travel: sop.D(30 * time.Minute)}}
		}
		req := h.booked()
		before := h.viewAt(time.Hour)
		ans := h.cc(2*time.Hour, sop.Event{Type: sop.EvAppointmentAnswer, Accepted: ptr(true)})
		h.run(goodRequest(), testPolicy(), 3*time.Hour)
		wantStatus(t, wantOK(t, req), sop.StatusAwaitingCustomer)
		wantPending(t, *before, sop.EvAppointmentAnswer)
		if before.Proposed == nil || !before.Proposed.Start.Equal(alt) {
			t.Fatalf("proposed %+v", before.Proposed)
		}
		p := h.one(sop.KindAppointmentProposed)
		wantRule(t, p, sop.R4_1)
		wantDetail(t, p, "apologised", "13:00–14:00", "E-1 busy")
		if len(h.notes(sop.MsgAppointmentProposal)) != 1 {
			t.Fatal("customer not asked")
		}
		v := wantOK(t, ans)
		wantStatus(t, v, sop.StatusScheduled)
		if !v.Appointment.Start.Equal(alt) || h.books[1].Only != "E-1" {
			t.Fatalf("booked %+v with %+v", v.Appointment, h.books[1])
		}
	})
	t.Run("proposal refused hands back to the centre", func(t *testing.T) {
		h := newHarness(t)
		alt := apptStart.Add(3 * time.Hour)
		h.calendar = func(in BookInput) BookResult {
			return BookResult{Outcome: Proposed, Reason: "E-1 busy", Appointment: &Appointment{Engineer: "E-1", Start: alt, End: alt.Add(time.Hour)}}
		}
		h.booked()
		ans := h.cc(2*time.Hour, sop.Event{Type: sop.EvAppointmentAnswer, Accepted: ptr(false)})
		h.run(goodRequest(), testPolicy(), 3*time.Hour)
		v := wantOK(t, ans)
		wantStatus(t, v, sop.StatusScheduling)
		wantPending(t, v, sop.EvAppointmentRequested)
		wantRule(t, h.one(sop.KindAppointmentDeclined), sop.R4_1)
		wantRule(t, h.one(sop.KindCentreNotified), sop.R4_1)
	})
	t.Run("nobody in the region", func(t *testing.T) {
		h := newHarness(t)
		h.calendar = func(BookInput) BookResult {
			return BookResult{Outcome: NoSlot, Reason: `no active engineer in region "north"`}
		}
		req := h.booked()
		h.run(goodRequest(), testPolicy(), time.Hour)
		wantStatus(t, wantOK(t, req), sop.StatusScheduling)
		wantDetail(t, h.one(sop.KindCentreNotified), "no active engineer")
	})
}

// R4.1: a rebooking prefers the engineer already on the request; when they
// are busy another takes it and the request says it was reassigned.
func TestR4_1_RebookingPrefersTheSameEngineer(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+30*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "loose drum", Onsite: ptr(true)})
	h.eng(25*time.Hour+50*time.Minute, completed(false, true, true))
	second := apptStart.Add(48 * time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.calendar = func(in BookInput) BookResult {
			return BookResult{Outcome: Booked, PreferredBusy: true, Appointment: &Appointment{ID: 2, Engineer: "E-2", Start: in.Start, End: in.End, Travel: sop.D(20 * time.Minute)}}
		}
	}, 26*time.Hour)
	rb := h.cc(27*time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(second), End: ptr(second.Add(time.Hour))})
	h.run(goodRequest(), testPolicy(), 28*time.Hour)
	v := wantOK(t, rb)
	if v.Engineer != "E-2" {
		t.Fatalf("engineer %s", v.Engineer)
	}
	if h.books[1].Prefer != "E-1" {
		t.Fatalf("rebooking did not prefer E-1: %+v", h.books[1])
	}
	r := h.one(sop.KindReassigned)
	wantRule(t, r, sop.R4_1)
	wantDetail(t, r, "E-1 cannot take", "reassigned to E-2")
}

// R4.2: the booking is confirmed to the customer (time, address, model,
// purchase date, symptoms); a mismatch is re-confirmed and the visit follows
// the confirmed data.
func TestR4_2_ConfirmationAndMismatchedData(t *testing.T) {
	h := newHarness(t)
	h.booked()
	fix := h.cc(time.Hour, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "北京市朝阳区建国路 88 号 6-602"}})
	h.run(goodRequest(), testPolicy(), 2*time.Hour)

	// The booking's confirmation, then the corrected one (rulesComplete).
	cs := h.only(sop.KindCustomerNotified)
	if len(cs) != 2 || cs[0].Rule != sop.R4_2 || cs[1].Rule != sop.R4_2 || cs[1].Outcome != sop.OutConfirmed {
		t.Fatalf("confirmations %+v", cs)
	}
	n := h.notes(sop.MsgAppointmentConfirm)
	if len(n) != 2 || n[0].Recipient != "+86 138 0013 8000" || n[1].Recipient != "+86 138 0013 8000" {
		t.Fatalf("confirmation %+v", n)
	}
	for _, k := range []string{"start", "end", "address", "model", "purchase_date", "symptoms"} {
		if n[0].Params[k] == "" {
			t.Errorf("confirmation lacks %s: %v", k, n[0].Params)
		}
	}
	if n[1].Params["address"] != "北京市朝阳区建国路 88 号 6-602" {
		t.Fatalf("corrected confirmation %+v", n[1].Params)
	}
	v := wantOK(t, fix)
	wantStatus(t, v, sop.StatusScheduled)
	if v.Customer.Address != "北京市朝阳区建国路 88 号 6-602" {
		t.Fatalf("address %q", v.Customer.Address)
	}
	ver := h.one(sop.KindVerified)
	wantRule(t, ver, sop.R4_2)
	wantDetail(t, ver, "customer.address", "follows the confirmed data")
	jobs := h.notes(sop.MsgNewJob)
	if len(jobs) != 2 || jobs[1].Params["address"] != "北京市朝阳区建国路 88 号 6-602" {
		t.Fatalf("engineer not sent the confirmed address: %+v", jobs)
	}
}

// R4.3: a customer who does not answer is called again
// sop.call_again_after later by whoever called; the visit stays as planned.
// (When the next try would come after the departure, the engineer goes as
// planned and the centre gets the interim result: audit's rule cases.)
func TestR4_3_UnansweredPhone(t *testing.T) {
	h := newHarness(t)
	h.booked()
	un := h.eng(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
	h.run(goodRequest(), testPolicy(), 2*time.Hour)
	wantStatus(t, wantOK(t, un), sop.StatusScheduled)
	c := h.one(sop.KindCustomerContact)
	wantRule(t, c, sop.R4_3)
	wantDetail(t, c, "engineer calls again at 2026-03-02 10:30 (30m later)")
	again := h.one(sop.KindCallAgain)
	wantRule(t, again, sop.R4_3)
	wantAt(t, again, t0.Add(time.Hour+30*time.Minute))
	if n := h.notes(sop.MsgCallAgain); len(n) != 1 || n[0].Recipient != "E-1" || n[0].Params["attempt"] != "2" {
		t.Fatalf("engineer not told to call again: %+v", n)
	}
}

// R4.4: an angry customer is heard; with consent the visit stays, without it
// the request goes back to the centre and the slot is freed.
func TestR4_4_AngryCustomer(t *testing.T) {
	t.Run("consents", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		r := h.cc(time.Hour, sop.Event{Type: sop.EvCustomerAngry, Consented: ptr(true), Note: "second fault this year"})
		h.run(goodRequest(), testPolicy(), 2*time.Hour)
		wantStatus(t, wantOK(t, r), sop.StatusScheduled)
		e := h.one(sop.KindCustomerContact)
		wantRule(t, e, sop.R4_4)
		wantDetail(t, e, "consented", "second fault this year")
	})
	t.Run("refuses", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		r := h.cc(time.Hour, sop.Event{Type: sop.EvCustomerAngry, Consented: ptr(false)})
		h.run(goodRequest(), testPolicy(), 2*time.Hour)
		v := wantOK(t, r)
		wantStatus(t, v, sop.StatusScheduling)
		if v.Appointment != nil {
			t.Fatal("appointment kept")
		}
		if rel := h.released(); len(rel) != 1 || rel[0] != 1 {
			t.Fatalf("released %v", rel)
		}
		wantRule(t, h.one(sop.KindCentreNotified), sop.R4_4)
	})
}

// released lists the appointments the commits released.
func (h *harness) released() []int64 {
	var out []int64
	for _, c := range h.commits {
		if c.ReleaseAppointment != 0 {
			out = append(out, c.ReleaseAppointment)
		}
	}
	return out
}

// R4.5: a customer never reachable: the engineer goes to the address, and
// when nobody is in leaves a note with the service number.
func TestR4_5_NeverReachable(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	h.booked()
	h.eng(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
	h.eng(5*time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
	h.eng(25*time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
	knock := 25 * time.Hour
	h.eng(knock, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
	h.eng(knock+6*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: ptr(false)})
	note := h.eng(knock+10*time.Minute, sop.Event{Type: sop.EvNoteLeft})
	h.run(goodRequest(), p, 27*time.Hour)
	contacts := h.only(sop.KindCustomerContact)
	if len(contacts) != 2 || contacts[1].Rule != sop.R4_5 {
		t.Fatalf("contacts %+v", contacts)
	}
	wantStatus(t, wantOK(t, note), sop.StatusScheduling)
	wantRule(t, h.one(sop.KindNoteLeft), sop.R4_5)
}

// R5.1, R5.2: the engineer is reminded to leave at appointment − travel −
// sop.arrive_early, with the toolkit self-check.
func TestR5_2_DepartureReminderAtTheRightTime(t *testing.T) {
	h := newHarness(t)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, OnsiteRepairable: ptr(false)})
	h.cc(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(apptStart), End: ptr(apptEnd)})
	h.run(goodRequest(), testPolicy(), 25*time.Hour)
	d := h.one(sop.KindDepartureReminder)
	wantRule(t, d, sop.R5_2)
	wantAt(t, d, apptStart.Add(-30*time.Minute-10*time.Minute))
	wantDetail(t, d, "10m before", "travel 30m", "R5.1", "loaner unit", "shoe covers", "ID badge", "receipt")
	if n := h.notes(sop.MsgDepartNow); len(n) != 1 || n[0].Params["loaner"] != "yes" {
		t.Fatalf("depart notice %+v", n)
	}
}

// R5.2: the early margin is policy: with 5 min it moves the reminder.
func TestR5_2_ArriveEarlyIsPolicy(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	p.ArriveEarly = sop.D(5 * time.Minute)
	h.booked()
	h.run(goodRequest(), p, 25*time.Hour)
	wantAt(t, h.one(sop.KindDepartureReminder), apptStart.Add(-35*time.Minute))
}

// R5.3: a delay on the way: the customer is called in advance with an
// apology, the centre may reschedule or reassign.
func TestR5_3_DelayOnTheWay(t *testing.T) {
	h := newHarness(t)
	h.booked()
	h.eng(24*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDeparted, ETA: ptr(apptStart.Add(-8 * time.Minute))})
	del := h.eng(24*time.Hour+40*time.Minute, sop.Event{Type: sop.EvDelayed, Minutes: ptr(25), Reason: "traffic jam on the 3rd ring road"})
	h.env.RegisterDelayedCallback(func() {
		h.calendar = func(in BookInput) BookResult {
			return BookResult{Outcome: Booked, Appointment: &Appointment{ID: 5, Engineer: "E-2", Start: in.Start, End: in.End, Travel: sop.D(10 * time.Minute)}}
		}
	}, 24*time.Hour+41*time.Minute)
	re := h.cc(24*time.Hour+42*time.Minute, sop.Event{Type: sop.EvReassign})
	h.run(goodRequest(), testPolicy(), 25*time.Hour+30*time.Minute)

	wantStatus(t, wantOK(t, del), sop.StatusEnRoute)
	var delay *Entry
	for _, e := range h.only(sop.KindCustomerNotified) {
		if e.Rule == sop.R5_3 {
			delay = &e
		}
	}
	if delay == nil {
		t.Fatalf("no R5.3 notice: %v", h.kinds())
	}
	wantDetail(t, *delay, "25 min", "traffic jam", "apology")
	if n := h.notes(sop.MsgDelayApology); len(n) != 1 || n[0].Params["minutes"] != "25" {
		t.Fatalf("apology %+v", n)
	}
	v := wantOK(t, re)
	if v.Engineer != "E-2" {
		t.Fatalf("engineer %s", v.Engineer)
	}
	if b := h.books[1]; b.Exclude != "E-1" || b.Release != 1 || b.Propose {
		t.Fatalf("reassign booking %+v", b)
	}
	wantRule(t, h.one(sop.KindReassigned), sop.R5_3)
	if w := h.notes(sop.MsgJobWithdrawn); len(w) != 1 || w[0].Recipient != "E-1" {
		t.Fatalf("E-1 not told: %+v", w)
	}
}

// R6.2, R6.3: the door protocol. After an unanswered knock: a knock prompt
// every sop.knock_interval (ten in five minutes), the call at exactly
// sop.call_after, then neighbours/downstairs/note, and after the note the
// centre is told and the request goes back to booking.
func TestR6_3_DoorProtocol(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	knock := 25 * time.Hour
	h.eng(knock, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
	early := h.eng(knock+4*time.Minute, sop.Event{Type: sop.EvNoteLeft})
	afterCall := h.viewAt(knock + 5*time.Minute + time.Second)
	cr := h.eng(knock+6*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: ptr(false)})
	note := h.eng(knock+12*time.Minute, sop.Event{Type: sop.EvNoteLeft})
	h.run(goodRequest(), testPolicy(), 27*time.Hour)

	k := h.one(sop.KindKnocked)
	wantRule(t, k, sop.R6_2)
	prompts := h.only(sop.KindKnockPrompt)
	if len(prompts) != 10 {
		t.Fatalf("%d knock prompts, want 10", len(prompts))
	}
	for i, p := range prompts {
		wantRule(t, p, sop.R6_3)
		wantAt(t, p, t0.Add(knock+time.Duration(i+1)*30*time.Second))
		wantDetail(t, p, fmt.Sprintf("(%d of 10", i+1))
	}
	call := h.one(sop.KindCallCustomer)
	wantAt(t, call, t0.Add(knock+5*time.Minute))
	kinds := h.kinds()
	if idx(kinds, sop.KindCallCustomer) < lastIdx(kinds, sop.KindKnockPrompt) {
		t.Fatal("the call came before the tenth knock prompt")
	}
	if len(h.notes(sop.MsgKnockAgain)) != 10 || len(h.notes(sop.MsgCallCustomer)) != 1 || len(h.notes(sop.MsgAtYourDoor)) != 1 {
		t.Fatal("engineer/customer not prompted")
	}
	wantRejected(t, early, ErrNotValidNow, "knock")
	wantPending(t, *afterCall, sop.EvCallResult)

	wantOK(t, cr)
	wantDetail(t, h.one(sop.KindLeaveNote), "neighbours", "downstairs", "service number")
	v := wantOK(t, note)
	wantStatus(t, v, sop.StatusScheduling)
	wantRule(t, h.one(sop.KindNoteLeft), sop.R6_3)
	cn := h.only(sop.KindCentreNotified)
	wantRule(t, cn[len(cn)-1], sop.R6_3)
	if len(h.notes(sop.MsgRebook)) != 1 {
		t.Fatal("centre not told to rebook")
	}
	if rel := h.released(); len(rel) != 1 {
		t.Fatalf("appointment not released: %v", rel)
	}
}

func idx(ks []sop.Kind, k sop.Kind) int {
	for i, x := range ks {
		if x == k {
			return i
		}
	}
	return -1
}

func lastIdx(ks []sop.Kind, k sop.Kind) int {
	for i := len(ks) - 1; i >= 0; i-- {
		if ks[i] == k {
			return i
		}
	}
	return -1
}

// R6.3: the door answered at any moment ends the protocol.
func TestR6_3_DoorAnsweredEndsTheProtocol(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	knock := 25 * time.Hour
	h.eng(knock, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
	open := h.eng(knock+95*time.Second, sop.Event{Type: sop.EvDoorAnswered})
	h.run(goodRequest(), testPolicy(), 27*time.Hour)
	if n := len(h.only(sop.KindKnockPrompt)); n != 3 {
		t.Fatalf("%d prompts before the door opened at 95 s, want 3", n)
	}
	h.none(sop.KindCallCustomer)
	v := wantOK(t, open)
	wantStatus(t, v, sop.StatusInService)
	wantDetail(t, h.one(sop.KindDoorAnswered), "after 1m35s of knocking (3 prompts)", "ID badge", "shoe covers", "R6.9")
}

// R6.3 with the durations of the done-means: 300 ms and 3 s.
func TestR6_3_ShortDurations(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	p.KnockInterval = sop.D(300 * time.Millisecond)
	p.CallAfter = sop.D(3 * time.Second)
	h.atDoor()
	knock := 25 * time.Hour
	h.eng(knock, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
	h.run(goodRequest(), p, knock+time.Minute)
	prompts := h.only(sop.KindKnockPrompt)
	if len(prompts) != 10 {
		t.Fatalf("%d prompts, want 10", len(prompts))
	}
	wantAt(t, prompts[9], t0.Add(knock+3*time.Second))
	wantAt(t, h.one(sop.KindCallCustomer), t0.Add(knock+3*time.Second))
}

// R6.4: arriving on time or a little early is recorded as such.
func TestR6_4_ArrivalOnTime(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	a := h.one(sop.KindArrived)
	wantRule(t, a, sop.R6_4)
	wantDetail(t, a, "5m before the appointment", "ID badge", "R6.1")
	h.none(sop.KindLate)
}

// R6.5: not at the door 2 min before: call the customer; under 15 min late:
// apologise; 15 min or more: sincere apology and gift, and the manager
// visits if the apology is not accepted.
func TestR6_5_Lateness(t *testing.T) {
	t.Run("minor", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		arr := h.eng(25*time.Hour+8*time.Minute, sop.Event{Type: sop.EvArrived})
		h.run(goodRequest(), testPolicy(), 26*time.Hour)
		lates := h.only(sop.KindLate)
		if len(lates) != 2 {
			t.Fatalf("late entries %+v", lates)
		}
		wantAt(t, lates[0], apptStart.Add(-2*time.Minute))
		wantDetail(t, lates[0], "call the customer now and apologise")
		wantDetail(t, lates[1], "late 8m", "apologise", "rebook")
		v := wantOK(t, arr)
		for _, p := range pendingEvents(v) {
			if p == sop.EvApologyAnswer {
				t.Fatal("apology answer awaited for a minor delay")
			}
		}
	})
	t.Run("major, apology refused", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		arr := h.eng(25*time.Hour+20*time.Minute, sop.Event{Type: sop.EvArrived})
		ans := h.eng(25*time.Hour+21*time.Minute, sop.Event{Type: sop.EvApologyAnswer, Accepted: ptr(false)})
		h.run(goodRequest(), testPolicy(), 26*time.Hour)
		wantPending(t, wantOK(t, arr), sop.EvApologyAnswer)
		lates := h.only(sop.KindLate)
		wantDetail(t, lates[len(lates)-1], "late 20m", "sincere apology", "small gift")
		wantOK(t, ans)
		m := h.one(sop.KindManagerVisit)
		wantRule(t, m, sop.R6_5)
		if len(h.notes(sop.MsgManagerVisit)) != 1 {
			t.Fatal("manager not told")
		}
	})
	t.Run("major, apology accepted", func(t *testing.T) {
		h := newHarness(t)
		h.booked()
		h.eng(25*time.Hour+15*time.Minute, sop.Event{Type: sop.EvArrived})
		ans := h.eng(25*time.Hour+16*time.Minute, sop.Event{Type: sop.EvApologyAnswer, Accepted: ptr(true)})
		h.run(goodRequest(), testPolicy(), 26*time.Hour)
		wantOK(t, ans)
		h.none(sop.KindManagerVisit)
	})
}

// R6.6–R6.8: every reason of a refused entry is handled as the SOP says.
func TestR6_6to8_EntryRefused(t *testing.T) {
	cases := []struct {
		name    string
		ev      sop.Event
		rule    sop.Rule
		status  sop.Status
		manager bool
		says    string
	}{
		{"R6.6 not home", sop.Event{Reason: sop.RefusedNotHome}, sop.R6_6, sop.StatusScheduling, false, "not at home"},
		{"R6.6 helper refuses, rebook", sop.Event{Reason: sop.RefusedHelperRefuses}, sop.R6_6, sop.StatusScheduling, false, "helper"},
		{"R6.6 helper refuses, wait", sop.Event{Reason: sop.RefusedHelperRefuses, Wait: ptr(true)}, sop.R6_6, sop.StatusAtDoor, false, "call the customer"},
		{"R6.7 doubts the engineer", sop.Event{Reason: sop.RefusedDoubtsEngineer}, sop.R6_7, sop.StatusScheduling, true, "supervision number"},
		{"R6.8 product elsewhere, go there", sop.Event{Reason: sop.RefusedProductElsewhere, Address: "北京市海淀区中关村大街 1 号"}, sop.R6_8, sop.StatusEnRoute, false, "中关村"},
		{"R6.8 product elsewhere, rebook", sop.Event{Reason: sop.RefusedProductElsewhere}, sop.R6_8, sop.StatusScheduling, false, "elsewhere"},
		{"R6.8 power cut, rebook", sop.Event{Reason: sop.RefusedPowerCut}, sop.R6_8, sop.StatusScheduling, false, "power cut"},
		{"R6.8 going out", sop.Event{Reason: sop.RefusedGoingOut}, sop.R6_8, sop.StatusScheduling, false, "go out"},
		{"R6.8 eating, wait", sop.Event{Reason: sop.RefusedEating, Wait: ptr(true)}, sop.R6_8, sop.StatusAtDoor, false, "waits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.atDoor()
			at := 25 * time.Hour
			if tc.ev.Reason == sop.RefusedNotHome {
				// R6.3: "not at home" is what the customer says on the phone.
				h.eng(at, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
				h.eng(at+5*time.Minute+10*time.Second, sop.Event{Type: sop.EvCallResult, Answered: ptr(true)})
				at += 6 * time.Minute
			}
			ev := tc.ev
			ev.Type = sop.EvEntryRefused
			r := h.eng(at, ev)
			h.run(goodRequest(), testPolicy(), 26*time.Hour)
			v := wantOK(t, r)
			wantStatus(t, v, tc.status)
			e := h.one(sop.KindEntryRefused)
			wantRule(t, e, tc.rule)
			wantDetail(t, e, tc.says)
			if got := len(h.only(sop.KindManagerVisit)) == 1; got != tc.manager {
				t.Fatalf("manager visit %v, want %v", got, tc.manager)
			}
			if tc.status == sop.StatusScheduling && len(h.released()) != 1 {
				t.Fatal("slot not released on rebooking")
			}
			if tc.status == sop.StatusAtDoor {
				wantPending(t, v, sop.EvDoorAnswered)
			}
		})
	}
}

// R6.8: after going to where the product is, the engineer arrives again and serves.
func TestR6_8_ProductElsewhereThenServed(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	h.eng(25*time.Hour, sop.Event{Type: sop.EvEntryRefused, Reason: sop.RefusedProductElsewhere, Address: "北京市海淀区中关村大街 1 号"})
	h.eng(25*time.Hour+30*time.Minute, sop.Event{Type: sop.EvArrived})
	in := h.eng(25*time.Hour+31*time.Minute, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	v := wantOK(t, in)
	wantStatus(t, v, sop.StatusInService)
	if v.Customer.Address != "北京市海淀区中关村大街 1 号" || v.Visits != 1 {
		t.Fatalf("view %+v", v)
	}
}

// R7.1, R2.5: the diagnosis; a unit that cannot be repaired in the home goes
// to the workshop with a loaner, and the return visit is booked later.
func TestR7_1_DiagnosisAndWorkshop(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: ptr(false), WorkshopAccepted: ptr(true)})
	// R2.5: the pickup visit is completed with its record and card.
	d := h.eng(25*time.Hour+30*time.Minute, completed(true, true, true))
	ret := h.cc(72*time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(t0.Add(97 * time.Hour)), End: ptr(t0.Add(98 * time.Hour))})
	h.run(goodRequest(), testPolicy(), 80*time.Hour)
	v := wantOK(t, d)
	wantStatus(t, v, sop.StatusWorkshop)
	wantDetail(t, h.one(sop.KindDiagnosed), "motor winding burnt")
	w := h.only(sop.KindWorkshop)
	wantDetail(t, w[len(w)-1], "loaner")
	finished := false
	for _, c := range h.commits {
		finished = finished || c.FinishAppointment == 1
	}
	if !finished {
		t.Fatal("the first appointment was not marked served")
	}
	wantStatus(t, wantOK(t, ret), sop.StatusScheduled)
}

// R7.2: a new problem goes to HQ; the customer is promised an answer by the
// next day; no answer by sop.hq_answer_within is escalated.
func TestR7_2_HQEscalationDeadline(t *testing.T) {
	t.Run("answered in time", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		esc := h.eng(25*time.Hour+10*time.Minute, sop.Event{Type: sop.EvProblemEscalated, Description: "hairline crack spreading under grout"})
		ans := h.cc(40*time.Hour, sop.Event{Type: sop.EvHQAnswer, Answer: "replace the row and reseal"})
		h.run(goodRequest(), testPolicy(), 60*time.Hour)
		v := wantOK(t, esc)
		wantPending(t, v, sop.EvHQAnswer)
		e := h.one(sop.KindHQEscalation)
		wantRule(t, e, sop.R7_2)
		wantDetail(t, e, "answer promised by 2026-03-04 10:10")
		wantOK(t, ans)
		h.none(sop.KindEscalated)
		if n := h.notes(sop.MsgHQAnswer); len(n) != 1 || n[0].To != sop.ToCustomer {
			t.Fatalf("customer not given the answer: %+v", n)
		}
	})
	t.Run("overdue", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		h.eng(25*time.Hour+10*time.Minute, sop.Event{Type: sop.EvProblemEscalated, Description: "hairline crack"})
		h.run(goodRequest(), testPolicy(), 60*time.Hour)
		e := h.one(sop.KindEscalated)
		wantRule(t, e, sop.R7_2)
		// The answer may come at the deadline itself: the clock falls due one second past it (rulesComplete).
		wantAt(t, e, t0.Add(49*time.Hour+10*time.Minute+time.Second))
	})
}

// R7.3: compensation is never promised by the engineer; the centre decides.
func TestR7_3_CompensationOnlyByTheCentre(t *testing.T) {
	h := newHarness(t)
	h.inService()
	req := h.eng(25*time.Hour+10*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: ptr(300.0), Reason: "scratched floor"})
	byEngineer := h.eng(25*time.Hour+11*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: ptr(true)})
	dec := h.cc(25*time.Hour+40*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: ptr(true)})
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantPending(t, wantOK(t, req), sop.EvCompensationDecision)
	// Only the centre decides (also enforced by the API's roles).
	wantRejected(t, byEngineer, ErrNotAssigned, "may not send")
	wantOK(t, dec)
	cs := h.only(sop.KindCompensation)
	if len(cs) < 2 {
		t.Fatalf("compensation entries %+v", cs)
	}
	wantDetail(t, cs[0], "nothing promised", "the centre decides")
	wantDetail(t, cs[len(cs)-1], "approved", "300.00")
	if len(h.notes(sop.MsgCompensation)) != 1 || len(h.notes(sop.MsgCompensationResult)) != 1 {
		t.Fatal("centre or customer not told")
	}
}

// R7.4: another urgent job: the centre reassigns the booked request to another engineer.
func TestR7_4_CentreReassignsForAnUrgentJob(t *testing.T) {
	h := newHarness(t)
	h.booked()
	h.env.RegisterDelayedCallback(func() {
		h.calendar = func(in BookInput) BookResult {
			return BookResult{Outcome: Booked, Appointment: &Appointment{ID: 3, Engineer: in.Only, Start: in.Start, End: in.End}}
		}
	}, 2*time.Hour)
	re := h.cc(3*time.Hour, sop.Event{Type: sop.EvReassign, Engineer: "E-3"})
	same := h.cc(4*time.Hour, sop.Event{Type: sop.EvReassign, Engineer: "E-3"})
	h.run(goodRequest(), testPolicy(), 5*time.Hour)
	v := wantOK(t, re)
	if v.Engineer != "E-3" {
		t.Fatalf("engineer %s", v.Engineer)
	}
	wantRule(t, h.one(sop.KindReassigned), sop.R7_4)
	wantRejected(t, same, ErrNotValidNow, "already assigned")
}

// R7.5: an incident goes to the centre (and the manager) at once.
func TestR7_5_IncidentGoesToTheCentreAtOnce(t *testing.T) {
	h := newHarness(t)
	h.inService()
	inc := h.eng(25*time.Hour+5*time.Minute, sop.Event{Type: sop.EvIncident, Description: "customer keeps the toolbox until a refund"})
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantOK(t, inc)
	e := h.one(sop.KindIncident)
	wantRule(t, e, sop.R7_5)
	wantDetail(t, e, "no confrontation")
	n := h.notes(sop.MsgIncident)
	if len(n) != 2 || !n[0].Urgent || n[0].To != sop.ToCentre || n[1].To != sop.ToManager {
		t.Fatalf("incident notifications %+v", n)
	}
}

// R8.1, R8.4: completion records the service record, both ratings and the
// signature, leaves the service card and closes a satisfied request.
func TestR8_1_CompletionRecordsAndCloses(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: ptr(true)})
	bad := h.eng(25*time.Hour+40*time.Minute, sop.Event{Type: sop.EvCompleted, QualityRating: ptr(9), AttitudeRating: ptr(5), Satisfied: ptr(true), SignedByCustomer: ptr(true), FixCertain: ptr(true)})
	h.eng(25*time.Hour+50*time.Minute-time.Minute, diagnosedOnsite()) // R7.1
	done := h.eng(25*time.Hour+50*time.Minute, completed(true, true, true))
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantRejected(t, bad, ErrBadEvent, "quality_rating")
	v := wantOK(t, done)
	wantStatus(t, v, sop.StatusClosed)
	c := h.one(sop.KindCompleted)
	wantRule(t, c, sop.R8_1)
	wantDetail(t, c, "quality 4/5", "attitude 5/5", "satisfied", "signed by the customer", "service card")
	var rec *ServiceVisitRecord
	for _, cm := range h.commits {
		if cm.ServiceRecord != nil {
			rec = cm.ServiceRecord
		}
	}
	if rec == nil || rec.Visit != 1 || rec.QualityRating != 4 || !rec.SignedByCustomer || rec.Record.Cause != "firing defect" || rec.Engineer != "E-1" {
		t.Fatalf("service record %+v", rec)
	}
	if n := h.notes(sop.MsgThankYou); len(n) != 1 || n[0].Rule != sop.R8_4 {
		t.Fatalf("service card %+v", n)
	}
	wantRule(t, h.one(sop.KindClosed), sop.R8_1)
}

// R8.2: a customer who will not sign is never forced; recorded as not signed.
func TestR8_2_SignatureNeverForced(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+40*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: ptr(true)})
	done := h.eng(25*time.Hour+50*time.Minute, completed(true, false, true))
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantStatus(t, wantOK(t, done), sop.StatusClosed)
	c := h.one(sop.KindCompleted)
	wantRule(t, c, sop.R8_2)
	wantDetail(t, c, "did not sign", "never forced")
}

// R8.3: a dissatisfied customer gets another visit, again and again; after
// sop.max_visits_before_manager visits the manager takes charge; a satisfied
// visit closes the request.
func TestR8_3_RevisitsUntilSatisfied(t *testing.T) {
	h := newHarness(t)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	var last *result
	for visit := 0; visit < 4; visit++ {
		day := time.Duration(visit) * 48 * time.Hour
		start := t0.Add(day + 25*time.Hour)
		h.cc(day+2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(start), End: ptr(start.Add(time.Hour))})
		h.eng(day+25*time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
		h.eng(day+25*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
		h.eng(day+25*time.Hour+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "glaze defect", Onsite: ptr(true)})
		last = h.eng(day+25*time.Hour+30*time.Minute, completed(visit == 3, true, true))
	}
	h.run(goodRequest(), testPolicy(), 0)
	rv := h.only(sop.KindRevisit)
	if len(rv) != 3 {
		t.Fatalf("%d revisits, want 3", len(rv))
	}
	wantRule(t, rv[0], sop.R8_3)
	m := h.only(sop.KindManagerVisit)
	if len(m) != 1 {
		t.Fatalf("manager brought in %d times, want once (after the 3rd visit)", len(m))
	}
	wantDetail(t, m[0], "3 visits")
	v := wantOK(t, last)
	wantStatus(t, v, sop.StatusClosed)
	if v.Visits != 4 {
		t.Fatalf("visits %d", v.Visits)
	}
	final := h.finalView()
	wantStatus(t, final, sop.StatusClosed)
}

// R5.1: the toolkit self-check comes with the departure reminder: tools,
// parts or loaner, spare shoe covers, note slips, ID badge, record sheet,
// receipt and fee standard, floor cloth.
func TestR5_1_ToolkitSelfCheckBeforeLeaving(t *testing.T) {
	h := newHarness(t)
	h.booked()
	h.run(goodRequest(), testPolicy(), 25*time.Hour)
	wantDetail(t, h.one(sop.KindDepartureReminder), "toolkit self-check (R5.1)", "tools", "parts", "spare shoe covers",
		"note slips", "ID badge", "service record sheet", "receipt and fee standard", "floor cloth")
}

// R6.1: the appearance self-check before knocking is part of arriving.
func TestR6_1_AppearanceCheckedBeforeKnocking(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	h.eng(25*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	kinds := h.kinds()
	if idx(kinds, sop.KindArrived) > idx(kinds, sop.KindKnocked) {
		t.Fatal("knocked before arriving")
	}
	wantDetail(t, h.one(sop.KindArrived), "appearance checked (R6.1)")
}

// R6.2: the first knock — bell, then two rounds of three light knocks — is
// recorded, answered or not; an answered knock opens the door.
func TestR6_2_BellThenTwoRoundsOfKnocks(t *testing.T) {
	h := newHarness(t)
	h.atDoor()
	before := h.eng(25*time.Hour-4*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "x", Onsite: ptr(true)})
	k := h.eng(25*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantRejected(t, before, ErrNotValidNow, "knocked")
	wantStatus(t, wantOK(t, k), sop.StatusInService)
	e := h.one(sop.KindKnocked)
	wantRule(t, e, sop.R6_2)
	wantDetail(t, e, "rang the bell and knocked")
}

// R6.9: shoe covers go on at the door.
func TestR6_9_ShoeCoversAtTheDoor(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantDetail(t, h.one(sop.KindDoorAnswered), "shoe covers on (R6.9)")
}

// R7.6: the conduct in the customer's home is spelled out when the engineer enters.
func TestR7_6_ConductInTheHome(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantDetail(t, h.one(sop.KindDoorAnswered), "(R7.6)", "no smoking", "customer's phone or toilet", "teach use and care", "clean up")
}

// R8.4: the service card with the company's service number is left with the customer.
func TestR8_4_ServiceCardLeft(t *testing.T) {
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "glaze defect", Onsite: ptr(true)})
	h.eng(25*time.Hour+30*time.Minute, completed(true, true, true))
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantDetail(t, h.one(sop.KindCompleted), "service card with the service number left (R8.4)")
	n := h.notes(sop.MsgThankYou)
	if len(n) != 1 || n[0].To != sop.ToCustomer || n[0].Rule != sop.R8_4 {
		t.Fatalf("service card notice %+v", n)
	}
}
