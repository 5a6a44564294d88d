package audit_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// The service and its completion: R2.5, R7.1–R7.6, R8.1–R8.4, R12.2–R12.5.
//
// Every scenario books the 14:00–16:00 slot (wftest.SlotStart), the engineer
// leaves at 13:20, arrives at 13:55 and is let in at 14:00 (T0+5h); the
// service happens from there.

const inHome = 5 * time.Hour // T0+5h: the engineer is let in

// toService triages the request, books the slot and brings the engineer
// into the home at T0+inHome.
func toService(h *wftest.Harness) {
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.Book(2 * time.Minute)
	h.Eng(4*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(4*time.Hour+55*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(inHome, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
}

func diagnosed(h *wftest.Harness, at time.Duration) *wftest.Result {
	return h.Eng(at, sop.Event{Type: sop.EvDiagnosed, Cause: "glaze defect in the firing", Onsite: wftest.Ptr(true)})
}

func explained(h *wftest.Harness, at time.Duration, accepted bool, fee float64) *wftest.Result {
	return h.Eng(at, sop.Event{Type: sop.EvWorkExplained, Accepted: wftest.Ptr(accepted), Minutes: wftest.Ptr(40), Fee: wftest.Ptr(fee)})
}

// done is a completed visit with the record and every checklist item.
func done(satisfied, signed bool) sop.Event {
	return sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(4),
		Satisfied: wftest.Ptr(satisfied), SignedByCustomer: wftest.Ptr(signed), FixCertain: wftest.Ptr(true),
		Record:    &sop.ServiceRecord{Cause: "glaze defect", Measures: "tile replaced", PartsUsed: []string{"CT-800 tile"}},
		Checklist: wftest.Checklist(sop.EvCompleted)}
}

// outOfWarranty makes the visit charged (R3.2).
func outOfWarranty(h *wftest.Harness) {
	h.Request.Product.PurchaseDate = "2023-05-01"
}

func wantNote(t *testing.T, h *wftest.Harness, m sop.Message, to sop.Audience, at time.Duration, urgent bool, params map[string]string) wftest.Sent {
	t.Helper()
	ns := h.NotesTo(m, to)
	for _, n := range ns {
		if !n.At.Equal(wftest.T0.Add(at)) {
			continue
		}
		if n.Urgent != urgent {
			t.Fatalf("%s to %s at +%s: urgent %v, want %v", m, to, at, n.Urgent, urgent)
		}
		for k, v := range params {
			if n.Params[k] != v {
				t.Fatalf("%s to %s at +%s: %s = %q, want %q (%v)", m, to, at, k, n.Params[k], v, n.Params)
			}
		}
		if to == sop.ToCustomer && n.Recipient != h.Request.Customer.Phone {
			t.Fatalf("%s to the customer sent to %q", m, n.Recipient)
		}
		return n
	}
	t.Fatalf("no %s to %s at +%s; sent: %+v; timeline:%s", m, to, at, ns, h.Timeline())
	return wftest.Sent{}
}

func noNote(t *testing.T, h *wftest.Harness, m sop.Message, to sop.Audience) {
	t.Helper()
	if ns := h.NotesTo(m, to); len(ns) > 0 {
		t.Fatalf("unexpected %s to %s: %+v", m, to, ns)
	}
}

func wantEntryAt(t *testing.T, h *wftest.Harness, k sop.Kind, r sop.Rule, at time.Duration, o sop.Outcome) {
	t.Helper()
	for _, e := range h.OnlyRule(k, r) {
		if e.At.Equal(wftest.T0.Add(at)) && e.Outcome == o {
			return
		}
	}
	t.Fatalf("no %s %s entry with outcome %s at +%s; timeline:%s", k, r, o, at, h.Timeline())
}

func without(items []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(items), func(s string) bool { return s == drop })
}

func init() {
	cases(
		// R7.1: the real cause before completion.
		ruleCase{rule: sop.R7_1, want: audit.Met, name: "diagnosed_before_completion", evidence: "visit 1 diagnosed 30 m before completion",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
			}},
		ruleCase{rule: sop.R7_1, want: audit.Met, name: "completion_without_diagnosis_refused",
			run: func(h *wftest.Harness) {
				toService(h)
				early := h.Eng(inHome+5*time.Minute, done(true, true))
				v := h.ViewAt(inHome + 6*time.Minute)
				diagnosed(h, inHome+10*time.Minute)
				ok := h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
				wftest.MustReject(h.T, early, workflows.ErrNotValidNow, "R7.1")
				wftest.MustOK(h.T, ok)
				if len(v.Pending) == 0 || v.Pending[0].Event != sop.EvDiagnosed || slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvCompleted }) {
					h.T.Fatalf("before the diagnosis the request waits for %+v, want diagnosed first and no completed", v.Pending)
				}
			}},
		ruleCase{rule: sop.R7_1, want: audit.Breached, name: "old_rules_completed_without_diagnosis", evidence: "visit 1 completed at 2026-03-02T06:40:00Z with no diagnosis",
			run: func(h *wftest.Harness) {
				h.OldRules()
				toService(h)
				h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
			}},

		// R2.5: a workshop repair only with the customer's choice; the pickup visit gets its record and card.
		ruleCase{rule: sop.R2_5, want: audit.Met, name: "workshop_accepted_pickup_completed_with_record_and_card", evidence: "pickup visit 1 completed with its record and card",
			run: func(h *wftest.Harness) {
				toService(h)
				h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: wftest.Ptr(false), WorkshopAccepted: wftest.Ptr(true)})
				c := h.Eng(inHome+30*time.Minute, done(true, true))
				h.Run(inHome + time.Hour)
				v := wftest.MustOK(h.T, c)
				if v.Status != sop.StatusWorkshop || !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvCardReturned }) {
					h.T.Fatalf("after the pickup: %s, pending %+v; want workshop and the card awaited (R10.1)", v.Status, v.Pending)
				}
				var rec *workflows.ServiceVisitRecord
				for _, s := range h.Commits() {
					if s.ServiceRecord != nil {
						rec = s.ServiceRecord
					}
				}
				if rec == nil || rec.Visit != 1 || rec.Record.Measures != "tile replaced" {
					h.T.Fatalf("pickup visit record %+v", rec)
				}
				wantNote(h.T, h, sop.MsgWorkshopReturn, sop.ToCentre, inHome+30*time.Minute, false, nil)
				wantNote(h.T, h, sop.MsgThankYou, sop.ToCustomer, inHome+30*time.Minute, false, nil)
			}},
		ruleCase{rule: sop.R2_5, want: audit.Met, name: "workshop_declined_choice_respected", evidence: "declined by the customer",
			run: func(h *wftest.Harness) {
				toService(h)
				assumed := h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: wftest.Ptr(false)})
				defer func() { wftest.MustReject(h.T, assumed, workflows.ErrNotValidNow, "workshop_accepted") }()
				d := h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: wftest.Ptr(false), WorkshopAccepted: wftest.Ptr(false)})
				h.Run(inHome + time.Hour)
				if v := wftest.MustOK(h.T, d); v.Status != sop.StatusScheduling {
					h.T.Fatalf("status %s, want scheduling", v.Status)
				}
				wantNote(h.T, h, sop.MsgRebook, sop.ToCentre, inHome+10*time.Minute, false, nil)
				noNote(h.T, h, sop.MsgWorkshopReturn, sop.ToCentre)
			}},
		ruleCase{rule: sop.R2_5, want: audit.Breached, name: "old_rules_workshop_assumed_no_record", evidence: "the customer's choice was not recorded",
			run: func(h *wftest.Harness) {
				h.OldRules()
				toService(h)
				h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: wftest.Ptr(false)})
				h.Run(inHome + time.Hour)
			}},

		ruleCase{rule: sop.R2_5, want: audit.Met, name: "pickup_at_23_50_card_due_the_same_day", evidence: "pickup visit 1 completed with its record and card",
			run: func(h *wftest.Harness) {
				// 23:00–24:00 in the service zone (UTC+8) is 15:00–16:00 UTC of T0's day.
				start := time.Date(2026, 3, 2, 23, 0, 0, 0, time.FixedZone("CST", wftest.CST))
				h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
				h.CC(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: &start, End: wftest.Ptr(start.Add(time.Hour))})
				in := start.Sub(wftest.T0)
				h.Eng(in-40*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
				h.Eng(in-5*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
				h.Eng(in, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
				h.Eng(in+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "motor winding burnt", Onsite: wftest.Ptr(false), WorkshopAccepted: wftest.Ptr(true)})
				c := h.Eng(in+50*time.Minute, done(true, true))
				h.Run(in + 2*time.Hour)
				v := wftest.MustOK(h.T, c)
				// The card is due by 23:59:59 the same day; its clock falls due
				// the second after (a return at 23:59:59 is in time).
				dayEnd := time.Date(2026, 3, 3, 0, 0, 0, 0, time.FixedZone("CST", wftest.CST))
				if !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Clock == "card_due" && p.At.Equal(dayEnd) }) {
					h.T.Fatalf("the pickup visit's card is not due by the end of the same day (R10.1): %+v", v.Pending)
				}
			}},

		// R7.2: a question asked during service is answered by sop.hq_answer_within (21h here), even after closing.
		ruleCase{rule: sop.R7_2, want: audit.Met, name: "answered_exactly_at_limit_after_closing", evidence: "answered 21 h 00 m later",
			run: func(h *wftest.Harness) {
				h.Policy.HQAnswerWithin = sop.D(21 * time.Hour)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvProblemEscalated, Description: "grout crumbling along the wall"})
				diagnosed(h, inHome+10*time.Minute)
				c := h.Eng(inHome+40*time.Minute, done(true, true))
				a := h.CC(inHome+5*time.Minute+21*time.Hour, sop.Event{Type: sop.EvHQAnswer, Answer: "regrout with epoxy"})
				h.Run(inHome + 30*time.Hour)
				if v := wftest.MustOK(h.T, c); v.Status != sop.StatusClosed || !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvHQAnswer }) {
					h.T.Fatalf("closed request %s pending %+v: want the HQ question still open", v.Status, v.Pending)
				}
				wftest.MustOK(h.T, a)
				wantNote(h.T, h, sop.MsgHQAnswer, sop.ToCustomer, inHome+5*time.Minute+21*time.Hour, false, map[string]string{"answer": "regrout with epoxy"})
				noNote(h.T, h, sop.MsgHQOverdue, sop.ToManager)
			}},
		ruleCase{rule: sop.R7_2, want: audit.Breached, name: "answered_one_minute_late_escalated", evidence: "answered 21 h 01 m later, over the 21 h 00 m limit",
			run: func(h *wftest.Harness) {
				h.Policy.HQAnswerWithin = sop.D(21 * time.Hour)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvProblemEscalated, Description: "grout crumbling along the wall"})
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(true, true))
				h.CC(inHome+5*time.Minute+21*time.Hour+time.Minute, sop.Event{Type: sop.EvHQAnswer, Answer: "regrout with epoxy"})
				h.Run(inHome + 30*time.Hour)
				wantNote(h.T, h, sop.MsgHQOverdue, sop.ToManager, inHome+5*time.Minute+21*time.Hour+time.Second, true, map[string]string{"question": "grout crumbling along the wall"})
			}},
		ruleCase{rule: sop.R7_2, want: audit.Breached, name: "old_rules_question_dropped_on_closing", evidence: "dropped when the request closed",
			run: func(h *wftest.Harness) {
				h.OldRules()
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvProblemEscalated, Description: "grout crumbling along the wall"})
				h.Eng(inHome+40*time.Minute, done(true, true))
				late := h.CC(inHome+5*time.Hour, sop.Event{Type: sop.EvHQAnswer, Answer: "regrout with epoxy"})
				h.Run(inHome + 6*time.Hour)
				wftest.MustReject(h.T, late, workflows.ErrNotValidNow, "closed")
			}},

		// R7.3: the centre decides within sop.manager_after (43m here); the customer is told the decision as it is.
		ruleCase{rule: sop.R7_3, want: audit.Met, name: "refused_exactly_at_limit_customer_told_refused", evidence: "refused by the centre 43 m later",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(300.0), Reason: "scratched floor"})
				h.CC(inHome+48*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: wftest.Ptr(false)})
				h.Run(inHome + 2*time.Hour)
				wantNote(h.T, h, sop.MsgCompensation, sop.ToCentre, inHome+5*time.Minute, false, map[string]string{"amount": "300.00", "reason": "scratched floor"})
				wantNote(h.T, h, sop.MsgCompensationResult, sop.ToCustomer, inHome+48*time.Minute, false, map[string]string{"approved": "false", "amount": "300.00"})
				wantEntryAt(h.T, h, sop.KindCompensation, sop.R7_3, inHome+48*time.Minute, sop.OutRefused)
				if len(h.OnlyRule(sop.KindEscalated, sop.R7_3)) > 0 {
					h.T.Fatal("escalated although decided at the limit")
				}
			}},
		ruleCase{rule: sop.R7_3, want: audit.Met, name: "approved_customer_told_approved", evidence: "approved by the centre",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(120.5), Reason: "stained sofa"})
				h.CC(inHome+20*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: wftest.Ptr(true)})
				h.Run(inHome + 2*time.Hour)
				wantNote(h.T, h, sop.MsgCompensationResult, sop.ToCustomer, inHome+20*time.Minute, false, map[string]string{"approved": "true", "amount": "120.50"})
				wantEntryAt(h.T, h, sop.KindCompensation, sop.R7_3, inHome+20*time.Minute, sop.OutApproved)
			}},
		ruleCase{rule: sop.R7_3, want: audit.Met, name: "decided_after_the_visit_closed_customer_told", evidence: "approved by the centre 35 m later",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(80.0), Reason: "scuffed door frame"})
				diagnosed(h, inHome+10*time.Minute)
				c := h.Eng(inHome+20*time.Minute, done(true, true))
				d := h.CC(inHome+40*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: wftest.Ptr(true)})
				h.Run(inHome + 3*time.Hour)
				if v := wftest.MustOK(h.T, c); v.Status != sop.StatusClosed {
					h.T.Fatalf("status %s, want closed", v.Status)
				}
				wftest.MustOK(h.T, d)
				wantNote(h.T, h, sop.MsgCompensationResult, sop.ToCustomer, inHome+40*time.Minute, false, map[string]string{"approved": "true", "amount": "80.00"})
				noNote(h.T, h, sop.MsgCompensation, sop.ToManager)
			}},
		ruleCase{rule: sop.R7_3, want: audit.Breached, name: "decided_one_minute_late_manager_told", evidence: "decided by the centre 44 m later, over the 43 m limit",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(300.0), Reason: "scratched floor"})
				h.CC(inHome+49*time.Minute, sop.Event{Type: sop.EvCompensationDecision, Approved: wftest.Ptr(false)})
				h.Run(inHome + 2*time.Hour)
				wantNote(h.T, h, sop.MsgCompensation, sop.ToManager, inHome+48*time.Minute+time.Second, true, map[string]string{"amount": "300.00"})
				wantEntryAt(h.T, h, sop.KindEscalated, sop.R7_3, inHome+48*time.Minute+time.Second, sop.OutMissed)
			}},
		ruleCase{rule: sop.R7_3, want: audit.Breached, name: "never_decided_even_after_closing", evidence: "not decided by the centre within 43 m",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(300.0), Reason: "scratched floor"})
				diagnosed(h, inHome+10*time.Minute)
				c := h.Eng(inHome+20*time.Minute, done(true, true))
				h.Run(inHome + 3*time.Hour)
				if v := wftest.MustOK(h.T, c); !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvCompensationDecision }) {
					h.T.Fatalf("closed with the claim dropped: pending %+v", v.Pending)
				}
				wantNote(h.T, h, sop.MsgCompensation, sop.ToManager, inHome+48*time.Minute+time.Second, true, nil)
			}},
		ruleCase{rule: sop.R7_3, want: audit.Breached, name: "decided_by_admin_not_the_centre", evidence: "decided by admin, not the centre",
			run: func(h *wftest.Harness) {
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvCompensationRequested, Amount: wftest.Ptr(300.0), Reason: "scratched floor"})
				h.Send(inHome+10*time.Minute, sop.Actor{Role: sop.RoleAdmin}, sop.Event{Type: sop.EvCompensationDecision, Approved: wftest.Ptr(true)})
				h.Run(inHome + 2*time.Hour)
			}},

		// R7.4: an urgent job while in the home: the centre reassigns or rebooks; the customer is told.
		ruleCase{rule: sop.R7_4, want: audit.Met, name: "called_away_in_service_reassigned_customer_told", evidence: "customer told 0s later",
			run: func(h *wftest.Harness) {
				toService(h)
				next := wftest.SlotStart.Add(24 * time.Hour)
				r := h.CC(inHome+15*time.Minute, sop.Event{Type: sop.EvReassign, Engineer: "E-2", Start: &next, End: wftest.Ptr(next.Add(2 * time.Hour))})
				h.Run(inHome + time.Hour)
				v := wftest.MustOK(h.T, r)
				if v.Engineer != "E-2" || v.Status != sop.StatusScheduled || !v.Appointment.Start.Equal(next) {
					h.T.Fatalf("after the reassignment: %s with %s at %+v", v.Status, v.Engineer, v.Appointment)
				}
				wantNote(h.T, h, sop.MsgCalledAway, sop.ToCustomer, inHome+15*time.Minute, false, map[string]string{"engineer": "E-1"})
				wantNote(h.T, h, sop.MsgAppointmentConfirm, sop.ToCustomer, inHome+15*time.Minute, false, nil)
				wantEntryAt(h.T, h, sop.KindCentreNotified, sop.R7_4, inHome+15*time.Minute, sop.OutDone)
				if e := h.OnlyRule(sop.KindReassigned, sop.R7_4); len(e) != 1 {
					h.T.Fatalf("reassigned entries %+v", e)
				}
			}},
		ruleCase{rule: sop.R7_4, want: audit.Met, name: "called_away_in_service_rebooked_later",
			run: func(h *wftest.Harness) {
				toService(h)
				r := h.CC(inHome+15*time.Minute, sop.Event{Type: sop.EvReassign})
				h.Run(inHome + time.Hour)
				if v := wftest.MustOK(h.T, r); v.Status != sop.StatusScheduling {
					h.T.Fatalf("status %s, want scheduling", v.Status)
				}
				wantNote(h.T, h, sop.MsgRebook, sop.ToCentre, inHome+15*time.Minute, false, nil)
				wantNote(h.T, h, sop.MsgCalledAway, sop.ToCustomer, inHome+15*time.Minute, false, nil)
			}},
		ruleCase{rule: sop.R7_4, want: audit.Breached, name: "nobody_free_customer_never_told", evidence: "neither reassigned nor rebooked with the customer told",
			run: func(h *wftest.Harness) {
				free := wftest.FreeCalendar("E-1", 30*time.Minute)
				h.Calendar = func(in workflows.BookInput) workflows.BookResult {
					if in.Exclude != "" {
						return workflows.BookResult{Outcome: workflows.NoSlot, Reason: "no engineer in region north"}
					}
					return free(in)
				}
				h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
				h.Book(2 * time.Minute)
				h.CC(3*time.Hour, sop.Event{Type: sop.EvReassign})
				h.Run(4 * time.Hour)
			}},

		// R7.5: an incident: centre and manager told at once; the centre takes charge within sop.manager_after (43m).
		ruleCase{rule: sop.R7_5, want: audit.Met, name: "centre_took_charge_exactly_at_limit", evidence: "the centre took charge 43 m later",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvIncident, Description: "customer's relative threatens the engineer"})
				blocked := h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "x", Onsite: wftest.Ptr(true)})
				v := h.ViewAt(inHome + 11*time.Minute)
				r := h.CC(inHome+48*time.Minute, sop.Event{Type: sop.EvIncidentHandled, Resolution: "centre spoke to the customer", Continue: wftest.Ptr(false)})
				h.Run(inHome + 2*time.Hour)
				wftest.MustReject(h.T, blocked, workflows.ErrNotValidNow, "R7.5")
				if len(v.Pending) == 0 || v.Pending[0].Event != sop.EvIncidentHandled ||
					slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvDiagnosed || p.Event == sop.EvCompleted }) {
					h.T.Fatalf("with the incident open the request waits for %+v: want incident_handled, no work", v.Pending)
				}
				params := map[string]string{"description": "customer's relative threatens the engineer", "engineer": "E-1", "address": h.Request.Customer.Address}
				wantNote(h.T, h, sop.MsgIncident, sop.ToCentre, inHome+5*time.Minute, true, params)
				wantNote(h.T, h, sop.MsgIncident, sop.ToManager, inHome+5*time.Minute, true, params)
				if v := wftest.MustOK(h.T, r); v.Status != sop.StatusScheduling {
					h.T.Fatalf("status %s, want scheduling (the engineer left)", v.Status)
				}
				noNote(h.T, h, sop.MsgEscalation, sop.ToManager)
			}},
		ruleCase{rule: sop.R7_5, want: audit.Breached, name: "centre_never_took_charge_manager_told", evidence: "the centre did not take charge within 43 m",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvIncident, Description: "customer's relative threatens the engineer"})
				h.Run(inHome + 2*time.Hour)
				wantNote(h.T, h, sop.MsgEscalation, sop.ToManager, inHome+48*time.Minute+time.Second, true, map[string]string{"what": "incident not handled by the centre"})
			}},
		ruleCase{rule: sop.R7_5, want: audit.Breached, name: "request_cancelled_incident_still_escalated", evidence: "the centre did not take charge within 43 m",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvIncident, Description: "customer's dog bit the engineer"})
				c := h.CC(inHome+10*time.Minute, sop.Event{Type: sop.EvCancel, Reason: "customer cancels"})
				h.Run(inHome + 2*time.Hour)
				if v := wftest.MustOK(h.T, c); v.Status != sop.StatusCancelled || len(v.Pending) == 0 || v.Pending[0].Event != sop.EvIncidentHandled {
					h.T.Fatalf("cancelled request %s waits for %+v: want the incident still open", v.Status, v.Pending)
				}
				wantNote(h.T, h, sop.MsgEscalation, sop.ToManager, inHome+48*time.Minute+time.Second, true, map[string]string{"what": "incident not handled by the centre"})
			}},
		ruleCase{rule: sop.R7_5, want: audit.Breached, name: "centre_took_charge_one_minute_late", evidence: "the centre took charge 44 m later, over the 43 m limit",
			run: func(h *wftest.Harness) {
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvIncident, Description: "customer shouts at the engineer"})
				h.CC(inHome+49*time.Minute, sop.Event{Type: sop.EvIncidentHandled, Resolution: "calmed down", Continue: wftest.Ptr(true)})
				h.Run(inHome + 2*time.Hour)
			}},

		// R8.1: the record, both ratings and the signature question.
		ruleCase{rule: sop.R8_1, want: audit.Met, name: "record_ratings_and_signature", evidence: "visit 1: record, quality 5/5, attitude 4/5, signed",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
			}},
		ruleCase{rule: sop.R8_1, want: audit.Breached, name: "completed_without_service_record", evidence: "with no service record",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				ev := done(true, true)
				ev.Record = nil
				h.Eng(inHome+40*time.Minute, ev)
				h.Run(inHome + 2*time.Hour)
			}},

		// R8.2: not signed is recorded as not signed.
		ruleCase{rule: sop.R8_2, want: audit.Met, name: "declined_to_sign_recorded_not_signed", evidence: "visit 1: not signed, recorded as not signed",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(true, false))
				h.Run(inHome + 2*time.Hour)
				var rec *workflows.ServiceVisitRecord
				for _, s := range h.Commits() {
					if s.ServiceRecord != nil {
						rec = s.ServiceRecord
					}
				}
				if rec == nil || rec.SignedByCustomer {
					h.T.Fatalf("record %+v: want not signed", rec)
				}
			}},

		// R8.3: a re-visit booked within sop.revisit_booking_within (7h here), else the centre, then the manager after sop.manager_after (43m).
		ruleCase{rule: sop.R8_3, want: audit.Met, name: "revisit_booked_exactly_at_limit", evidence: "1 booked",
			run: func(h *wftest.Harness) {
				h.Policy.RevisitBookingWithin = sop.D(7 * time.Hour)
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(false, true))
				next := wftest.SlotStart.Add(48 * time.Hour)
				b := h.CC(inHome+40*time.Minute+7*time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: &next, End: wftest.Ptr(next.Add(time.Hour))})
				h.Run(inHome + 10*time.Hour)
				wftest.MustOK(h.T, b)
				wantNote(h.T, h, sop.MsgRevisit, sop.ToCentre, inHome+40*time.Minute, false, map[string]string{"visits": "1"})
				if e := h.OnlyRule(sop.KindEscalated, sop.R8_3); len(e) > 0 {
					h.T.Fatalf("escalated although booked at the limit: %+v", e)
				}
			}},
		ruleCase{rule: sop.R8_3, want: audit.Breached, name: "revisit_not_booked_centre_then_manager", evidence: "re-visit not booked in time",
			run: func(h *wftest.Harness) {
				h.Policy.RevisitBookingWithin = sop.D(7 * time.Hour)
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(false, true))
				v := h.ViewAt(inHome + 41*time.Minute)
				h.Run(inHome + 10*time.Hour)
				due := inHome + 40*time.Minute + 7*time.Hour + time.Second // one second past the limit
				wantNote(h.T, h, sop.MsgRevisit, sop.ToCentre, due, true, map[string]string{"what": "re-visit not booked"})
				wantNote(h.T, h, sop.MsgManagerVisit, sop.ToManager, due+43*time.Minute+time.Second, true, map[string]string{"why": "re-visit of a dissatisfied customer not booked"})
				wantEntryAt(h.T, h, sop.KindEscalated, sop.R8_3, due, sop.OutMissed)
				if !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool {
					return p.Clock == "revisit_booking_due" && p.At.Equal(wftest.T0.Add(due))
				}) {
					h.T.Fatalf("the live view does not show the re-visit deadline: %+v", v.Pending)
				}
			}},
		ruleCase{rule: sop.R8_3, want: audit.Breached, name: "revisit_booked_one_minute_past_limit", evidence: "re-visit not booked in time",
			run: func(h *wftest.Harness) {
				h.Policy.RevisitBookingWithin = sop.D(7 * time.Hour)
				h.Policy.ManagerAfter = sop.D(43 * time.Minute)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(false, true))
				next := wftest.SlotStart.Add(48 * time.Hour)
				h.CC(inHome+41*time.Minute+7*time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: &next, End: wftest.Ptr(next.Add(time.Hour))})
				h.Run(inHome + 10*time.Hour)
				wantNote(h.T, h, sop.MsgRevisit, sop.ToCentre, inHome+40*time.Minute+7*time.Hour+time.Second, true, nil)
				noNote(h.T, h, sop.MsgManagerVisit, sop.ToManager) // booked before the manager's turn
			}},
		ruleCase{rule: sop.R8_3, want: audit.Met, name: "manager_after_two_visits_at_non_default_limit", evidence: "the after-sales manager took charge after 2 visits",
			run: func(h *wftest.Harness) {
				h.Policy.MaxVisitsBeforeManager = 2
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(false, true))
				// The second visit, two days later at the same time.
				day := 48 * time.Hour
				next := wftest.SlotStart.Add(day)
				h.CC(inHome+time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: &next, End: wftest.Ptr(next.Add(2 * time.Hour))})
				h.Eng(day+4*time.Hour+20*time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
				h.Eng(day+4*time.Hour+55*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
				h.Eng(day+inHome, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
				diagnosed(h, day+inHome+10*time.Minute)
				h.Eng(day+inHome+40*time.Minute, done(false, true))
				h.Run(day + inHome + 2*time.Hour)
				ms := h.NotesTo(sop.MsgManagerVisit, sop.ToManager)
				if len(ms) != 1 || !ms[0].At.Equal(wftest.T0.Add(day+inHome+40*time.Minute)) || ms[0].Params["why"] != "customer still not satisfied after 2 visits" {
					h.T.Fatalf("manager notified %+v, want once after the 2nd visit", ms)
				}
			}},

		// R12.2: the work, its time and fee explained; a charged visit only with the customer's agreement.
		ruleCase{rule: sop.R12_2, want: audit.Met, name: "charged_visit_fee_agreed_before_work", evidence: "explained and agreed 25 m before completion (charged)",
			run: func(h *wftest.Harness) {
				outOfWarranty(h)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				early := h.Eng(inHome+12*time.Minute, done(true, true))
				explained(h, inHome+15*time.Minute, true, 80)
				ev := done(true, true)
				ev.Record.Charge = 80
				c := h.Eng(inHome+40*time.Minute, ev)
				h.Run(inHome + 2*time.Hour)
				wftest.MustReject(h.T, early, workflows.ErrNotValidNow, "R12.2")
				wftest.MustOK(h.T, c)
				wantEntryAt(h.T, h, sop.KindWorkExplained, sop.R12_2, inHome+15*time.Minute, sop.OutAccepted)
			}},
		ruleCase{rule: sop.R12_2, want: audit.Met, name: "customer_declines_fee_no_work_rebooked", evidence: "customer did not agree",
			run: func(h *wftest.Harness) {
				outOfWarranty(h)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				r := explained(h, inHome+15*time.Minute, false, 80)
				h.Run(inHome + 2*time.Hour)
				if v := wftest.MustOK(h.T, r); v.Status != sop.StatusScheduling {
					h.T.Fatalf("status %s, want scheduling", v.Status)
				}
				wantNote(h.T, h, sop.MsgRebook, sop.ToCentre, inHome+15*time.Minute, false, nil)
			}},
		ruleCase{rule: sop.R12_2, want: audit.Breached, name: "old_rules_charged_without_agreement", evidence: "charged without the customer's recorded agreement",
			run: func(h *wftest.Harness) {
				h.OldRules()
				outOfWarranty(h)
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				ev := done(true, true)
				ev.Record.Charge = 80
				h.Eng(inHome+40*time.Minute, ev)
				h.Run(inHome + 2*time.Hour)
			}},
		ruleCase{rule: sop.R12_2, want: audit.Breached, name: "free_visit_work_not_explained", evidence: "work, time and cost not explained",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
			}},

		// R12.3: a refused repair: persuaded, or the returns procedure (R3.3), never a dead end.
		ruleCase{rule: sop.R12_3, want: audit.Met, name: "persuaded_repair_goes_ahead", evidence: "asked why, persuaded",
			run: func(h *wftest.Harness) {
				toService(h)
				h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvRepairRefused, Reason: "wants a new tile batch", Persuaded: wftest.Ptr(true)})
				diagnosed(h, inHome+10*time.Minute)
				c := h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
				wftest.MustOK(h.T, c)
			}},
		ruleCase{rule: sop.R12_3, want: audit.Met, name: "not_persuaded_continues_as_exchange", evidence: "continued in the returns procedure",
			run: func(h *wftest.Harness) {
				toService(h)
				r := h.Eng(inHome+5*time.Minute, sop.Event{Type: sop.EvRepairRefused, Reason: "wants an exchange", Persuaded: wftest.Ptr(false),
					Return: &sop.ReturnInfo{Exchange: true, SaleDate: "2026-02-20", HasReceipt: true, QualityProblem: true}})
				h.Run(inHome + 2*time.Hour)
				v := wftest.MustOK(h.T, r)
				if v.Kind != sop.KindReturn || v.Status != sop.StatusAwaitingCustomer || !slices.ContainsFunc(v.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvReturnHandled }) {
					h.T.Fatalf("after the refusal: %s %s pending %+v", v.Kind, v.Status, v.Pending)
				}
				wantNote(h.T, h, sop.MsgReturnDecision, sop.ToCustomer, inHome+5*time.Minute, false, map[string]string{"approved": "true", "decision": "exchange"})
			}},
		ruleCase{rule: sop.R12_3, want: audit.Breached, name: "refused_then_cancelled_dead_end", evidence: "without the returns procedure",
			run: func(h *wftest.Harness) {
				toService(h)
				diagnosed(h, inHome+10*time.Minute)
				explained(h, inHome+15*time.Minute, false, 0)
				h.CC(inHome+time.Hour, sop.Event{Type: sop.EvCancel, Reason: "customer wants her money back"})
				h.Run(inHome + 2*time.Hour)
			}},

		// R12.4: a pause resumed within sop.pause_max (17m here), else back to booking with the centre told.
		ruleCase{rule: sop.R12_4, want: audit.Met, name: "resumed_exactly_at_pause_max", evidence: "resumed after 17 m (limit 17 m)",
			run: func(h *wftest.Harness) {
				h.Policy.PauseMax = sop.D(17 * time.Minute)
				toService(h)
				diagnosed(h, inHome+5*time.Minute)
				p := h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvPaused, Reason: sop.PauseFetchPart, ResumeAt: wftest.Ptr(wftest.T0.Add(inHome + 25*time.Minute))})
				blocked := h.Eng(inHome+12*time.Minute, done(true, true))
				h.Eng(inHome+27*time.Minute, sop.Event{Type: sop.EvResumed})
				c := h.Eng(inHome+40*time.Minute, done(true, true))
				h.Run(inHome + 2*time.Hour)
				v := wftest.MustOK(h.T, p)
				if len(v.Pending) == 0 || v.Pending[0].Event != sop.EvResumed || !slices.ContainsFunc(v.Pending, func(x workflows.Pending) bool {
					return x.Clock == "pause_max" && x.At.Equal(wftest.T0.Add(inHome+27*time.Minute+time.Second))
				}) {
					h.T.Fatalf("while paused the request waits for %+v", v.Pending)
				}
				wftest.MustReject(h.T, blocked, workflows.ErrNotValidNow, "R12.4")
				wftest.MustOK(h.T, c)
				noNote(h.T, h, sop.MsgRebook, sop.ToCentre)
				// The service time stops while paused: the completion says how long.
				if cs := h.Only(sop.KindCompleted); len(cs) != 1 || !strings.Contains(cs[0].Detail, "paused 17m in all, not counted as service time") {
					h.T.Fatalf("completion %+v does not account for the pause", cs)
				}
				wantEntryAt(h.T, h, sop.KindResumed, sop.R12_4, inHome+27*time.Minute, sop.OutLate) // 2 min after the agreed 14:25
			}},
		ruleCase{rule: sop.R12_4, want: audit.Breached, name: "not_resumed_one_minute_past_pause_max_back_to_booking", evidence: "not resumed within 17 m",
			run: func(h *wftest.Harness) {
				h.Policy.PauseMax = sop.D(17 * time.Minute)
				toService(h)
				h.Eng(inHome+10*time.Minute, sop.Event{Type: sop.EvPaused, Reason: sop.PauseCustomerRequest, ResumeAt: wftest.Ptr(wftest.T0.Add(inHome + 20*time.Minute))})
				late := h.Eng(inHome+28*time.Minute, sop.Event{Type: sop.EvResumed})
				h.Run(inHome + 2*time.Hour)
				wftest.MustReject(h.T, late, workflows.ErrNotValidNow, "")
				wantNote(h.T, h, sop.MsgRebook, sop.ToCentre, inHome+27*time.Minute+time.Second, false, nil)
				wantEntryAt(h.T, h, sop.KindPaused, sop.R12_4, inHome+27*time.Minute+time.Second, sop.OutMissed)
			}},
	)
	// R7.6, R8.4, R12.5: the conduct checklists confirmed with the completion.
	for _, c := range []struct {
		rule sop.Rule
		drop string
	}{{sop.R7_6, "no_gifts"}, {sop.R8_4, "card_left"}, {sop.R12_5, "covers_off_outside"}} {
		cases(
			ruleCase{rule: c.rule, want: audit.Met, name: "every_item_confirmed_on_completion", evidence: "confirmed item by item",
				run: func(h *wftest.Harness) {
					toService(h)
					diagnosed(h, inHome+10*time.Minute)
					h.Eng(inHome+40*time.Minute, done(true, true))
					h.Run(inHome + 2*time.Hour)
				}},
			ruleCase{rule: c.rule, want: audit.Breached, name: "item_" + c.drop + "_not_confirmed", evidence: "trip 1 not confirmed: " + c.drop,
				run: func(h *wftest.Harness) {
					toService(h)
					diagnosed(h, inHome+10*time.Minute)
					ev := done(true, true)
					ev.Checklist = without(ev.Checklist, c.drop)
					h.Eng(inHome+40*time.Minute, ev)
					h.Run(inHome + 2*time.Hour)
					es := h.OnlyRule(sop.KindChecklist, c.rule)
					if len(es) != 1 || !slices.Equal(es[0].Missing, []string{c.drop}) || es[0].Outcome != sop.OutIncomplete {
						h.T.Fatalf("checklist of %s: %+v", c.rule, es)
					}
				}},
		)
	}
}
