package audit_test

import (
	"testing"
	"time"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// Rule cases of call-backs, follow-up, cards, reconciliation and
// complaints: R2.2, R9.1, R9.2, R10.1, R10.2, R11.1, R11.2.
//
// The policy of these cases sets every key they read to a value no other
// key has by default, so a clock that reads the wrong key fails:
// consultation_followup 43m, callback_within 17m, manager_after 7h,
// uncertain_fix_followup 37h, complaint_response 5h, reconcile_grace 23m.
func afterPolicy() sop.Policy {
	p := wftest.Policy()
	p.ConsultationFollowup = sop.D(43 * time.Minute)
	p.CallbackWithin = sop.D(17 * time.Minute)
	p.ManagerAfter = sop.D(7 * time.Hour)
	p.UncertainFixFollowup = sop.D(37 * time.Hour)
	p.ComplaintResponse = sop.D(5 * time.Hour)
	p.ReconcileGrace = sop.D(23 * time.Minute)
	return p
}

// The consultation scenario (R2.2): misuse triaged at +1m, the consultation
// given at +2m; the call-back falls due at +45m, its deadline is +1h02m and
// the manager's +8h02m.
const (
	consultedAt  = 2 * time.Minute
	callbackDue  = consultedAt + 43*time.Minute
	callbackLate = callbackDue + 17*time.Minute
	managerLate  = callbackLate + 7*time.Hour
	// past: escalations fire one second past their deadline.
	past = time.Second
)

func consulted(h *wftest.Harness) {
	h.Policy = afterPolicy()
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryMisuse})
	h.CC(consultedAt, sop.Event{Type: sop.EvConsultationGiven, Accepted: wftest.Ptr(true)})
}

func callbackResult(h *wftest.Harness, at time.Duration, resolved bool) *wftest.Result {
	return h.CC(at, sop.Event{Type: sop.EvFollowupResult, Resolved: wftest.Ptr(resolved)})
}

// visit books a two-hour slot from start (after T0), gets the engineer in
// at start and completes the visit at done, every checklist confirmed.
func visit(h *wftest.Harness, start, done time.Duration, satisfied, signed, certain bool) {
	visitConfirming(h, start, done, satisfied, signed, certain, wftest.Checklist(sop.EvCompleted))
}

// visitConfirming is visit with the completion's checklist items given.
func visitConfirming(h *wftest.Harness, start, done time.Duration, satisfied, signed, certain bool, checklist []string) {
	h.CC(30*time.Second, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.CC(time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.T0.Add(start)), End: wftest.Ptr(wftest.T0.Add(start + 2*time.Hour))})
	h.Eng(start-40*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(start-5*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(start, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
	// The cause found (R7.1) and the work explained and agreed (R12.2).
	h.Eng(start+(done-start)/3, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: wftest.Ptr(true)})
	h.Eng(start+2*(done-start)/3, sop.Event{Type: sop.EvWorkExplained, Accepted: wftest.Ptr(true), Minutes: wftest.Ptr(30), Fee: wftest.Ptr(0.0)})
	h.Eng(done, sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(satisfied), SignedByCustomer: wftest.Ptr(signed), FixCertain: wftest.Ptr(certain),
		Record: &sop.ServiceRecord{Cause: "firing defect", Measures: "replaced 3 tiles"}, Checklist: checklist})
}

// The day visit: 14:00 local, completed 14:30 (T0+5h30m); its card is due
// 23:59:59 that day; the uncertain fix's follow-up falls due 37 h later.
const (
	dayStart    = 5 * time.Hour
	dayDone     = 5*time.Hour + 30*time.Minute
	followupDue = dayDone + 37*time.Hour
	// reconcileRun is the first run of sop.reconcile_at (18:00) after the
	// day of the visit: 18:00 local the next day.
	reconcileRun = 33 * time.Hour
)

func at(d time.Duration) time.Time { return wftest.T0.Add(d) }

// wantEntryAt asserts exactly one entry of kind (and rule) at T0+d.
func wantEntryAtAfter(t *testing.T, h *wftest.Harness, kind sop.Kind, rule sop.Rule, d time.Duration) workflows.Entry {
	t.Helper()
	got := h.OnlyRule(kind, rule)
	if len(got) != 1 || !got[0].At.Equal(at(d)) {
		t.Fatalf("want one %s %s at +%s, got %+v; timeline:%s", kind, rule, d, got, h.Timeline())
	}
	return got[0]
}

