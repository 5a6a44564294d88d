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

// Rule cases of booking and travel: R4.1–R4.6, R5.1–R5.3, R12.1.
//
// The slot is wftest's 14:00–16:00 (T0 is 09:00 in the service zone, UTC+8).
// Policies are set to values no other key has by default (17m, 43m, 97m,
// 7h …), so a clock that read the wrong key would fail.

const (
	bkEarly   = 17 * time.Minute // sop.arrive_early in the R4.1, R5.2 cases
	bkTravel  = 43 * time.Minute // the calendar's travel in the R4.1 cases
	bkAgain   = 17 * time.Minute // sop.call_again_after (R4.3)
	bkWithin  = 43 * time.Minute // sop.callback_within (R4.3, R4.4)
	bkPlan    = 97 * time.Minute // sop.departure_plan_ahead (R12.1)
	bkNotice  = 43 * time.Hour   // sop.guidance_notice (R4.6)
	bkCallWin = 7 * time.Hour    // sop.guidance_call_within (R4.6)
	bkVisit   = 97 * time.Minute // sop.guidance_visit (R4.6)
)

// bkDepart is the planned departure of the slot with wftest's calendar (30
// min travel) and the default 10 min early: 13:20.
var bkDepart = wftest.SlotStart.Add(-30*time.Minute - 10*time.Minute)

// bkBooked triages the request and books the slot.
func bkBooked(h *wftest.Harness) {
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.Book(2 * time.Minute)
}

// bkAt is T0 plus the time of day in the service zone minus 09:00.
func bkAt(t time.Time) time.Duration { return t.Sub(wftest.T0) }

// bkPending fails unless the live view waits for the event and the clock
// (due at at) of rule r.
func bkPending(t *testing.T, v *workflows.View, ev sop.EventType, clock string, at time.Time, r sop.Rule) {
	t.Helper()
	var gotEv, gotClock bool
	for _, p := range v.Pending {
		gotEv = gotEv || (p.Event == ev && p.Rule == r)
		gotClock = gotClock || (p.Clock == clock && p.At != nil && p.At.Equal(at) && p.Rule == r)
	}
	if !gotEv || !gotClock {
		t.Fatalf("pending %+v lacks %s and %s at %s (%s)", v.Pending, ev, clock, at.Format(time.RFC3339), r)
	}
}

func bkRule(ns []wftest.Sent, r sop.Rule) []wftest.Sent {
	var out []wftest.Sent
	for _, n := range ns {
		if n.Rule == r {
			out = append(out, n)
		}
	}
	return out
}

func bkOne(t *testing.T, h *wftest.Harness, k sop.Kind, r sop.Rule) workflows.Entry {
	t.Helper()
	es := h.OnlyRule(k, r)
	if len(es) != 1 {
		t.Fatalf("want one %s entry of %s, got %d:%s", k, r, len(es), h.Timeline())
	}
	return es[0]
}

func bkNone(t *testing.T, h *wftest.Harness, k sop.Kind, r sop.Rule) {
	t.Helper()
	for _, e := range h.OnlyRule(k, r) {
		t.Fatalf("unexpected %s entry of %s: %s", k, r, e.Detail)
	}
}

func bkWantAt(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s at %s, want %s", what, got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

// bkShort asks at T0+2m for a 1 h slot starting at start, with a calendar
// whose engineer is bkTravel away and sop.arrive_early bkEarly: the
// engineer must leave at start − 60m.
func bkShort(h *wftest.Harness, start time.Time) *wftest.Result {
	h.Policy.ArriveEarly = sop.D(bkEarly)
	h.Calendar = wftest.FreeCalendar("E-1", bkTravel)
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	return h.CC(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(start), End: wftest.Ptr(start.Add(time.Hour))})
}

var bkR41 struct{ proposed, booked, refused, answer *wftest.Result }

