package workflows

import (
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// reconcile signals the request at t0+after with what the reconciliation found.
func (h *harness) reconcile(after time.Duration, id int64, visits ...ReconciledVisit) {
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalReconciliation, Reconciliation{ID: id, At: t0.Add(after), Visits: visits})
	}, after)
}

// R9.1: an uncertain fix is followed up by phone exactly
// sop.uncertain_fix_followup later; satisfied closes the request.
func TestR9_1_UncertainFixIsFollowedUpAWeekLater(t *testing.T) {
	h := newHarness(t)
	done := 25*time.Hour + 30*time.Minute
	h.inService()
	h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
	c := h.eng(done, completed(true, true, false))
	early := h.cc(done+100*time.Hour, sop.Event{Type: sop.EvFollowupCall, Satisfied: ptr(true)})
	call := h.cc(done+168*time.Hour+time.Hour, sop.Event{Type: sop.EvFollowupCall, Satisfied: ptr(true)})
	h.run(goodRequest(), testPolicy(), done+170*time.Hour)

	v := wantOK(t, c)
	wantStatus(t, v, sop.StatusFollowup)
	// The plan and the call falling due are two kinds (rulesComplete).
	plan := h.one(sop.KindFollowupPlanned)
	wantRule(t, plan, sop.R9_1)
	wantDetail(t, plan, "fix not certain")
	wantAt(t, plan, t0.Add(done))
	wantAt(t, h.one(sop.KindFollowupDue), t0.Add(done+168*time.Hour))
	if len(h.notes(sop.MsgFollowupCall)) != 1 {
		t.Fatal("the centre was not asked to call")
	}
	wantRejected(t, early, ErrNotValidNow, "not before")
	wantStatus(t, wantOK(t, call), sop.StatusClosed)
	wantRule(t, h.one(sop.KindClosed), sop.R9_1)
}

// R9.1: dissatisfied at the follow-up: visit again until satisfied.
func TestR9_1_DissatisfiedAtTheFollowUpGetsAnotherVisit(t *testing.T) {
	h := newHarness(t)
	p := testPolicy()
	p.UncertainFixFollowup = sop.D(48 * time.Hour)
	done := 25*time.Hour + 30*time.Minute
	h.inService()
	h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
	h.eng(done, completed(true, true, false))
	call := h.cc(done+49*time.Hour, sop.Event{Type: sop.EvFollowupCall, Satisfied: ptr(false)})
	h.run(goodRequest(), p, done+50*time.Hour)
	v := wantOK(t, call)
	wantStatus(t, v, sop.StatusScheduling)
	rv := h.one(sop.KindRevisit)
	wantRule(t, rv, sop.R9_1)
}

// R9.2: every phone consultation gets its call-back.
func TestR9_2_EveryConsultationGetsItsCallBack(t *testing.T) {
	h := newHarness(t)
	h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	h.cc(2*time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(true)})
	h.run(goodRequest(), testPolicy(), 5*time.Hour)
	cons, due := h.only(sop.KindConsultation), h.only(sop.KindFollowupDue)
	if len(cons) != 1 || len(due) != 1 || due[0].At.Sub(cons[0].At) != 2*time.Hour {
		t.Fatalf("consultations %+v call-backs %+v", cons, due)
	}
}

// R10.1: the card goes back the same day; a card still out at the end of the
// visit's day (service-area time) is overdue; a late card is recorded as late.
func TestR10_1_CardReturnedTheSameDay(t *testing.T) {
	done := 25*time.Hour + 30*time.Minute // Tuesday 10:30 local
	endOfDay := time.Date(2026, 3, 3, 23, 59, 59, 0, time.FixedZone("", cst))
	t.Run("same day", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
		h.eng(done, completed(true, true, true))
		r := h.eng(done+6*time.Hour, sop.Event{Type: sop.EvCardReturned})
		h.run(goodRequest(), testPolicy(), 60*time.Hour)
		wantOK(t, r)
		e := h.one(sop.KindCardReturned)
		wantRule(t, e, sop.R10_1)
		wantDetail(t, e, "on the day")
		h.none(sop.KindCardOverdue)
		var ret *CardReturn
		for _, c := range h.commits {
			if c.CardReturned != nil {
				ret = c.CardReturned
			}
		}
		if ret == nil || ret.Visit != 1 {
			t.Fatalf("card return not committed: %+v", ret)
		}
	})
	t.Run("overdue, then late", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
		h.eng(done, completed(true, true, true))
		late := h.eng(50*time.Hour, sop.Event{Type: sop.EvCardReturned})
		h.run(goodRequest(), testPolicy(), 60*time.Hour)
		od := h.one(sop.KindCardOverdue)
		wantRule(t, od, sop.R10_1)
		wantAt(t, od, endOfDay.Add(time.Second)) // once the day's last second has passed (rulesComplete)
		if len(h.notes(sop.MsgCardOverdue)) != 1 {
			t.Fatal("centre not told of the overdue card")
		}
		wantOK(t, late)
		wantDetail(t, h.one(sop.KindCardReturned), "late")
	})
}