// wantNote asserts exactly one notification of msg to whom at T0+d, urgent or not.
func wantOneNote(t *testing.T, h *wftest.Harness, msg sop.Message, to sop.Audience, d time.Duration, urgent bool) wftest.Sent {
	t.Helper()
	got := h.NotesTo(msg, to)
	if len(got) != 1 || !got[0].At.Equal(at(d)) || got[0].Urgent != urgent {
		t.Fatalf("want one %s to %s at +%s (urgent %v), got %+v", msg, to, d, urgent, got)
	}
	if got[0].Params["request"] != wftest.Request().ID {
		t.Fatalf("%s names request %q", msg, got[0].Params["request"])
	}
	return got[0]
}

func noNoteAfter(t *testing.T, h *wftest.Harness, msg sop.Message) {
	t.Helper()
	if n := h.Notes(msg); len(n) > 0 {
		t.Fatalf("unexpected %s: %+v", msg, n)
	}
}

func noEscalation(t *testing.T, h *wftest.Harness, rule sop.Rule) {
	t.Helper()
	for _, e := range h.OnlyRule(sop.KindEscalated, rule) {
		t.Fatalf("unexpected escalation %+v", e)
	}
	noNoteAfter(t, h, sop.MsgCallbackOverdue)
}

// wantCallbackEscalated asserts the two escalations of a call-back never
// made: the centre when sop.callback_within passed, the after-sales manager
// sop.manager_after later, both urgent, naming the customer.
func wantCallbackEscalated(t *testing.T, h *wftest.Harness, rule sop.Rule, centreAt, managerAt time.Duration) {
	t.Helper()
	es := h.OnlyRule(sop.KindEscalated, rule)
	if len(es) != 2 || !es[0].At.Equal(at(centreAt)) || !es[1].At.Equal(at(managerAt)) ||
		es[0].Outcome != sop.OutMissed || es[1].Outcome != sop.OutMissed {
		t.Fatalf("escalations %+v; timeline:%s", es, h.Timeline())
	}
	c := wantOneNote(t, h, sop.MsgCallbackOverdue, sop.ToCentre, centreAt, true)
	m := wantOneNote(t, h, sop.MsgCallbackOverdue, sop.ToManager, managerAt, true)
	if c.Params["phone"] != wftest.Request().Customer.Phone || c.Params["within"] != "17m" || m.Params["after"] != "7h" || c.Rule != rule || m.Rule != rule {
		t.Fatalf("escalation notices %+v / %+v", c, m)
	}
}