func init() {
	now := wftest.T0.Add(2 * time.Minute) // when bkShort asks
	cases(
		// ---- R4.1 ----
		ruleCase{rule: sop.R4_1, want: audit.Met, name: "reachable_slot_booked",
			run: func(h *wftest.Harness) { bkBooked(h); h.Run(3 * time.Hour) },
			check: func(t *testing.T, h *wftest.Harness) {
				b := bkOne(t, h, sop.KindAppointmentBooked, sop.R4_1)
				if b.Departure == nil || !b.Departure.Equal(bkDepart) || b.Outcome != sop.OutOnTime {
					t.Fatalf("booked entry %+v, want departure %s", b, bkDepart)
				}
			}},
		ruleCase{rule: sop.R4_1, want: audit.Met, name: "departure_exactly_now_is_booked",
			run: func(h *wftest.Harness) {
				bkR41.booked = bkShort(h, now.Add(bkTravel+bkEarly))
				h.Run(time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				v := wftest.MustOK(t, bkR41.booked)
				if v.Status != sop.StatusScheduled || v.Appointment == nil || !v.Appointment.Start.Equal(now.Add(time.Hour)) {
					t.Fatalf("view %+v", v)
				}
				b := bkOne(t, h, sop.KindAppointmentBooked, sop.R4_1)
				bkWantAt(t, "planned departure", *b.Departure, now)
			}},
		ruleCase{rule: sop.R4_1, want: audit.Met, name: "slot_too_short_to_reach_proposes_the_nearest_reachable",
			run: func(h *wftest.Harness) {
				// One second too short: leaving at T0+2m−1s.
				bkR41.proposed = bkShort(h, now.Add(bkTravel+bkEarly-time.Second))
				bkR41.answer = h.CC(5*time.Minute, sop.Event{Type: sop.EvAppointmentAnswer, Accepted: wftest.Ptr(false)})
				h.Run(time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				v := wftest.MustOK(t, bkR41.proposed)
				if v.Status != sop.StatusAwaitingCustomer || v.Appointment != nil || v.Proposed == nil {
					t.Fatalf("view %+v", v)
				}
				// T0+2m + 43m travel + 17m early = 10:02, the next quarter hour 10:15.
				if want := wftest.T0.Add(75 * time.Minute); !v.Proposed.Start.Equal(want) {
					t.Fatalf("proposed %s, want %s", v.Proposed.Start, want)
				}
				p := bkOne(t, h, sop.KindAppointmentProposed, sop.R4_1)
				if p.Outcome != sop.OutLate || !strings.Contains(p.Detail, "too short to reach") {
					t.Fatalf("proposal %+v", p)
				}
				released := false
				for _, c := range h.Commits() {
					released = released || c.ReleaseAppointment == 1
				}
				if !released {
					t.Fatal("the unreachable booking was not released")
				}
				ps := h.NotesTo(sop.MsgAppointmentProposal, sop.ToCustomer)
				if len(ps) != 1 || ps[0].Recipient != wftest.Request().Customer.Phone || ps[0].Params["start"] != "2026-03-02 10:15" {
					t.Fatalf("proposal to the customer %+v", ps)
				}
				// The customer declines: the centre is told.
				wftest.MustOK(t, bkR41.answer)
				cs := h.NotesTo(sop.MsgEscalation, sop.ToCentre)
				if len(cs) != 1 || cs[0].Rule != sop.R4_1 || cs[0].Params["what"] != "customer declined the proposed appointment" || cs[0].Params["request"] != wftest.Request().ID {
					t.Fatalf("centre not told of the refusal: %+v", cs)
				}
				if b := h.Only(sop.KindAppointmentBooked); len(b) != 0 {
					t.Fatalf("an unreachable slot was booked: %+v", b)
				}
			}},
		ruleCase{rule: sop.R4_1, want: audit.Met, name: "slot_nobody_can_reach_refused",
			run: func(h *wftest.Harness) {
				bkR41.refused = bkShort(h, now.Add(bkEarly-time.Second))
				bkR41.booked = h.CC(3*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.SlotStart), End: wftest.Ptr(wftest.SlotEnd)})
				h.Run(time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, bkR41.refused, workflows.ErrNotValidNow, "R4.1")
				wftest.MustOK(t, bkR41.booked)
				if len(h.Books()) != 1 {
					t.Fatalf("calendar asked %d times", len(h.Books()))
				}
			}},
		ruleCase{rule: sop.R4_1, want: audit.Breached, name: "old_rules_booked_a_slot_too_short_to_reach",
			evidence: "had to leave at 2026-03-02 09:00",
			run: func(h *wftest.Harness) {
				h.OldRules()
				bkShort(h, wftest.T0.Add(time.Hour))
				bkR41.refused = h.Eng(10*time.Minute, sop.Event{Type: sop.EvDepartureConfirmed})
				h.Run(time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				// The rules before issue 10 are unchanged: no departure plan.
				wftest.MustReject(t, bkR41.refused, workflows.ErrNotValidNow, "R12.1")
				if len(h.Only(sop.KindDeparturePlan)) != 0 {
					t.Fatal("departure plan under the old rules")
				}
			}},

		// ---- R4.2 ----
		ruleCase{rule: sop.R4_2, want: audit.Met, name: "corrected_address_confirmed_again",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "北京市朝阳区建国路 88 号 6-602"}})
				h.Run(2 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := h.NotesTo(sop.MsgAppointmentConfirm, sop.ToCustomer)
				if len(n) != 2 || n[1].Recipient != wftest.Request().Customer.Phone || n[1].Params["address"] != "北京市朝阳区建国路 88 号 6-602" ||
					n[1].Params["start"] != "2026-03-02 14:00" || n[1].Params["model"] != "CT-800" {
					t.Fatalf("confirmations %+v", n)
				}
				if v := bkOne(t, h, sop.KindVerified, sop.R4_2); v.Outcome != sop.OutChanged {
					t.Fatalf("verified %+v", v)
				}
			}},
		ruleCase{rule: sop.R4_2, want: audit.Breached, name: "old_rules_corrected_address_not_confirmed_again",
			evidence: "not confirmed again",
			run: func(h *wftest.Harness) {
				h.OldRules()
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "北京市朝阳区建国路 88 号 6-602"}})
				h.Run(2 * time.Hour)
			}},

		// ---- R4.3 ----
		ruleCase{rule: sop.R4_3, want: audit.Met, name: "engineer_calls_again_after_call_again_after",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.Eng(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
				bkView = h.ViewAt(time.Hour + time.Minute)
				h.Eng(time.Hour+20*time.Minute, sop.Event{Type: sop.EvCustomerReached})
				h.Run(2 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				bkPending(t, bkView, sop.EvCustomerReached, "call_again", wftest.T0.Add(time.Hour+bkAgain), sop.R4_3)
				a := bkOne(t, h, sop.KindCallAgain, sop.R4_3)
				bkWantAt(t, "call again", a.At, wftest.T0.Add(time.Hour+bkAgain))
				n := h.NotesTo(sop.MsgCallAgain, sop.ToEngineer)
				if len(n) != 1 || n[0].Recipient != "E-1" || n[0].Params["attempt"] != "2" || n[0].Params["phone"] != wftest.Request().Customer.Phone {
					t.Fatalf("call again %+v", n)
				}
				bkNone(t, h, sop.KindCentreNotified, sop.R4_3)
			}},
		ruleCase{rule: sop.R4_3, want: audit.Met, name: "centre_owns_its_call_again",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
				h.CC(time.Hour+30*time.Minute, sop.Event{Type: sop.EvCustomerReached})
				h.Run(2 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if n := h.NotesTo(sop.MsgCallAgain, sop.ToEngineer); len(n) != 0 {
					t.Fatalf("engineer prompted for the centre's call: %+v", n)
				}
				n := h.NotesTo(sop.MsgEscalation, sop.ToCentre)
				if len(n) != 1 || n[0].Rule != sop.R4_3 || !strings.Contains(n[0].Params["what"], "again now") {
					t.Fatalf("centre not prompted: %+v", n)
				}
				bkWantAt(t, "centre prompted", n[0].At, wftest.T0.Add(time.Hour+bkAgain))
			}},
		ruleCase{rule: sop.R4_3, want: audit.Met, name: "next_try_exactly_at_departure_still_called_again",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.Eng(bkAt(bkDepart)-bkAgain, sop.Event{Type: sop.EvCustomerUnreachable})
				h.Eng(bkAt(bkDepart)+time.Minute, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
				h.Eng(bkAt(bkDepart)+5*time.Minute, sop.Event{Type: sop.EvCustomerReached})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				a := bkOne(t, h, sop.KindCallAgain, sop.R4_3)
				bkWantAt(t, "call again", a.At, bkDepart)
				bkNone(t, h, sop.KindCentreNotified, sop.R4_3)
			}},
		ruleCase{rule: sop.R4_3, want: audit.Met, name: "next_try_after_departure_goes_as_planned_centre_told",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.Eng(bkAt(bkDepart)-bkAgain+time.Second, sop.Event{Type: sop.EvCustomerUnreachable})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if len(h.Only(sop.KindCallAgain)) != 0 {
					t.Fatal("a call again was planned after the departure")
				}
				c := bkOne(t, h, sop.KindCentreNotified, sop.R4_3)
				if c.Outcome != sop.OutPlanned {
					t.Fatalf("interim result %+v", c)
				}
				n := bkRule(h.NotesTo(sop.MsgEscalation, sop.ToCentre), sop.R4_3)
				if len(n) != 1 || !strings.Contains(n[0].Params["what"], "goes to the address as planned") {
					t.Fatalf("centre %+v", n)
				}
			}},
		ruleCase{rule: sop.R4_3, want: audit.Met, name: "second_try_reaches_an_angry_customer",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
				h.CC(time.Hour+10*time.Minute, sop.Event{Type: sop.EvCustomerAngry, Consented: wftest.Ptr(true)})
				h.Run(2 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if a := h.Only(sop.KindCallAgain); len(a) != 0 {
					t.Fatalf("call again after the customer was reached: %+v", a)
				}
			}},
		ruleCase{rule: sop.R4_3, want: audit.Breached, name: "no_second_try_before_departure",
			evidence: "was not called again before 2026-03-02 13:20",
			run: func(h *wftest.Harness) {
				h.Policy.CallAgainAfter = sop.D(bkAgain)
				bkBooked(h)
				h.Eng(time.Hour, sop.Event{Type: sop.EvCustomerUnreachable})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				bkOne(t, h, sop.KindCallAgain, sop.R4_3)
			}},

		// ---- R4.4 ----
		// The follow-up is due strictly within sop.callback_within: at the
		// deadline the manager is told.
		ruleCase{rule: sop.R4_4, want: audit.Met, name: "refusal_followed_up_one_second_before_the_deadline",
			run: func(h *wftest.Harness) {
				h.Policy.CallbackWithin = sop.D(bkWithin)
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvCustomerAngry, Consented: wftest.Ptr(false), Note: "third visit for the same tiles"})
				h.CC(time.Hour+bkWithin-time.Second, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.SlotStart.Add(24 * time.Hour)), End: wftest.Ptr(wftest.SlotEnd.Add(24 * time.Hour))})
				h.Run(3 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if e := bkOne(t, h, sop.KindCustomerContact, sop.R4_4); e.Outcome != sop.OutRefused {
					t.Fatalf("refusal %+v", e)
				}
				n := h.NotesTo(sop.MsgRebook, sop.ToCentre)
				if len(n) != 1 || n[0].Rule != sop.R4_4 || !strings.Contains(n[0].Params["why"], "refuses the visit") {
					t.Fatalf("centre %+v", n)
				}
				if m := h.NotesTo(sop.MsgEscalation, sop.ToManager); len(m) != 0 {
					t.Fatalf("manager told: %+v", m)
				}
			}},
		ruleCase{rule: sop.R4_4, want: audit.Met, name: "angry_customer_consents",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvCustomerAngry, Consented: wftest.Ptr(true)})
				h.Run(3 * time.Hour)
			}},
		ruleCase{rule: sop.R4_4, want: audit.Breached, name: "refusal_followed_up_at_the_deadline",
			evidence: "escalated at 2026-03-02 10:43",
			run: func(h *wftest.Harness) {
				h.Policy.CallbackWithin = sop.D(bkWithin)
				bkBooked(h)
				h.CC(time.Hour, sop.Event{Type: sop.EvCustomerAngry, Consented: wftest.Ptr(false)})
				h.CC(time.Hour+bkWithin, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(wftest.SlotStart.Add(24 * time.Hour)), End: wftest.Ptr(wftest.SlotEnd.Add(24 * time.Hour))})
				h.Run(3 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				m := h.NotesTo(sop.MsgEscalation, sop.ToManager)
				if len(m) != 1 || !m[0].Urgent || m[0].Rule != sop.R4_4 || !strings.Contains(m[0].Params["what"], "not followed up") {
					t.Fatalf("manager %+v", m)
				}
				bkWantAt(t, "escalation", m[0].At, wftest.T0.Add(time.Hour+bkWithin))
			}},

		// ---- R4.5 ----
		ruleCase{rule: sop.R4_5, want: audit.Met, name: "unreachable_engineer_went_and_left_a_note",
			run: func(h *wftest.Harness) {
				bkUnreachableAtTheDoor(h)
				bkR45 = h.Eng(bkAt(wftest.SlotStart)+7*time.Minute, sop.Event{Type: sop.EvEntryRefused, Reason: sop.RefusedNotHome})
				h.Eng(bkAt(wftest.SlotStart)+8*time.Minute, sop.Event{Type: sop.EvNoteLeft})
				h.Run(6 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				// Leaving without the note is refused now (it was not before issue 10).
				wftest.MustReject(t, bkR45, workflows.ErrNotValidNow, "note_left")
				if e := bkOne(t, h, sop.KindNoteLeft, sop.R4_5); e.Trip != 1 {
					t.Fatalf("note %+v", e)
				}
			}},
		ruleCase{rule: sop.R4_5, want: audit.Breached, name: "old_rules_nobody_in_and_no_note_left",
			evidence: "without a note",
			run: func(h *wftest.Harness) {
				h.OldRules()
				bkUnreachableAtTheDoor(h)
				h.Eng(bkAt(wftest.SlotStart)+7*time.Minute, sop.Event{Type: sop.EvEntryRefused, Reason: sop.RefusedNotHome})
				h.Run(6 * time.Hour)
			}},

		// ---- R4.6 ----
		ruleCase{rule: sop.R4_6, want: audit.Met, name: "registered_exactly_guidance_notice_ahead_called_back_in_window",
			run: func(h *wftest.Harness) {
				bkGuidance(h, bkNotice)
				inst := wftest.T0.Add(bkNotice)
				bkR46.early = h.CC(bkNotice-bkCallWin-time.Second, sop.Event{Type: sop.EvGuidanceCall, Start: wftest.Ptr(inst.Add(-time.Hour))})
				bkR46.call = h.CC(bkNotice-bkCallWin, sop.Event{Type: sop.EvGuidanceCall, Start: wftest.Ptr(inst.Add(-time.Hour))})
				h.Run(bkNotice + time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, bkR46.early, workflows.ErrNotValidNow, "R4.6")
				wftest.MustOK(t, bkR46.call)
				inst := wftest.T0.Add(bkNotice)
				b := h.Books()
				if len(b) != 1 || !b[0].Start.Equal(inst.Add(-time.Hour)) || b[0].End.Sub(b[0].Start) != bkVisit {
					t.Fatalf("guidance visit booked %+v, want %s long", b, bkVisit)
				}
				due := h.NotesTo(sop.MsgGuidanceCallDue, sop.ToCentre)
				if len(due) != 1 {
					t.Fatalf("call-back due %+v", due)
				}
				bkWantAt(t, "call-back due", due[0].At, inst.Add(-bkCallWin))
			}},
		ruleCase{rule: sop.R4_6, want: audit.Met, name: "registered_one_second_too_late_refused",
			evidence: "refused",
			run: func(h *wftest.Harness) {
				bkGuidance(h, bkNotice-time.Second)
				h.Run(time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := h.NotesTo(sop.MsgReturnDecision, sop.ToCustomer)
				if len(n) != 1 || n[0].Params["approved"] != "false" || n[0].Rule != sop.R4_6 || n[0].Recipient != wftest.Request().Customer.Phone {
					t.Fatalf("refusal %+v", n)
				}
			}},
		ruleCase{rule: sop.R4_6, want: audit.Breached, name: "no_call_back_before_the_installation",
			evidence: "no call-back before the installation",
			run: func(h *wftest.Harness) {
				bkGuidance(h, bkNotice)
				h.Run(bkNotice + time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				m := h.NotesTo(sop.MsgEscalation, sop.ToManager)
				if len(m) != 1 || !m[0].Urgent || m[0].Rule != sop.R4_6 {
					t.Fatalf("manager %+v", m)
				}
				bkWantAt(t, "escalation", m[0].At, wftest.T0.Add(bkNotice))
			}},

		// ---- R5.1 ----
		ruleCase{rule: sop.R5_1, want: audit.Met, name: "toolkit_confirmed_item_by_item",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if e := bkOne(t, h, sop.KindChecklist, sop.R5_1); e.Outcome != sop.OutConfirmed || len(e.Missing) != 0 || e.Trip != 1 {
					t.Fatalf("checklist %+v", e)
				}
			}},
		ruleCase{rule: sop.R5_1, want: audit.Breached, name: "toolkit_item_left_out",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				items := wftest.Checklist(sop.EvDeparted)
				h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted, Checklist: items[1:]})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				items := wftest.Checklist(sop.EvDeparted)
				e := bkOne(t, h, sop.KindChecklist, sop.R5_1)
				if e.Outcome != sop.OutIncomplete || !slices.Equal(e.Missing, items[:1]) {
					t.Fatalf("checklist %+v, want missing %v", e, items[:1])
				}
			}},
	)
	cases(bkTravelCases()...)
}

