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
// at start and completes the visit at done.
func visit(h *wftest.Harness, start, done time.Duration, satisfied, signed, certain bool) {
	h.CC(time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.T0.Add(start)), End: wftest.Ptr(wftest.T0.Add(start + 2*time.Hour))})
	h.Eng(start-40*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(start-5*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(start, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
	h.Eng(done, sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(satisfied), SignedByCustomer: wftest.Ptr(signed), FixCertain: wftest.Ptr(certain),
		Record: &sop.ServiceRecord{Cause: "firing defect", Measures: "replaced 3 tiles"}, Checklist: wftest.Checklist(sop.EvCompleted)})
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
func wantEntryAt(t *testing.T, h *wftest.Harness, kind sop.Kind, rule sop.Rule, d time.Duration) workflows.Entry {
	t.Helper()
	var got []workflows.Entry
	for _, e := range h.Only(kind) {
		if e.Rule == rule {
			got = append(got, e)
		}
	}
	if len(got) != 1 || !got[0].At.Equal(at(d)) {
		t.Fatalf("want one %s %s at +%s, got %+v; timeline:%s", kind, rule, d, got, h.Timeline())
	}
	return got[0]
}

// wantNote asserts exactly one notification of msg to whom at T0+d, urgent or not.
func wantNote(t *testing.T, h *wftest.Harness, msg sop.Message, to sop.Audience, d time.Duration, urgent bool) wftest.Sent {
	t.Helper()
	var got []wftest.Sent
	for _, n := range h.Notes(msg) {
		if n.To == to {
			got = append(got, n)
		}
	}
	if len(got) != 1 || !got[0].At.Equal(at(d)) || got[0].Urgent != urgent {
		t.Fatalf("want one %s to %s at +%s (urgent %v), got %+v", msg, to, d, urgent, got)
	}
	if got[0].Params["request"] != wftest.Request().ID {
		t.Fatalf("%s names request %q", msg, got[0].Params["request"])
	}
	return got[0]
}

func noNote(t *testing.T, h *wftest.Harness, msg sop.Message) {
	t.Helper()
	if n := h.Notes(msg); len(n) > 0 {
		t.Fatalf("unexpected %s: %+v", msg, n)
	}
}

func noEscalation(t *testing.T, h *wftest.Harness, rule sop.Rule) {
	t.Helper()
	for _, e := range h.Only(sop.KindEscalated) {
		if e.Rule == rule {
			t.Fatalf("unexpected escalation %+v", e)
		}
	}
	noNote(t, h, sop.MsgCallbackOverdue)
}

// wantCallbackEscalated asserts the two escalations of a call-back never
// made: the centre when sop.callback_within passed, the after-sales manager
// sop.manager_after later, both urgent, naming the customer.
func wantCallbackEscalated(t *testing.T, h *wftest.Harness, rule sop.Rule, centreAt, managerAt time.Duration) {
	t.Helper()
	es := []workflows.Entry{}
	for _, e := range h.Only(sop.KindEscalated) {
		if e.Rule == rule {
			es = append(es, e)
		}
	}
	if len(es) != 2 || !es[0].At.Equal(at(centreAt)) || !es[1].At.Equal(at(managerAt)) ||
		es[0].Outcome != sop.OutMissed || es[1].Outcome != sop.OutMissed {
		t.Fatalf("escalations %+v; timeline:%s", es, h.Timeline())
	}
	c := wantNote(t, h, sop.MsgCallbackOverdue, sop.ToCentre, centreAt, true)
	m := wantNote(t, h, sop.MsgCallbackOverdue, sop.ToManager, managerAt, true)
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
				plan := wantEntryAt(t, h, sop.KindFollowupPlanned, sop.R2_2, consultedAt)
				if plan.Outcome != sop.OutPlanned {
					t.Fatalf("plan %+v", plan)
				}
				wantEntryAt(t, h, sop.KindFollowupDue, sop.R2_2, callbackDue)
				n := wantNote(t, h, sop.MsgConsultationCallback, sop.ToCentre, callbackDue, false)
				if n.Params["phone"] != wftest.Request().Customer.Phone {
					t.Fatalf("call-back notice %+v", n)
				}
				if r := wantEntryAt(t, h, sop.KindFollowupResult, sop.R2_2, callbackLate); r.Outcome != sop.OutResolved {
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
				wantEntryAt(t, h, sop.KindEscalated, sop.R2_2, callbackLate+past)
				wantNote(t, h, sop.MsgCallbackOverdue, sop.ToCentre, callbackLate+past, true)
				r := wantEntryAt(t, h, sop.KindFollowupResult, sop.R2_2, callbackLate+time.Minute)
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
				cons := wantEntryAt(t, h, sop.KindConsultation, sop.R2_2, consultedAt)
				due := wantEntryAt(t, h, sop.KindFollowupDue, sop.R2_2, callbackDue)
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