func init() {
	cases(
		// R2.2 ------------------------------------------------------------
		ruleCase{rule: sop.R2_2, want: audit.Met, name: "callback_made_exactly_at_its_deadline",
			evidence: "call-back 43 m after consultation, made 17 m after it fell due",
			run: func(h *wftest.Harness) {
				consulted(h)
				early := callbackResult(h, callbackDue-time.Minute, true)
				ok := callbackResult(h, callbackLate, true)
				h.Run(callbackLate + time.Hour)
				wftest.MustReject(h.T, early, workflows.ErrNotValidNow, "not before")
				wftest.MustOK(h.T, ok)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				plan := wantEntryAtAfter(t, h, sop.KindFollowupPlanned, sop.R2_2, consultedAt)
				if plan.Outcome != sop.OutPlanned {
					t.Fatalf("plan %+v", plan)
				}
				wantEntryAtAfter(t, h, sop.KindFollowupDue, sop.R2_2, callbackDue)
				n := wantOneNote(t, h, sop.MsgConsultationCallback, sop.ToCentre, callbackDue, false)
				if n.Params["phone"] != wftest.Request().Customer.Phone {
					t.Fatalf("call-back notice %+v", n)
				}
				if r := wantEntryAtAfter(t, h, sop.KindFollowupResult, sop.R2_2, callbackLate); r.Outcome != sop.OutResolved {
					t.Fatalf("result %+v", r)
				}
				noEscalation(t, h, sop.R2_2)
			}},
		ruleCase{rule: sop.R2_2, want: audit.Breached, name: "callback_made_one_minute_past_its_deadline",
			evidence: "its result came 18 m later (limit 17 m)",
			run: func(h *wftest.Harness) {
				consulted(h)
				callbackResult(h, callbackLate+time.Minute, false)
				h.Run(callbackLate + time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindEscalated, sop.R2_2, callbackLate+past)
				wantOneNote(t, h, sop.MsgCallbackOverdue, sop.ToCentre, callbackLate+past, true)
				r := wantEntryAtAfter(t, h, sop.KindFollowupResult, sop.R2_2, callbackLate+time.Minute)
				if r.Outcome != sop.OutUnresolved {
					t.Fatalf("result %+v", r)
				}
			}},
		ruleCase{rule: sop.R2_2, want: audit.Breached, name: "callback_never_made_escalated_to_centre_then_manager",
			evidence: "not made within 17 m: escalated",
			run: func(h *wftest.Harness) {
				consulted(h)
				h.Run(managerLate + time.Minute)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCallbackEscalated(t, h, sop.R2_2, callbackLate+past, managerLate+past)
			}},

		// R9.2 ------------------------------------------------------------
		ruleCase{rule: sop.R9_2, want: audit.Met, name: "consultation_called_back_43m_later",
			evidence: "1 consultation(s), 1 call-back(s) made",
			run: func(h *wftest.Harness) {
				consulted(h)
				callbackResult(h, callbackDue+5*time.Minute, false)
				h.Run(callbackLate + time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				cons := wantEntryAtAfter(t, h, sop.KindConsultation, sop.R2_2, consultedAt)
				due := wantEntryAtAfter(t, h, sop.KindFollowupDue, sop.R2_2, callbackDue)
				if due.At.Sub(cons.At) != 43*time.Minute {
					t.Fatalf("call-back due %s after the consultation", due.At.Sub(cons.At))
				}
				noEscalation(t, h, sop.R2_2)
			}},
		ruleCase{rule: sop.R9_2, want: audit.Breached, name: "consultation_never_called_back",
			evidence: "not made within 17 m",
			run: func(h *wftest.Harness) {
				consulted(h)
				h.Run(managerLate + time.Minute)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCallbackEscalated(t, h, sop.R2_2, callbackLate+past, managerLate+past)
			}},
	)
}

func followupCall(h *wftest.Harness, at time.Duration, satisfied bool) *wftest.Result {
	return h.CC(at, sop.Event{Type: sop.EvFollowupCall, Satisfied: wftest.Ptr(satisfied)})
}

func complaint(h *wftest.Harness, at time.Duration) {
	h.CC(at, sop.Event{Type: sop.EvComplaint, Text: "nobody called me back about the cracked tiles"})
}

func complaintAnswered(h *wftest.Harness, at time.Duration) *wftest.Result {
	return h.CC(at, sop.Event{Type: sop.EvComplaintAnswered, Resolution: "apologised; re-visit booked"})
}

// reconciliation is the daily run's signal about the request's card of visit 1.
func reconciliation(id int64, runAt time.Duration, flags ...workflows.Flag) workflows.Reconciliation {
	return workflows.Reconciliation{ID: id, At: at(runAt), Visits: []workflows.ReconciledVisit{
		{RequestID: wftest.Request().ID, Visit: 1, Engineer: "E-1", Flags: flags}}}
}

const complainedAt = time.Hour

func init() {
	cases(
		// R9.1 ------------------------------------------------------------
		ruleCase{rule: sop.R9_1, want: audit.Met, name: "uncertain_fix_followed_up_37h_later_call_at_the_deadline",
			evidence: "follow-up call 37 h 00 m after visit, made 17 m after it fell due",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, dayStart, dayDone, true, true, false)
				h.Eng(dayDone+time.Hour, sop.Event{Type: sop.EvCardReturned})
				early := followupCall(h, followupDue-time.Minute, true)
				ok := followupCall(h, followupDue+17*time.Minute, true)
				h.Run(followupDue + 2*time.Hour)
				wftest.MustReject(h.T, early, workflows.ErrNotValidNow, "not before")
				if v := wftest.MustOK(h.T, ok); v.Status != sop.StatusClosed {
					h.T.Fatalf("status %s", v.Status)
				}
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if p := wantEntryAtAfter(t, h, sop.KindFollowupPlanned, sop.R9_1, dayDone); p.Outcome != sop.OutPlanned {
					t.Fatalf("plan %+v", p)
				}
				if d := wantEntryAtAfter(t, h, sop.KindFollowupDue, sop.R9_1, followupDue); d.Outcome != sop.OutDue {
					t.Fatalf("due %+v", d)
				}
				wantOneNote(t, h, sop.MsgFollowupCall, sop.ToCentre, followupDue, false)
				noEscalation(t, h, sop.R9_1)
			}},
		ruleCase{rule: sop.R9_1, want: audit.Breached, name: "followup_call_one_minute_past_its_deadline",
			evidence: "its result came 18 m later (limit 17 m)",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, dayStart, dayDone, true, true, false)
				followupCall(h, followupDue+18*time.Minute, false)
				h.Run(followupDue + 2*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindEscalated, sop.R9_1, followupDue+17*time.Minute+past)
				wantOneNote(t, h, sop.MsgCallbackOverdue, sop.ToCentre, followupDue+17*time.Minute+past, true)
				if r := wantEntryAtAfter(t, h, sop.KindFollowupResult, sop.R9_1, followupDue+18*time.Minute); r.Outcome != sop.OutUnresolved {
					t.Fatalf("result %+v", r)
				}
				wantEntryAtAfter(t, h, sop.KindRevisit, sop.R9_1, followupDue+18*time.Minute)
			}},
		ruleCase{rule: sop.R9_1, want: audit.Breached, name: "followup_call_never_made_escalated_to_centre_then_manager",
			evidence: "not made within 17 m",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, dayStart, dayDone, true, true, false)
				h.Run(followupDue + 17*time.Minute + 7*time.Hour + time.Minute)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCallbackEscalated(t, h, sop.R9_1, followupDue+17*time.Minute+past, followupDue+17*time.Minute+7*time.Hour+past)
			}},

		// R11.1 -----------------------------------------------------------
		ruleCase{rule: sop.R11_1, want: audit.Met, name: "complaint_answered_exactly_5h_later",
			evidence: "complaint #1 answered 5 h 00 m after it was made (limit 5 h 00 m)",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				complaint(h, complainedAt)
				ok := complaintAnswered(h, complainedAt+5*time.Hour)
				h.Run(complainedAt + 7*time.Hour)
				wftest.MustOK(h.T, ok)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := wantOneNote(t, h, sop.MsgComplaintReceived, sop.ToCustomer, complainedAt, false)
				if n.Recipient != wftest.Request().Customer.Phone || n.Params["due"] != "2026-03-02 15:00" {
					t.Fatalf("complaint receipt %+v", n)
				}
				if len(h.Only(sop.KindComplaintOverdue)) != 0 {
					t.Fatalf("overdue at the deadline:%s", h.Timeline())
				}
				noNoteAfter(t, h, sop.MsgComplaintOverdue)
			}},
		ruleCase{rule: sop.R11_1, want: audit.Breached, name: "complaint_answered_one_minute_late_manager_told",
			evidence: "complaint #1 answered 5 h 01 m after it was made, over the 5 h 00 m limit",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				complaint(h, complainedAt)
				complaintAnswered(h, complainedAt+5*time.Hour+time.Minute)
				h.Run(complainedAt + 7*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindComplaintOverdue, sop.R11_1, complainedAt+5*time.Hour+past)
				n := wantOneNote(t, h, sop.MsgComplaintOverdue, sop.ToManager, complainedAt+5*time.Hour+past, true)
				if n.Params["n"] != "1" || n.Rule != sop.R11_1 {
					t.Fatalf("manager's notice %+v", n)
				}
			}},
		ruleCase{rule: sop.R11_1, want: audit.Breached, name: "complaint_never_answered",
			evidence: "complaint #1 not answered within 5 h 00 m: escalated to the after-sales manager",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				complaint(h, complainedAt)
				h.Run(complainedAt + 7*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantOneNote(t, h, sop.MsgComplaintOverdue, sop.ToManager, complainedAt+5*time.Hour+past, true)
			}},

		// R11.2 -----------------------------------------------------------
		ruleCase{rule: sop.R11_2, want: audit.Met, name: "every_step_recorded_in_order",
			evidence: "none missing",
			run: func(h *wftest.Harness) {
				consulted(h)
				callbackResult(h, callbackDue+time.Minute, true)
				h.Run(callbackLate + time.Hour)
			}},
		// R11.2 is about the record itself, which the workflow never breaks
		// on its own (issue 9 was a step lost between the worker and the
		// database): these cases tamper with a copy of the committed steps
		// before the auditor judges them.
		ruleCase{rule: sop.R11_2, want: audit.Breached, name: "a_step_lost_from_the_record",
			evidence: "step 4 follows step 2: the record has a gap",
			run: func(h *wftest.Harness) {
				consulted(h)
				callbackResult(h, callbackDue+time.Minute, true)
				h.Tamper = func(cs []workflows.CommitInput) []workflows.CommitInput {
					return append(cs[:2:2], cs[3:]...)
				}
				h.Run(callbackLate + time.Hour)
			}},
		ruleCase{rule: sop.R11_2, want: audit.Breached, name: "an_entry_recorded_out_of_time_order",
			evidence: "has an entry",
			run: func(h *wftest.Harness) {
				consulted(h)
				callbackResult(h, callbackDue+time.Minute, true)
				h.Tamper = func(cs []workflows.CommitInput) []workflows.CommitInput {
					last := &cs[len(cs)-1]
					last.Entries = append([]workflows.Entry(nil), last.Entries...)
					last.Entries[0].At = cs[0].At
					return cs
				}
				h.Run(callbackLate + time.Hour)
			}},
		ruleCase{rule: sop.R11_2, want: audit.Breached, name: "an_entry_without_its_rule",
			evidence: "names no rule",
			run: func(h *wftest.Harness) {
				consulted(h)
				h.Tamper = func(cs []workflows.CommitInput) []workflows.CommitInput {
					cs[1].Entries = append([]workflows.Entry(nil), cs[1].Entries...)
					cs[1].Entries[0].Rule = ""
					return cs
				}
				h.Run(callbackDue)
			}},
	)
}