// R10.2: a request stays open until the daily reconciliation has looked at
// its card; a "satisfied" the customer never signed is flagged as suspected
// falsification, and the customer is called back to put it right.
func TestR10_2_ReconciliationFlagsAnUnsignedSatisfied(t *testing.T) {
	h := newHarness(t)
	done := 25*time.Hour + 30*time.Minute
	h.inService()
	h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
	closed := h.eng(done, completed(true, false, true))
	h.eng(done+time.Hour, sop.Event{Type: sop.EvCardReturned})
	reconcileAt := 25*time.Hour + 9*time.Hour // Tuesday 18:00 local
	h.reconcile(reconcileAt, 7, ReconciledVisit{RequestID: "SR-TEST-1", Visit: 1, Engineer: "E-1",
		Flags: []Flag{{Reason: FlagSatisfiedNotSigned, Detail: "marked satisfied, but the record was not signed by the customer: suspected falsification"}}})
	after := h.viewAt(reconcileAt + time.Minute)
	call := h.cc(reconcileAt+2*time.Hour, sop.Event{Type: sop.EvFollowupCall, Satisfied: ptr(true)})
	h.run(goodRequest(), testPolicy(), 0)

	wantStatus(t, wantOK(t, closed), sop.StatusClosed)
	f := h.one(sop.KindSuspectedFalsified)
	wantRule(t, f, sop.R10_2)
	wantAt(t, f, t0.Add(reconcileAt))
	wantDetail(t, f, "visit 1 (E-1)", "not signed by the customer", "called back")
	if f.Actor != "system:reconciliation#7" {
		t.Fatalf("actor %q", f.Actor)
	}
	if n := h.notes(sop.MsgFalsification); len(n) != 1 || !n[0].Urgent {
		t.Fatalf("call-back notice %+v", n)
	}
	wantStatus(t, *after, sop.StatusFollowup)
	wantPending(t, *after, sop.EvFollowupCall)
	v := wantOK(t, call)
	wantStatus(t, v, sop.StatusClosed)
	closes := h.only(sop.KindClosed)
	wantRule(t, closes[len(closes)-1], sop.R10_2)
	// The workflow ended once everything was done.
	wantStatus(t, h.finalView(), sop.StatusClosed)
}

// R10.2: a clean reconciliation lets the request end; none at all within a
// day and an hour of the card's day is escalated, then the request ends.
func TestR10_2_RequestWaitsForTheReconciliation(t *testing.T) {
	done := 25*time.Hour + 30*time.Minute
	t.Run("clean", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
		h.eng(done, completed(true, true, true))
		h.eng(done+time.Hour, sop.Event{Type: sop.EvCardReturned})
		before := h.viewAt(done + 2*time.Hour)
		h.reconcile(34*time.Hour, 3, ReconciledVisit{RequestID: "SR-TEST-1", Visit: 1, Engineer: "E-1"})
		h.run(goodRequest(), testPolicy(), 0)
		found := false
		for _, p := range before.Pending {
			found = found || p.Clock == clkReconcileWait
		}
		if !found {
			t.Fatalf("closed request not waiting for the reconciliation: %+v", before.Pending)
		}
		wantRule(t, h.one(sop.KindReconciled), sop.R10_2)
		h.none(sop.KindSuspectedFalsified)
		if !h.env.IsWorkflowCompleted() || h.env.Now().After(t0.Add(35*time.Hour)) {
			t.Fatalf("workflow did not end after the reconciliation (now %s)", h.env.Now())
		}
	})
	t.Run("never comes", func(t *testing.T) {
		h := newHarness(t)
		h.inService()
		h.eng(done-time.Minute, diagnosedOnsite()) // R7.1
		h.eng(done, completed(true, true, true))
		h.eng(done+time.Hour, sop.Event{Type: sop.EvCardReturned})
		h.run(goodRequest(), testPolicy(), 0)
		esc := h.one(sop.KindEscalated)
		wantRule(t, esc, sop.R10_2)
		// Wednesday 18:00 local + 1 h grace.
		wantAt(t, esc, time.Date(2026, 3, 4, 19, 0, 0, 0, time.FixedZone("", cst)))
	})
}