var bkR46 struct{ early, call *wftest.Result }

// bkR45 is the R4.5 case's attempt to leave without a note.
var bkR45 *wftest.Result

// bkView is the live view a case captured.
var bkView *workflows.View

func bkGuidance(h *wftest.Harness, ahead time.Duration) {
	h.Policy.GuidanceNotice = sop.D(bkNotice)
	h.Policy.GuidanceCallWithin = sop.D(bkCallWin)
	h.Policy.GuidanceVisit = sop.D(bkVisit)
	h.Request.Kind = sop.KindInstallationGuidance
	h.Request.Symptoms = ""
	h.Request.Guidance = &sop.Guidance{InstallationAt: wftest.T0.Add(ahead)}
}

// bkUnreachableAtTheDoor: the customer does not answer 10 min before the
// departure (the next try would be after it: go as planned), the engineer
// goes, knocks at 14:00, nobody answers, the call is not answered.
func bkUnreachableAtTheDoor(h *wftest.Harness) {
	bkBooked(h)
	h.Eng(bkAt(bkDepart)-10*time.Minute, sop.Event{Type: sop.EvCustomerUnreachable})
	h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted, ETA: wftest.Ptr(wftest.SlotStart.Add(-10 * time.Minute))})
	h.Eng(bkAt(wftest.SlotStart)-10*time.Minute, sop.Event{Type: sop.EvArrived})
	h.Eng(bkAt(wftest.SlotStart), sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(false)})
	h.Eng(bkAt(wftest.SlotStart)+6*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: wftest.Ptr(false)})
}