// The night visits of R10.1, in the service area's time (UTC+8; T0 is
// 09:00 local): one completed at 23:50, one at 00:10 the next day. A card's
// day is the service area's: a UTC computation moves the 23:50 card's due
// time to 07:59:59 the next morning and the 00:10 card's to 07:59:59 the
// evening before.
const (
	lateStart  = 14 * time.Hour                                 // 23:00 local
	lateDone   = 14*time.Hour + 50*time.Minute                  // 23:50 local
	lateDue    = 14*time.Hour + 59*time.Minute + 59*time.Second // 23:59:59 local
	nightStart = 14*time.Hour + 30*time.Minute                  // 23:30 local
	nightDone  = 15*time.Hour + 10*time.Minute                  // 00:10 local, 3 March
	nightDue   = 38*time.Hour + 59*time.Minute + 59*time.Second // 23:59:59 local, 3 March
)

func cardReturned(h *wftest.Harness, at time.Duration) *wftest.Result {
	return h.Eng(at, sop.Event{Type: sop.EvCardReturned})
}

// wantCardClock asserts the live view's R10.1 clock: once the card's day
// (service area) has passed.
func wantCardClock(t *testing.T, v *workflows.View, due time.Duration) {
	t.Helper()
	for _, p := range v.Pending {
		if p.Clock == "card_due" {
			if p.At == nil || !p.At.Equal(at(due+past)) || p.Rule != sop.R10_1 {
				t.Fatalf("card clock %+v, want at +%s", p, due+past)
			}
			return
		}
	}
	t.Fatalf("no card clock in %+v", v.Pending)
}