// R11.1: a complaint is answered within sop.complaint_response; past it, it
// is escalated to the after-sales manager, exactly then. Complaints are
// taken in any state, also after the request closed.
func TestR11_1_ComplaintClock(t *testing.T) {
	t.Run("answered in time", func(t *testing.T) {
		h := newHarness(t)
		h.cc(time.Minute, sop.Event{Type: sop.EvComplaint, Text: "nobody called me back"})
		a := h.cc(5*time.Hour, sop.Event{Type: sop.EvComplaintAnswered, Resolution: "apologised; visit booked for tomorrow"})
		h.run(goodRequest(), testPolicy(), 20*time.Hour)
		c := h.one(sop.KindComplaint)
		wantRule(t, c, sop.R11_1)
		wantDetail(t, c, "2026-03-02 21:01")
		v := wantOK(t, a)
		if len(v.Complaints) != 1 || v.Complaints[0].AnsweredAt == nil {
			t.Fatalf("complaints %+v", v.Complaints)
		}
		wantDetail(t, h.one(sop.KindComplaintAnswered), "within 12h")
		h.none(sop.KindComplaintOverdue)
	})
	t.Run("overdue", func(t *testing.T) {
		h := newHarness(t)
		h.cc(time.Minute, sop.Event{Type: sop.EvComplaint, Text: "engineer was rude"})
		h.cc(15*time.Hour, sop.Event{Type: sop.EvComplaintAnswered, Resolution: "manager apologised"})
		h.run(goodRequest(), testPolicy(), 20*time.Hour)
		od := h.one(sop.KindComplaintOverdue)
		wantRule(t, od, sop.R11_1)
		wantAt(t, od, t0.Add(12*time.Hour+time.Minute+time.Second)) // once the deadline has passed (rulesComplete)
		if n := h.notes(sop.MsgComplaintOverdue); len(n) != 1 || n[0].To != sop.ToManager {
			t.Fatalf("manager not told: %+v", n)
		}
		wantDetail(t, h.one(sop.KindComplaintAnswered), "late")
	})
	t.Run("after the request closed", func(t *testing.T) {
		h := newHarness(t)
		h.cc(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
		h.cc(2*time.Minute, sop.Event{Type: sop.EvConsultationGiven, Accepted: ptr(true)})
		h.cc(3*time.Hour, sop.Event{Type: sop.EvFollowupResult, Resolved: ptr(true)})
		// The request is closed but its complaint window is open while the workflow
		// lives; one admitted in the same instant as the close keeps it alive.
		c := h.cc(3*time.Hour, sop.Event{Type: sop.EvComplaint, Text: "the advice did not help"})
		other := h.cc(3*time.Hour, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
		a := h.cc(4*time.Hour, sop.Event{Type: sop.EvComplaintAnswered, Resolution: "engineer sent"})
		h.run(goodRequest(), testPolicy(), 0)
		wantStatus(t, wantOK(t, c), sop.StatusClosed)
		wantRejected(t, other, ErrNotValidNow, "only takes complaints")
		wantOK(t, a)
		wantStatus(t, h.finalView(), sop.StatusClosed)
	})
}

// R3.3: returns and exchanges: within sop.return_window of the sale, with a
// receipt; non-quality goods only with packaging intact; special-price goods
// never; installed goods count as accepted; ≤ 2 m² to the store, more at the
// warehouse by appointment. Refusals are explained.
func TestR3_3_ReturnsAndExchanges(t *testing.T) {
	ok := sop.ReturnInfo{SaleDate: "2026-02-10", HasReceipt: true, QualityProblem: false, PackagingIntact: true, AreaM2: 1.5}
	cases := []struct {
		name   string
		mutate func(*sop.ReturnInfo)
		status sop.Status
		says   []string
	}{
		{"accepted, to the store", func(*sop.ReturnInfo) {}, sop.StatusAwaitingCustomer, []string{"accepted", "store at any time"}},
		{"accepted, at the warehouse", func(r *sop.ReturnInfo) { r.AreaM2 = 12.5; r.Exchange = true }, sop.StatusAwaitingCustomer, []string{"exchange accepted", "12.5 m²", "warehouse"}},
		{"last day of the window", func(r *sop.ReturnInfo) { r.SaleDate = "2026-01-31" }, sop.StatusAwaitingCustomer, []string{"accepted"}},
		{"window over", func(r *sop.ReturnInfo) { r.SaleDate = "2026-01-30" }, sop.StatusClosed, []string{"refused", "window ended 2026-03-01"}},
		{"no receipt", func(r *sop.ReturnInfo) { r.HasReceipt = false }, sop.StatusClosed, []string{"refused", "receipt"}},
		{"special price", func(r *sop.ReturnInfo) { r.SpecialPrice = true }, sop.StatusClosed, []string{"special-price"}},
		{"installed", func(r *sop.ReturnInfo) { r.Installed = true }, sop.StatusClosed, []string{"installed", "accepted"}},
		{"opened, no quality problem", func(r *sop.ReturnInfo) { r.PackagingIntact = false }, sop.StatusClosed, []string{"packaging intact"}},
		{"opened, quality problem", func(r *sop.ReturnInfo) { r.PackagingIntact = false; r.QualityProblem = true }, sop.StatusAwaitingCustomer, []string{"accepted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			req := goodRequest()
			req.Kind = sop.KindReturn
			req.Symptoms = ""
			ri := ok
			tc.mutate(&ri)
			req.Return = &ri
			v := h.viewAt(time.Minute)
			h.run(req, testPolicy(), time.Hour)
			if tc.status == sop.StatusClosed {
				wantStatus(t, h.finalView(), sop.StatusClosed)
			} else {
				wantStatus(t, *v, tc.status)
				wantPending(t, *v, sop.EvReturnHandled)
			}
			d := h.one(sop.KindReturnDecided)
			wantRule(t, d, sop.R3_3)
			wantDetail(t, d, tc.says...)
			if n := h.notes(sop.MsgReturnDecision); len(n) != 1 || n[0].To != sop.ToCustomer {
				t.Fatalf("customer not told: %+v", n)
			}
			h.none(sop.KindWarrantyDecided)
		})
	}
	t.Run("handled", func(t *testing.T) {
		h := newHarness(t)
		req := goodRequest()
		req.Kind = sop.KindReturn
		req.Return = &ok
		done := h.cc(2*time.Hour, sop.Event{Type: sop.EvReturnHandled, Accepted: ptr(true)})
		h.run(req, testPolicy(), 0)
		wantStatus(t, wantOK(t, done), sop.StatusClosed)
	})
}

// R4.6: technical guidance: registered at least three days before the
// installation; the call-back to fix the engineer's arrival is made within
// 12 h before it, not earlier; a missed call-back is escalated.
func TestR4_6_TechnicalGuidanceBeforeInstallation(t *testing.T) {
	guidance := func(inst time.Time) sop.Request {
		r := goodRequest()
		r.Kind = sop.KindInstallationGuidance
		r.Symptoms = ""
		r.Guidance = &sop.Guidance{InstallationAt: inst}
		return r
	}
	t.Run("registered too late", func(t *testing.T) {
		h := newHarness(t)
		h.run(guidance(t0.Add(48*time.Hour)), testPolicy(), time.Hour)
		wantStatus(t, h.finalView(), sop.StatusClosed)
		g := h.one(sop.KindGuidanceCall)
		wantRule(t, g, sop.R4_6)
		wantDetail(t, g, "refused", "48h before", "at least 72h")
	})
	t.Run("call-back in the window books the engineer", func(t *testing.T) {
		inst := t0.Add(5 * 24 * time.Hour) // Saturday 09:00 local
		h := newHarness(t)
		early := h.cc(4*24*time.Hour, sop.Event{Type: sop.EvGuidanceCall, Start: ptr(inst.Add(-time.Hour))})
		call := h.cc(5*24*time.Hour-10*time.Hour, sop.Event{Type: sop.EvGuidanceCall, Start: ptr(inst.Add(-30 * time.Minute))})
		h.run(guidance(inst), testPolicy(), 5*24*time.Hour-9*time.Hour)
		es := h.only(sop.KindGuidanceCall)
		if len(es) != 3 {
			t.Fatalf("guidance entries %+v", es)
		}
		wantDetail(t, es[0], "registered")
		wantAt(t, es[1], inst.Add(-12*time.Hour))
		wantDetail(t, es[1], "call the customer now")
		wantRejected(t, early, ErrNotValidNow, "not before")
		v := wantOK(t, call)
		wantStatus(t, v, sop.StatusScheduled)
		if !v.Appointment.Start.Equal(inst.Add(-30 * time.Minute)) {
			t.Fatalf("appointment %+v", v.Appointment)
		}
		h.none(sop.KindEscalated)
	})
	t.Run("call-back missed", func(t *testing.T) {
		inst := t0.Add(4 * 24 * time.Hour)
		h := newHarness(t)
		h.run(guidance(inst), testPolicy(), 4*24*time.Hour+time.Hour)
		esc := h.one(sop.KindEscalated)
		wantRule(t, esc, sop.R4_6)
		wantAt(t, esc, inst)
	})
}