var bkR121 struct{ before, twice *wftest.Result }

// bkTravelCases are R5.2, R5.3 and R12.1.
func bkTravelCases() []ruleCase {
	// R5.2 with sop.arrive_early 17m and 30m travel: leave at 13:13.
	dep := wftest.SlotStart.Add(-30*time.Minute - bkEarly)
	leave := func(h *wftest.Harness, at time.Duration, eta time.Time) {
		h.Policy.ArriveEarly = sop.D(bkEarly)
		bkBooked(h)
		h.Eng(at, sop.Event{Type: sop.EvDeparted, ETA: wftest.Ptr(eta)})
		h.Run(5 * time.Hour)
	}
	half := bkEarly / 2 // 8m30s
	planAt := bkDepart.Add(-bkPlan)
	return []ruleCase{
		// ---- R5.2 ----
		{rule: sop.R5_2, want: audit.Met, name: "left_exactly_at_the_planned_departure",
			evidence: "left at 2026-03-02 13:13 (planned 2026-03-02 13:13)",
			run:      func(h *wftest.Harness) { leave(h, bkAt(dep), wftest.SlotStart.Add(-bkEarly)) },
			check: func(t *testing.T, h *wftest.Harness) {
				b := bkOne(t, h, sop.KindAppointmentBooked, sop.R4_1)
				bkWantAt(t, "planned departure", *b.Departure, dep)
				if d := bkOne(t, h, sop.KindDeparted, sop.R5_2); d.Outcome != sop.OutOnTime {
					t.Fatalf("departed %+v", d)
				}
			}},
		{rule: sop.R5_2, want: audit.Breached, name: "left_one_minute_after_the_planned_departure",
			evidence: "1 m after the planned departure",
			run:      func(h *wftest.Harness) { leave(h, bkAt(dep)+time.Minute, wftest.SlotStart.Add(-bkEarly)) },
			check: func(t *testing.T, h *wftest.Harness) {
				if d := bkOne(t, h, sop.KindDeparted, sop.R5_2); d.Outcome != sop.OutLate {
					t.Fatalf("departed %+v", d)
				}
			}},
		{rule: sop.R5_2, want: audit.Met, name: "eta_half_the_early_margin_ahead",
			run: func(h *wftest.Harness) { leave(h, bkAt(dep)-20*time.Minute, wftest.SlotStart.Add(-half)) }},
		{rule: sop.R5_2, want: audit.Breached, name: "eta_one_second_short_of_half_the_margin",
			evidence: "only 8 m 29 s before the start",
			run:      func(h *wftest.Harness) { leave(h, bkAt(dep)-20*time.Minute, wftest.SlotStart.Add(-half+time.Second)) }},
		{rule: sop.R5_2, want: audit.Breached, name: "planned_to_arrive_exactly_at_the_start",
			evidence: "only 0s before the start",
			run:      func(h *wftest.Harness) { leave(h, bkAt(dep), wftest.SlotStart) }},

		// ---- R5.3 ----
		{rule: sop.R5_3, want: audit.Met, name: "delay_told_before_the_start",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted})
				h.Eng(bkAt(wftest.SlotStart)-time.Second, sop.Event{Type: sop.EvDelayed, Minutes: wftest.Ptr(25), Reason: "traffic jam on the 3rd ring road"})
				h.Eng(bkAt(wftest.SlotStart)+20*time.Minute, sop.Event{Type: sop.EvArrived})
				h.Run(6 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				c := h.NotesTo(sop.MsgDelayApology, sop.ToCustomer)
				if len(c) != 1 || c[0].Recipient != wftest.Request().Customer.Phone || c[0].Params["minutes"] != "25" || c[0].Params["reason"] != "traffic jam on the 3rd ring road" {
					t.Fatalf("customer %+v", c)
				}
				bkWantAt(t, "apology", c[0].At, wftest.SlotStart.Add(-time.Second))
				n := bkRule(h.NotesTo(sop.MsgEscalation, sop.ToCentre), sop.R5_3)
				if len(n) != 1 || n[0].Params["what"] != "engineer E-1 delayed 25 min (traffic jam on the 3rd ring road)" {
					t.Fatalf("centre %+v", n)
				}
			}},
		{rule: sop.R5_3, want: audit.Breached, name: "arrived_late_without_notice",
			evidence: "arrived 20 m late",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted})
				h.Eng(bkAt(wftest.SlotStart)+20*time.Minute, sop.Event{Type: sop.EvArrived})
				h.Run(6 * time.Hour)
			}},
		{rule: sop.R5_3, want: audit.Breached, name: "delay_told_at_the_start_is_not_in_advance",
			run: func(h *wftest.Harness) {
				bkBooked(h)
				h.Eng(bkAt(bkDepart), sop.Event{Type: sop.EvDeparted})
				h.Eng(bkAt(wftest.SlotStart), sop.Event{Type: sop.EvDelayed, Minutes: wftest.Ptr(20)})
				h.Eng(bkAt(wftest.SlotStart)+20*time.Minute, sop.Event{Type: sop.EvArrived})
				h.Run(6 * time.Hour)
			}},

		// ---- R12.1 ----
		{rule: sop.R12_1, want: audit.Met, name: "departure_confirmed_when_asked",
			evidence: "departure 2026-03-02 13:20 confirmed at 2026-03-02 11:45",
			run: func(h *wftest.Harness) {
				h.Policy.DeparturePlanAhead = sop.D(bkPlan)
				bkBooked(h)
				bkR121.before = h.Eng(time.Minute, sop.Event{Type: sop.EvDepartureConfirmed})
				bkView = h.ViewAt(time.Hour)
				h.Eng(bkAt(planAt)+2*time.Minute, sop.Event{Type: sop.EvDepartureConfirmed})
				bkR121.twice = h.Eng(bkAt(planAt)+3*time.Minute, sop.Event{Type: sop.EvDepartureConfirmed})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, bkR121.before, workflows.ErrNotAssigned, "not assigned")
				wftest.MustReject(t, bkR121.twice, workflows.ErrNotValidNow, "R12.1")
				bkPending(t, bkView, sop.EvDepartureConfirmed, "departure_plan", planAt, sop.R12_1)
				p := bkOne(t, h, sop.KindDeparturePlan, sop.R12_1)
				bkWantAt(t, "departure plan", p.At, planAt)
				n := h.NotesTo(sop.MsgConfirmDeparture, sop.ToEngineer)
				if len(n) != 1 || n[0].Recipient != "E-1" || n[0].Params["depart"] != "2026-03-02 13:20" || n[0].Params["travel"] != "30m" {
					t.Fatalf("engineer %+v", n)
				}
				bkNone(t, h, sop.KindCentreNotified, sop.R12_1)
			}},
		{rule: sop.R12_1, want: audit.Met, name: "plan_across_midnight_in_the_service_zone",
			evidence: "departure 2026-03-02 23:40 confirmed at 2026-03-02 22:10",
			run: func(h *wftest.Harness) {
				h.Policy.DeparturePlanAhead = sop.D(bkPlan)
				// 00:20 on Tuesday in the service zone: leave at 23:40 on Monday.
				start := wftest.T0.Add(15*time.Hour + 20*time.Minute)
				h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
				h.CC(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(start), End: wftest.Ptr(start.Add(time.Hour))})
				h.Eng(13*time.Hour+10*time.Minute, sop.Event{Type: sop.EvDepartureConfirmed})
				h.Run(16 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				p := bkOne(t, h, sop.KindDeparturePlan, sop.R12_1)
				bkWantAt(t, "departure plan", p.At, wftest.T0.Add(14*time.Hour+40*time.Minute-bkPlan)) // 22:03
				n := h.NotesTo(sop.MsgConfirmDeparture, sop.ToEngineer)
				if len(n) != 1 || n[0].Params["depart"] != "2026-03-02 23:40" || n[0].Params["start"] != "2026-03-03 00:20" {
					t.Fatalf("engineer %+v", n)
				}
			}},
		{rule: sop.R12_1, want: audit.Breached, name: "plan_not_confirmed_by_departure",
			evidence: "departure planned for 2026-03-02 13:20 not confirmed",
			run: func(h *wftest.Harness) {
				h.Policy.DeparturePlanAhead = sop.D(bkPlan)
				bkBooked(h)
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				c := bkOne(t, h, sop.KindCentreNotified, sop.R12_1)
				bkWantAt(t, "reported", c.At, bkDepart)
				n := h.NotesTo(sop.MsgDepartureUnconfirmed, sop.ToCentre)
				if len(n) != 1 || n[0].Rule != sop.R12_1 || n[0].Params["engineer"] != "E-1" || n[0].Params["depart"] != "2026-03-02 13:20" || n[0].Params["start"] != "2026-03-02 14:00" {
					t.Fatalf("centre %+v", n)
				}
			}},
		{rule: sop.R12_1, want: audit.Breached, name: "left_without_confirming",
			run: func(h *wftest.Harness) {
				h.Policy.DeparturePlanAhead = sop.D(bkPlan)
				bkBooked(h)
				h.Eng(bkAt(bkDepart)-5*time.Minute, sop.Event{Type: sop.EvDeparted})
				h.Run(5 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				c := bkOne(t, h, sop.KindCentreNotified, sop.R12_1)
				bkWantAt(t, "reported", c.At, bkDepart.Add(-5*time.Minute))
			}},
	}
}