func init() {
	var view *workflows.View
	cases(
		// R10.1 -----------------------------------------------------------
		ruleCase{rule: sop.R10_1, want: audit.Met, name: "completed_23_50_local_card_back_at_23_59_59",
			evidence: "due by 2026-03-02 23:59:59: returned 2026-03-02 23:59:59",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, lateStart, lateDone, true, true, true)
				view = h.ViewAt(lateDone + time.Minute)
				cardReturned(h, lateDue)
				h.Run(lateDue + 2*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCardClock(t, view, lateDue)
				if r := wantEntryAtAfter(t, h, sop.KindCardReturned, sop.R10_1, lateDue); r.Outcome != sop.OutOnTime {
					t.Fatalf("card %+v", r)
				}
				if len(h.Only(sop.KindCardOverdue)) > 0 {
					t.Fatalf("overdue:%s", h.Timeline())
				}
			}},
		ruleCase{rule: sop.R10_1, want: audit.Breached, name: "completed_23_50_local_card_back_one_second_past_midnight",
			evidence: "returned late, 2026-03-03 00:00:00",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, lateStart, lateDone, true, true, true)
				cardReturned(h, lateDue+past)
				h.Run(lateDue + 2*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if o := wantEntryAtAfter(t, h, sop.KindCardOverdue, sop.R10_1, lateDue+past); o.Outcome != sop.OutMissed {
					t.Fatalf("overdue %+v", o)
				}
				n := wantOneNote(t, h, sop.MsgCardOverdue, sop.ToCentre, lateDue+past, false)
				if n.Params["visit"] != "1" || n.Params["engineer"] != "E-1" {
					t.Fatalf("card notice %+v", n)
				}
				if r := wantEntryAtAfter(t, h, sop.KindCardReturned, sop.R10_1, lateDue+past); r.Outcome != sop.OutLate {
					t.Fatalf("card %+v", r)
				}
			}},
		ruleCase{rule: sop.R10_1, want: audit.Met, name: "completed_00_10_local_card_back_that_evening",
			evidence: "completed 2026-03-03 00:10:00, due by 2026-03-03 23:59:59: returned 2026-03-03 20:00:00",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, nightStart, nightDone, true, true, true)
				view = h.ViewAt(nightDone + time.Minute)
				cardReturned(h, 35*time.Hour) // 20:00 local, 3 March
				h.Run(nightDue + 2*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCardClock(t, view, nightDue)
				if len(h.Only(sop.KindCardOverdue)) > 0 {
					t.Fatalf("overdue:%s", h.Timeline())
				}
			}},
		ruleCase{rule: sop.R10_1, want: audit.Breached, name: "completed_00_10_local_card_not_back_by_midnight",
			evidence: "not returned that day (centre told 2026-03-04 00:00:00)",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, nightStart, nightDone, true, true, true)
				h.Run(nightDue + 2*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindCardOverdue, sop.R10_1, nightDue+past)
				wantOneNote(t, h, sop.MsgCardOverdue, sop.ToCentre, nightDue+past, false)
			}},

		// R10.2 -----------------------------------------------------------
		ruleCase{rule: sop.R10_2, want: audit.Met, name: "consistent_card_reconciled_once_though_delivered_twice",
			evidence: "1 card(s) reconciled",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, dayStart, dayDone, true, true, true)
				cardReturned(h, dayDone+time.Hour)
				// A retried DeliverReconciliation signals the same run again
				// (before the first is applied: the request is still open).
				h.Signal(reconcileRun, workflows.SignalReconciliation, reconciliation(7, reconcileRun))
				h.Signal(reconcileRun, workflows.SignalReconciliation, reconciliation(7, reconcileRun))
				h.Run(reconcileRun + 3*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindReconciled, sop.R10_2, reconcileRun)
				noNoteAfter(t, h, sop.MsgFalsification)
			}},
		ruleCase{rule: sop.R10_2, want: audit.Breached, name: "card_not_returned_flagged_and_callback_never_made",
			evidence: "suspected falsification: visit 1 (E-1): service card not returned",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				visit(h, dayStart, dayDone, true, true, true)
				h.Signal(reconcileRun, workflows.SignalReconciliation, reconciliation(8, reconcileRun,
					workflows.Flag{Reason: workflows.FlagCardNotReturned, Detail: "service card not returned by the end of the visit day (2026-03-02): suspected falsification"}))
				h.Signal(reconcileRun+time.Minute, workflows.SignalReconciliation, reconciliation(8, reconcileRun,
					workflows.Flag{Reason: workflows.FlagCardNotReturned, Detail: "service card not returned by the end of the visit day (2026-03-02): suspected falsification"}))
				h.Run(reconcileRun + 17*time.Minute + 7*time.Hour + time.Minute)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindSuspectedFalsified, sop.R10_2, reconcileRun)
				n := wantOneNote(t, h, sop.MsgFalsification, sop.ToCentre, reconcileRun, true)
				if n.Params["phone"] != wftest.Request().Customer.Phone || n.Params["visit"] != "1" {
					t.Fatalf("falsification notice %+v", n)
				}
				wantEntryAtAfter(t, h, sop.KindFollowupDue, sop.R10_2, reconcileRun)
				wantCallbackEscalated(t, h, sop.R10_2, reconcileRun+17*time.Minute+past, reconcileRun+17*time.Minute+7*time.Hour+past)
			}},
		// reconcile_at 19:10 (not the default 18:00): the run after the
		// visit's day is 19:10 the next day; reconcile_grace 23m later the
		// request says it never came.
		ruleCase{rule: sop.R10_2, want: audit.Breached, name: "reconciliation_at_19_10_never_came_escalated_23m_later",
			evidence: "not reconciled by 2026-03-03 19:33",
			run: func(h *wftest.Harness) {
				h.Policy = afterPolicy()
				h.Policy.ReconcileAt = "19:10"
				visit(h, dayStart, dayDone, true, true, true)
				cardReturned(h, dayDone+time.Hour)
				view = h.ViewAt(dayDone + 2*time.Hour)
				h.Run(reconcileRun + 3*time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantEntryAtAfter(t, h, sop.KindEscalated, sop.R10_2, reconcileRun+70*time.Minute+23*time.Minute)
				n := wantOneNote(t, h, sop.MsgEscalation, sop.ToCentre, reconcileRun+93*time.Minute, true)
				if n.Rule != sop.R10_2 {
					t.Fatalf("notice %+v", n)
				}
				found := false
				for _, p := range view.Pending {
					found = found || p.Clock == "reconcile_wait" && p.At != nil && p.At.Equal(at(reconcileRun+93*time.Minute))
				}
				if !found {
					t.Fatalf("pending %+v", view.Pending)
				}
			}},
	)
}

// R10.2: a request begun before issue 10 keeps its behaviour: the same
// reconciliation delivered twice is recorded twice (the duplicates the
// deduplication of rulesComplete removes).
func TestR10_2_OldRequestsRecordARepeatedReconciliationTwice(t *testing.T) {
	h := wftest.New(t)
	h.OldRules()
	visit(h, dayStart, dayDone, true, true, true)
	cardReturned(h, dayDone+time.Hour)
	h.Signal(reconcileRun, workflows.SignalReconciliation, reconciliation(7, reconcileRun))
	h.Signal(reconcileRun, workflows.SignalReconciliation, reconciliation(7, reconcileRun))
	h.Run(reconcileRun + 3*time.Hour)
	if n := len(h.Only(sop.KindReconciled)); n != 2 {
		t.Fatalf("%d reconciled entries:%s", n, h.Timeline())
	}
}

func confirmation(h *wftest.Harness, at time.Duration, visit int, satisfied bool) *wftest.Result {
	return h.CC(at, sop.Event{Type: sop.EvSatisfactionConfirmed, Visit: wftest.Ptr(visit), Satisfied: wftest.Ptr(satisfied)})
}

// unsignedCard: a satisfied visit the customer did not sign (R8.2), its
// card back that day; the reconciliation finds it unsigned and unconfirmed.
func unsignedCard(h *wftest.Harness) {
	h.Policy = afterPolicy()
	visit(h, dayStart, dayDone, true, false, true)
	cardReturned(h, dayDone+time.Hour)
	sig := reconciliation(9, reconcileRun)
	sig.Visits[0].Confirm = true
	h.Signal(reconcileRun, workflows.SignalReconciliation, sig)
}

func wantConfirmationAsked(t *testing.T, h *wftest.Harness) {
	t.Helper()
	if e := wantEntryAtAfter(t, h, sop.KindReconciled, sop.R10_2, reconcileRun); e.Outcome != sop.OutUnconfirmed {
		t.Fatalf("reconciled %+v", e)
	}
	n := wantOneNote(t, h, sop.MsgConfirmSatisfaction, sop.ToCentre, reconcileRun, false)
	if n.Params["phone"] != wftest.Request().Customer.Phone || n.Params["visit"] != "1" || n.Rule != sop.R10_2 {
		t.Fatalf("confirmation request %+v", n)
	}
}

func init() {
	var view *workflows.View
	cases(
		ruleCase{rule: sop.R10_2, want: audit.Met, name: "unsigned_card_is_not_falsification_customer_confirms_at_the_deadline",
			evidence: "1 unsigned card(s) confirmed by the customer",
			run: func(h *wftest.Harness) {
				unsignedCard(h)
				view = h.ViewAt(reconcileRun + time.Minute)
				wrong := confirmation(h, reconcileRun+2*time.Minute, 2, true)
				ok := confirmation(h, reconcileRun+17*time.Minute, 1, true)
				h.Run(reconcileRun + 3*time.Hour)
				wftest.MustReject(h.T, wrong, workflows.ErrNotValidNow, "no completed visit 2 to confirm (R10.2)")
				wftest.MustOK(h.T, ok)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantConfirmationAsked(t, h)
				found := false
				for _, p := range view.Pending {
					found = found || p.Event == sop.EvSatisfactionConfirmed && p.Rule == sop.R10_2
				}
				if !found {
					t.Fatalf("pending %+v does not list satisfaction_confirmed", view.Pending)
				}
				if e := wantEntryAtAfter(t, h, sop.KindSatisfactionConfirmed, sop.R10_2, reconcileRun+17*time.Minute); e.Outcome != sop.OutConfirmed {
					t.Fatalf("confirmation %+v", e)
				}
				noNoteAfter(t, h, sop.MsgFalsification)
				noEscalation(t, h, sop.R10_2)
				if n := h.Only(sop.KindSuspectedFalsified); len(n) > 0 {
					t.Fatalf("flagged %+v", n)
				}
			}},
		ruleCase{rule: sop.R10_2, want: audit.Breached, name: "customer_contradicts_the_cards_satisfied",
			evidence: "contradicts the card's",
			run: func(h *wftest.Harness) {
				unsignedCard(h)
				confirmation(h, reconcileRun+10*time.Minute, 1, false)
				again := confirmation(h, reconcileRun+11*time.Minute, 1, true)
				h.Run(reconcileRun + 3*time.Hour)
				wftest.MustReject(h.T, again, workflows.ErrNotValidNow, "confirmed by the customer already (R10.2)")
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantConfirmationAsked(t, h)
				if e := wantEntryAtAfter(t, h, sop.KindSatisfactionConfirmed, sop.R10_2, reconcileRun+10*time.Minute); e.Outcome != sop.OutRefused {
					t.Fatalf("confirmation %+v", e)
				}
				wantEntryAtAfter(t, h, sop.KindSuspectedFalsified, sop.R10_2, reconcileRun+10*time.Minute)
				wantOneNote(t, h, sop.MsgFalsification, sop.ToCentre, reconcileRun+10*time.Minute, true)
				wantEntryAtAfter(t, h, sop.KindFollowupDue, sop.R10_2, reconcileRun+10*time.Minute)
			}},
		ruleCase{rule: sop.R10_2, want: audit.Breached, name: "confirmation_call_never_made_escalated",
			evidence: "call asking the customer to confirm an unsigned card not made within 17m",
			run: func(h *wftest.Harness) {
				unsignedCard(h)
				h.Run(reconcileRun + 17*time.Minute + 7*time.Hour + time.Minute)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wantCallbackEscalated(t, h, sop.R10_2, reconcileRun+17*time.Minute+past, reconcileRun+17*time.Minute+7*time.Hour+past)
			}},
	)
}

// R10.2: a request begun before issue 10 keeps its behaviour: an unsigned
// "satisfied" the reconciliation asks to confirm is flagged as it was then,
// and it does not take satisfaction_confirmed.
func TestR10_2_OldRequestsFlagAnUnsignedCard(t *testing.T) {
	h := wftest.New(t)
	h.OldRules()
	visit(h, dayStart, dayDone, true, false, true)
	cardReturned(h, dayDone+time.Hour)
	sig := reconciliation(9, reconcileRun)
	sig.Visits[0].Confirm = true
	h.Signal(reconcileRun, workflows.SignalReconciliation, sig)
	r := confirmation(h, reconcileRun+time.Minute, 1, true)
	h.Run(reconcileRun + 3*time.Hour)
	if n := h.Only(sop.KindSuspectedFalsified); len(n) != 1 {
		t.Fatalf("flags %+v", n)
	}
	wftest.MustReject(t, r, workflows.ErrNotValidNow, "satisfaction_confirmed")
}
