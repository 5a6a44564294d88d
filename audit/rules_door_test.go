package audit_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// The door, R6.1–R6.9, run through the real workflow.

// doorSlot is when wftest's doorSlot starts, from T0: 14:00 in the service area.
const doorSlot = 5 * time.Hour

// doorPolicy sets every key the door reads to a value unlike any key's
// default, so a clock reading the wrong key fails a case.
func doorPolicy() sop.Policy {
	p := wftest.Policy()
	p.KnockInterval = sop.D(17 * time.Second)
	p.CallAfter = sop.D(153 * time.Second) // 2m33s: 9 prompts of 17 s
	p.DoorEarly = sop.D(7 * time.Minute)
	p.LateNotice = sop.D(3 * time.Minute)
	p.LateMajor = sop.D(19 * time.Minute)
	p.PauseMax = sop.D(23 * time.Minute)
	return p
}

// doorArrive triages the request, books the doorSlot and arrives at T0+at with the
// appearance checklist confirmed (R6.1).
func doorArrive(h *wftest.Harness, at time.Duration) *wftest.Result {
	h.Policy = doorPolicy()
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.Book(2 * time.Minute)
	return h.Eng(at, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
}

// doorArriveFor books the doorSlot start–start+2h instead of wftest's.
func doorArriveFor(h *wftest.Harness, start time.Time, at time.Duration) *wftest.Result {
	h.Policy = doorPolicy()
	h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	h.CC(2*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(start), End: wftest.Ptr(start.Add(2 * time.Hour))})
	return h.Eng(at, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
}

// doorKnock rings and knocks; answered, the engineer enters with the shoe
// covers confirmed (R6.9).
func doorKnock(h *wftest.Harness, at time.Duration, answered bool) *wftest.Result {
	ev := sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(answered)}
	if answered {
		ev.Checklist = wftest.Checklist(sop.EvKnocked)
	}
	return h.Eng(at, ev)
}

func doorOpened(h *wftest.Harness, at time.Duration) *wftest.Result {
	return h.Eng(at, sop.Event{Type: sop.EvDoorAnswered, Checklist: wftest.Checklist(sop.EvDoorAnswered)})
}

func doorRefused(h *wftest.Harness, at time.Duration, reason string, wait bool) *wftest.Result {
	return h.Eng(at, sop.Event{Type: sop.EvEntryRefused, Reason: reason, Wait: wftest.Ptr(wait)})
}

// doorComplete diagnoses and completes the visit, the customer satisfied.
func doorComplete(h *wftest.Harness, at time.Duration) *wftest.Result {
	h.Eng(at, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: wftest.Ptr(true)})
	return h.Eng(at+time.Minute, sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(true), FixCertain: wftest.Ptr(true),
		Record: &sop.ServiceRecord{Cause: "firing defect", Measures: "replaced 3 tiles"}, Checklist: wftest.Checklist(sop.EvCompleted)})
}

func doorPending(v workflows.View) []sop.EventType {
	var out []sop.EventType
	for _, p := range v.Pending {
		if p.Event != "" {
			out = append(out, p.Event)
		}
	}
	return out
}

func doorTime(d time.Duration) time.Time { return wftest.T0.Add(d) }

func doorWantAt(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s at %s, want %s", what, got.Sub(wftest.T0), want.Sub(wftest.T0))
	}
}

// doorOneNote returns the only notification of m, failing otherwise.
func doorOneNote(t *testing.T, h *wftest.Harness, m sop.Message) wftest.Sent {
	t.Helper()
	ns := h.Notes(m)
	if len(ns) != 1 {
		t.Fatalf("%d notifications %s, want 1: %+v", len(ns), m, ns)
	}
	return ns[0]
}

func doorParams(t *testing.T, n wftest.Sent, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := n.Params[kv[i]]; got != kv[i+1] {
			t.Fatalf("%s to %s: param %s = %q, want %q (%v)", n.Message, n.To, kv[i], got, kv[i+1], n.Params)
		}
	}
}

// doorChecklistOf returns the checklist entries of a rule.
func doorChecklistOf(h *wftest.Harness, r sop.Rule) []workflows.Entry {
	return h.OnlyRule(sop.KindChecklist, r)
}

func doorWantChecklist(t *testing.T, h *wftest.Harness, r sop.Rule, o sop.Outcome, missing ...string) {
	t.Helper()
	es := doorChecklistOf(h, r)
	if len(es) != 1 {
		t.Fatalf("%d %s checklists, want 1:%s", len(es), r, h.Timeline())
	}
	if es[0].Outcome != o || !slices.Equal(es[0].Missing, missing) || es[0].Trip != 1 {
		t.Fatalf("%s checklist: outcome %s missing %v trip %d, want %s missing %v trip 1", r, es[0].Outcome, es[0].Missing, es[0].Trip, o, missing)
	}
}

func init() {
	cases(
		// R6.1: the appearance self-check, confirmed on arriving.
		ruleCase{rule: sop.R6_1, want: audit.Met, name: "appearance_and_badge_confirmed_on_arrival",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				doorWantChecklist(t, h, sop.R6_1, sop.OutConfirmed)
			},
		},
		ruleCase{rule: sop.R6_1, want: audit.Breached, name: "badge_not_confirmed_on_arrival", evidence: "trip 1 not confirmed: badge_worn",
			run: func(h *wftest.Harness) {
				h.Policy = doorPolicy()
				h.CC(time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
				h.Book(2 * time.Minute)
				h.Eng(doorSlot-10*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: []string{"appearance"}})
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				doorWantChecklist(t, h, sop.R6_1, sop.OutIncomplete, "badge_worn")
			},
		},

		// R6.9: shoe covers, confirmed on entering, both ways in.
		ruleCase{rule: sop.R6_9, want: audit.Met, name: "covers_confirmed_when_the_knock_is_answered",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, true)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) { doorWantChecklist(t, h, sop.R6_9, sop.OutConfirmed) },
		},
		ruleCase{rule: sop.R6_9, want: audit.Met, name: "covers_confirmed_when_the_door_is_answered",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, false)
				doorOpened(h, doorSlot+40*time.Second)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) { doorWantChecklist(t, h, sop.R6_9, sop.OutConfirmed) },
		},
		ruleCase{rule: sop.R6_9, want: audit.Breached, name: "spare_pair_not_confirmed_when_the_door_is_answered", evidence: "trip 1 not confirmed: spare_pair",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, false)
				h.Eng(doorSlot+40*time.Second, sop.Event{Type: sop.EvDoorAnswered, Checklist: []string{"covers_on"}})
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				doorWantChecklist(t, h, sop.R6_9, sop.OutIncomplete, "spare_pair")
			},
		},
		ruleCase{rule: sop.R6_9, want: audit.Breached, name: "nothing_confirmed_when_the_knock_is_answered", evidence: "covers_on, spare_pair",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				h.Eng(doorSlot, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true)})
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				doorWantChecklist(t, h, sop.R6_9, sop.OutIncomplete, "covers_on", "spare_pair")
			},
		},
	)

	// R6.2: bell, then two rounds of three knocks, before the door opens.
	cases(
		ruleCase{rule: sop.R6_2, want: audit.Met, name: "bell_and_knocks_answered", evidence: "trip 1: bell, then two rounds of three knocks at 2026-03-02 14:00:00 (answered)",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, true)
				h.Run(8 * time.Hour)
			},
		},
		func() ruleCase {
			var early, first, open *wftest.Result
			var before, knocking *workflows.View
			return ruleCase{rule: sop.R6_2, want: audit.Met, name: "door_answered_refused_before_a_knock_then_after_it",
				evidence: "knocks at 2026-03-02 14:00:00 (no_answer); door answered at 2026-03-02 14:00:40",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					before = h.ViewAt(doorSlot - 2*time.Minute)
					early = doorOpened(h, doorSlot-time.Minute)
					first = doorKnock(h, doorSlot, false)
					knocking = h.ViewAt(doorSlot + 20*time.Second)
					open = doorOpened(h, doorSlot+40*time.Second)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					// The live view says what the door takes: a knock first.
					if got := doorPending(*before); !slices.Equal(got, []sop.EventType{sop.EvKnocked, sop.EvEntryRefused}) {
						t.Fatalf("pending before the knock %v", got)
					}
					if got := doorPending(*knocking); !slices.Equal(got, []sop.EventType{sop.EvDoorAnswered, sop.EvKnocked, sop.EvEntryRefused}) {
						t.Fatalf("pending while knocking %v", got)
					}
					wftest.MustReject(t, early, workflows.ErrNotValidNow, "ring the bell and knock first")
					wftest.MustReject(t, early, workflows.ErrNotValidNow, "(R6.2)")
					wftest.MustOK(t, first)
					if v := wftest.MustOK(t, open); v.Status != sop.StatusInService {
						t.Fatalf("status %s after the door opened", v.Status)
					}
					k := h.Only(sop.KindKnocked)
					if len(k) != 1 || k[0].Outcome != sop.OutNoAnswer || k[0].Rule != sop.R6_2 || k[0].Trip != 1 {
						t.Fatalf("knocks %+v", k)
					}
				},
			}
		}(),
		ruleCase{rule: sop.R6_2, want: audit.Breached, name: "door_answered_with_no_knock_old_rules", evidence: "trip 1: door answered at 2026-03-02 13:59:00 with no knock before it",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArrive(h, doorSlot-10*time.Minute)
				h.Eng(doorSlot-time.Minute, sop.Event{Type: sop.EvDoorAnswered})
				h.Run(8 * time.Hour)
			},
		},
	)

	// R6.3: no answer: knock again every knock_interval (17 s), phone the
	// customer after call_after (2m33s), then the note and the centre.
	cases(
		func() ruleCase {
			var early, leave, note *wftest.Result
			return ruleCase{rule: sop.R6_3, want: audit.Met, name: "nine_prompts_call_exactly_at_call_after_note_left_centre_told",
				evidence: "trip 1: 9 knock prompts every 17 s, customer phoned 2 m 33 s after the first knock, unreachable; note left 4 m after the first knock, centre told to rebook",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					doorKnock(h, doorSlot, false)
					early = h.Eng(doorSlot+time.Minute, sop.Event{Type: sop.EvNoteLeft})
					leave = doorRefused(h, doorSlot+2*time.Minute, sop.RefusedNotHome, false)
					h.Eng(doorSlot+153*time.Second+10*time.Second, sop.Event{Type: sop.EvCallResult, Answered: wftest.Ptr(false)})
					note = h.Eng(doorSlot+4*time.Minute, sop.Event{Type: sop.EvNoteLeft})
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					wftest.MustReject(t, early, workflows.ErrNotValidNow, "does not take note_left")
					wftest.MustReject(t, leave, workflows.ErrNotValidNow, "the customer is phoned at 2026-03-02 14:02:33 (R6.3)")
					prompts := h.Only(sop.KindKnockPrompt)
					if len(prompts) != 9 {
						t.Fatalf("%d prompts, want 9:%s", len(prompts), h.Timeline())
					}
					for i, p := range prompts {
						doorWantAt(t, fmt.Sprintf("prompt %d", i+1), p.At, doorTime(doorSlot+time.Duration(i+1)*17*time.Second))
						if p.Trip != 1 || p.Rule != sop.R6_3 {
							t.Fatalf("prompt %+v", p)
						}
					}
					ks := h.Notes(sop.MsgKnockAgain)
					if len(ks) != 9 || ks[8].To != sop.ToEngineer || ks[8].Recipient != "E-1" || ks[8].Params["n"] != "9" {
						t.Fatalf("knock-again notifications %+v", ks)
					}
					call := h.Only(sop.KindCallCustomer)
					if len(call) != 1 {
						t.Fatalf("%d calls", len(call))
					}
					doorWantAt(t, "the call", call[0].At, doorTime(doorSlot+153*time.Second))
					c := doorOneNote(t, h, sop.MsgCallCustomer)
					if c.To != sop.ToEngineer || c.Recipient != "E-1" || c.Params["phone"] != wftest.Request().Customer.Phone {
						t.Fatalf("call prompt %+v", c)
					}
					d := doorOneNote(t, h, sop.MsgAtYourDoor)
					if d.To != sop.ToCustomer || d.Recipient != wftest.Request().Customer.Phone || d.Params["engineer"] != "E-1" {
						t.Fatalf("at-your-door %+v", d)
					}
					if n := doorOneNote(t, h, sop.MsgLeaveNote); n.To != sop.ToEngineer || n.Recipient != "E-1" {
						t.Fatalf("leave-note prompt %+v", n)
					}
					r := doorOneNote(t, h, sop.MsgRebook)
					if r.To != sop.ToCentre || r.Rule != sop.R6_3 || !strings.Contains(r.Params["why"], "note left") {
						t.Fatalf("rebook %+v", r)
					}
					if v := wftest.MustOK(t, note); v.Status != sop.StatusScheduling || v.Appointment != nil {
						t.Fatalf("after the note: %+v", v)
					}
				},
			}
		}(),
		func() ruleCase {
			var leave, after *wftest.Result
			return ruleCase{rule: sop.R6_3, want: audit.Met, name: "not_home_refused_before_the_call_taken_once_the_customer_says_so",
				evidence: "trip 1: 9 knock prompts every 17 s, customer phoned 2 m 33 s after the first knock; the customer said on the phone they were not at home",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					doorKnock(h, doorSlot, false)
					leave = doorRefused(h, doorSlot+time.Minute, sop.RefusedNotHome, false)
					h.Eng(doorSlot+3*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: wftest.Ptr(true)})
					after = doorRefused(h, doorSlot+4*time.Minute, sop.RefusedNotHome, false)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					wftest.MustReject(t, leave, workflows.ErrNotValidNow, "keep knocking every 17s")
					wftest.MustReject(t, leave, workflows.ErrNotValidNow, "R6.3")
					if v := wftest.MustOK(t, after); v.Status != sop.StatusScheduling {
						t.Fatalf("after not_home: %s", v.Status)
					}
				},
			}
		}(),
		ruleCase{rule: sop.R6_3, want: audit.Met, name: "prompts_counted_per_trip",
			evidence: "trip 1: 9 knock prompts every 17 s, customer phoned 2 m 33 s after the first knock, unreachable; note left 4 m after the first knock, centre told to rebook; trip 2: 2 knock prompts every 17 s; door answered 40 s after the first knock",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, false)
				h.Eng(doorSlot+3*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: wftest.Ptr(false)})
				h.Eng(doorSlot+4*time.Minute, sop.Event{Type: sop.EvNoteLeft})
				next := wftest.SlotStart.Add(24 * time.Hour)
				h.CC(doorSlot+time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(next), End: wftest.Ptr(next.Add(2 * time.Hour))})
				h.Eng(doorSlot+24*time.Hour-10*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
				doorKnock(h, doorSlot+24*time.Hour, false)
				doorOpened(h, doorSlot+24*time.Hour+40*time.Second)
				h.Run(32 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				trips := map[int]int{}
				for _, p := range h.Only(sop.KindKnockPrompt) {
					trips[p.Trip]++
				}
				if trips[1] != 9 || trips[2] != 2 || len(trips) != 2 {
					t.Fatalf("prompts per trip %v", trips)
				}
			},
		},
		ruleCase{rule: sop.R6_3, want: audit.Met, name: "call_of_trip_2_never_compared_with_the_knock_of_trip_1",
			evidence: "trip 1: 2 knock prompts every 17 s; door answered 40 s after the first knock; trip 2: 9 knock prompts every 17 s, customer phoned 2 m 33 s after the first knock",
			run: func(h *wftest.Harness) {
				// Trip 1 ends unsatisfied inside; trip 2 is not answered.
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, false)
				doorOpened(h, doorSlot+40*time.Second)
				h.Eng(doorSlot+50*time.Minute, sop.Event{Type: sop.EvDiagnosed, Cause: "firing defect", Onsite: wftest.Ptr(true)})
				h.Eng(doorSlot+time.Hour, sop.Event{Type: sop.EvCompleted, QualityRating: wftest.Ptr(2), AttitudeRating: wftest.Ptr(4),
					Satisfied: wftest.Ptr(false), SignedByCustomer: wftest.Ptr(true), FixCertain: wftest.Ptr(false), Checklist: wftest.Checklist(sop.EvCompleted)})
				next := wftest.SlotStart.Add(24 * time.Hour)
				h.CC(doorSlot+2*time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(next), End: wftest.Ptr(next.Add(2 * time.Hour))})
				h.Eng(doorSlot+24*time.Hour-10*time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
				doorKnock(h, doorSlot+24*time.Hour, false)
				h.Eng(doorSlot+24*time.Hour+3*time.Minute, sop.Event{Type: sop.EvCallResult, Answered: wftest.Ptr(false)})
				h.Eng(doorSlot+24*time.Hour+5*time.Minute, sop.Event{Type: sop.EvNoteLeft})
				h.Run(32 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				call := h.Only(sop.KindCallCustomer)
				if len(call) != 1 || call[0].Trip != 2 {
					t.Fatalf("calls %+v", call)
				}
				doorWantAt(t, "the call of trip 2", call[0].At, doorTime(doorSlot+24*time.Hour+153*time.Second))
			},
		},
		ruleCase{rule: sop.R6_3, want: audit.Breached, name: "left_as_not_home_before_the_call_old_rules",
			evidence: "trip 1: left as not at home 1 m after the first knock, before the customer was phoned (due 2 m 33 s after it), no note",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot, false)
				doorRefused(h, doorSlot+time.Minute, sop.RefusedNotHome, false)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if n := len(h.Only(sop.KindCallCustomer)); n != 0 {
					t.Fatalf("%d calls: the trip ended before the call", n)
				}
			},
		},
	)

	// R6.4: at the door on time or up to door_early (7 min) before the start.
	cases(
		func() ruleCase {
			var early, first *wftest.Result
			return ruleCase{rule: sop.R6_4, want: audit.Met, name: "knock_exactly_door_early_before_start_one_second_earlier_refused",
				evidence: "trip 1: arrived 4 h 57 m before the appointment at 2026-03-02 14:00:00; at the door at 2026-03-02 13:53:00, 7 m before the appointment (up to 7 m early)",
				run: func(h *wftest.Harness) {
					doorArrive(h, 3*time.Minute)
					early = doorKnock(h, doorSlot-7*time.Minute-time.Second, false)
					first = doorKnock(h, doorSlot-7*time.Minute, true)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					wftest.MustReject(t, early, workflows.ErrNotValidNow, "wait until 2026-03-02 13:53:00 to ring and knock, at most 7m early (R6.4)")
					wftest.MustOK(t, first)
					a := h.Only(sop.KindArrived)
					if len(a) != 1 || a[0].Outcome != sop.OutOnTime || !strings.Contains(a[0].Detail, "ring and knock from 2026-03-02 13:53:00") {
						t.Fatalf("arrival %+v", a)
					}
				},
			}
		}(),
		ruleCase{rule: sop.R6_4, want: audit.Breached, name: "knock_one_second_more_than_door_early_before_start_old_rules",
			evidence: "at the door (knocked) at 2026-03-02 13:52:59, 7 m 01 s before the appointment, more than 7 m early",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArrive(h, 3*time.Minute)
				doorKnock(h, doorSlot-7*time.Minute-time.Second, true)
				h.Run(8 * time.Hour)
			},
		},
		ruleCase{rule: sop.R6_4, want: audit.Met, name: "arrived_53h45m_before_waited_to_knock",
			evidence: "arrived 53 h 45 m before the appointment at 2026-03-04 15:00:00; at the door at 2026-03-04 14:55:00",
			run: func(h *wftest.Harness) {
				doorArriveFor(h, wftest.T0.Add(54*time.Hour), 15*time.Minute)
				doorKnock(h, 54*time.Hour-5*time.Minute, true)
				h.Run(60 * time.Hour)
			},
		},
		ruleCase{rule: sop.R6_4, want: audit.Breached, name: "arrived_53h45m_before_and_knocked_at_once_old_rules",
			evidence: "at the door (knocked) at 2026-03-02 09:16:00, 53 h 44 m before the appointment, more than 7 m early",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArriveFor(h, wftest.T0.Add(54*time.Hour), 15*time.Minute)
				doorKnock(h, 16*time.Minute, true)
				h.Run(60 * time.Hour)
			},
		},
		func() ruleCase {
			var early *wftest.Result
			return ruleCase{rule: sop.R6_4, want: audit.Met, name: "slot_just_after_midnight_wait_until_the_day_before",
				evidence: "at the door at 2026-03-02 23:55:00, 7 m before the appointment",
				run: func(h *wftest.Harness) {
					// 00:02 on 3 March in the service area; 7 min before is 23:55 on the 2nd.
					start := time.Date(2026, 3, 3, 0, 2, 0, 0, sop.Policy{UTCOffsetSeconds: wftest.CST}.Location())
					from := start.Sub(wftest.T0)
					doorArriveFor(h, start, from-20*time.Minute)
					early = doorKnock(h, from-8*time.Minute, false)
					doorKnock(h, from-7*time.Minute, true)
					h.Run(from + time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					wftest.MustReject(t, early, workflows.ErrNotValidNow, "the appointment is at 2026-03-03 00:02; wait until 2026-03-02 23:55:00")
				},
			}
		}(),
		ruleCase{rule: sop.R6_4, want: audit.Met, name: "arrived_and_knocked_exactly_at_the_start", evidence: "at the door at 2026-03-02 14:00:00, 0s before the appointment",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot)
				doorKnock(h, doorSlot, true)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if n := len(h.Only(sop.KindLate)); n != 1 { // the late_notice prompt only
					t.Fatalf("%d late entries:%s", n, h.Timeline())
				}
			},
		},
		ruleCase{rule: sop.R6_4, want: audit.Breached, name: "arrived_one_second_after_the_start", evidence: "trip 1: arrived at 2026-03-02 14:00:01, 1 s after the appointment at 2026-03-02 14:00:00",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot+time.Second)
				doorKnock(h, doorSlot+2*time.Second, true)
				h.Run(8 * time.Hour)
			},
		},
	)

	// R6.5: late: the late_notice prompt (3 min before), apologise under
	// late_major (19 min); from late_major, a sincere apology, the answer
	// recorded, the manager when refused.
	cases(
		func() ruleCase {
			var arr *wftest.Result
			return ruleCase{rule: sop.R6_5, want: audit.Met, name: "late_one_second_under_late_major_minor_apology",
				evidence: "trip 1: late 18 m 59 s (under 19 m): apologised, rebooking offered; engineer prompted at 2026-03-02 13:57:00 to call the customer (3 m before the appointment)",
				run: func(h *wftest.Harness) {
					arr = doorArrive(h, doorSlot+19*time.Minute-time.Second)
					doorKnock(h, doorSlot+20*time.Minute, true)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					n := doorOneNote(t, h, sop.MsgLateCall)
					doorWantAt(t, "the late-call prompt", n.At, doorTime(doorSlot-3*time.Minute))
					if n.To != sop.ToEngineer || n.Recipient != "E-1" || n.Rule != sop.R6_5 || n.Params["phone"] != wftest.Request().Customer.Phone {
						t.Fatalf("late call %+v", n)
					}
					for _, p := range wftest.MustOK(t, arr).Pending {
						if p.Event == sop.EvApologyAnswer {
							t.Fatal("an answer to the apology awaited for a minor delay")
						}
					}
				},
			}
		}(),
		func() ruleCase {
			var arr *wftest.Result
			return ruleCase{rule: sop.R6_5, want: audit.Met, name: "late_exactly_late_major_apology_accepted",
				evidence: "trip 1: late 19 m (19 m or more): sincere apology and a small gift, accepted at 2026-03-02 14:20:00",
				run: func(h *wftest.Harness) {
					arr = doorArrive(h, doorSlot+19*time.Minute)
					h.Eng(doorSlot+20*time.Minute, sop.Event{Type: sop.EvApologyAnswer, Accepted: wftest.Ptr(true)})
					doorKnock(h, doorSlot+21*time.Minute, true)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					if !slices.ContainsFunc(wftest.MustOK(t, arr).Pending, func(p workflows.Pending) bool { return p.Event == sop.EvApologyAnswer }) {
						t.Fatal("the answer to the apology is not awaited")
					}
					if n := len(h.Notes(sop.MsgManagerVisit)); n != 0 {
						t.Fatalf("%d manager visits for an accepted apology", n)
					}
				},
			}
		}(),
		ruleCase{rule: sop.R6_5, want: audit.Met, name: "apology_refused_the_manager_visits",
			evidence: "late 25 m (19 m or more): apology refused at 2026-03-02 14:26:00; the after-sales manager visits to apologise",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot+25*time.Minute)
				h.Eng(doorSlot+26*time.Minute, sop.Event{Type: sop.EvApologyAnswer, Accepted: wftest.Ptr(false)})
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := doorOneNote(t, h, sop.MsgManagerVisit)
				if n.To != sop.ToManager || n.Rule != sop.R6_5 {
					t.Fatalf("manager %+v", n)
				}
				c := wftest.Request().Customer
				doorParams(t, n, "why", "apology for a late visit not accepted", "late", "25m", "engineer", "E-1",
					"customer", c.Name, "phone", c.Phone, "address", c.Address)
				doorWantAt(t, "the manager's notification", n.At, doorTime(doorSlot+26*time.Minute))
			},
		},
		ruleCase{rule: sop.R6_5, want: audit.Breached, name: "late_major_and_no_answer_to_the_apology",
			evidence: "trip 1: late 19 m (19 m or more): no answer to the apology recorded",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot+19*time.Minute)
				doorKnock(h, doorSlot+20*time.Minute, true)
				doorComplete(h, doorSlot+time.Hour)
				h.Run(8 * time.Hour)
			},
		},
	)

	// R6.6: not at home, or a helper who refuses entry: rebook with the
	// centre told, or wait (the helper calls the customer) up to pause_max.
	cases(
		func() ruleCase {
			var r *wftest.Result
			return ruleCase{rule: sop.R6_6, want: audit.Met, name: "helper_refuses_rebooked_centre_told",
				evidence: "trip 1: helper_refuses at 2026-03-02 13:56:00: rebooked, the centre told",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					r = doorRefused(h, doorSlot-4*time.Minute, sop.RefusedHelperRefuses, false)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					n := doorOneNote(t, h, sop.MsgRebook)
					if n.To != sop.ToCentre || n.Rule != sop.R6_6 || n.Params["why"] != "helper refused entry: rebook with the customer" {
						t.Fatalf("rebook %+v", n)
					}
					if v := wftest.MustOK(t, r); v.Status != sop.StatusScheduling || v.Appointment != nil {
						t.Fatalf("after the refusal %+v", v)
					}
				},
			}
		}(),
		func() ruleCase {
			var waiting *workflows.View
			return ruleCase{rule: sop.R6_6, want: audit.Met, name: "helper_wait_ends_after_pause_max_centre_told",
				evidence: "trip 1: helper_refuses at 2026-03-02 13:56:00: waited 23 m without the door opening: back to booking, the centre told",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					doorRefused(h, doorSlot-4*time.Minute, sop.RefusedHelperRefuses, true)
					waiting = h.ViewAt(doorSlot)
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					if !slices.ContainsFunc(waiting.Pending, func(p workflows.Pending) bool {
						return p.Clock == "door_wait" && p.Rule == sop.R6_6 && p.At.Equal(doorTime(doorSlot+19*time.Minute))
					}) || !slices.ContainsFunc(waiting.Pending, func(p workflows.Pending) bool { return p.Event == sop.EvDoorAnswered }) {
						t.Fatalf("while waiting: %+v", waiting.Pending)
					}
					es := h.OnlyRule(sop.KindEscalated, sop.R6_6)
					if len(es) != 1 || es[0].Outcome != sop.OutMissed {
						t.Fatalf("escalations %+v", es)
					}
					doorWantAt(t, "the end of the wait", es[0].At, doorTime(doorSlot+19*time.Minute))
					n := doorOneNote(t, h, sop.MsgRebook)
					if n.To != sop.ToCentre || n.Rule != sop.R6_6 || !strings.Contains(n.Params["why"], "waited 23m at the door (helper_refuses)") {
						t.Fatalf("rebook %+v", n)
					}
				},
			}
		}(),
		ruleCase{rule: sop.R6_6, want: audit.Met, name: "helper_wait_door_answered_one_second_before_pause_max",
			evidence: "trip 1: helper_refuses at 2026-03-02 13:56:00: waited 22 m 59 s with the customer's consent (limit 23 m)",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorRefused(h, doorSlot-4*time.Minute, sop.RefusedHelperRefuses, true)
				doorOpened(h, doorSlot+19*time.Minute-time.Second)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if n := len(h.OnlyRule(sop.KindEscalated, sop.R6_6)); n != 0 {
					t.Fatalf("%d escalations after the door opened", n)
				}
			},
		},
		ruleCase{rule: sop.R6_6, want: audit.Breached, name: "helper_wait_of_two_hours_centre_never_told_old_rules",
			evidence: "trip 1: helper_refuses at 2026-03-02 13:56:00: waited 2 h 00 m at the door (limit 23 m) and the centre was never told",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArrive(h, doorSlot-10*time.Minute)
				doorRefused(h, doorSlot-4*time.Minute, sop.RefusedHelperRefuses, true)
				h.Eng(doorSlot-4*time.Minute+2*time.Hour, sop.Event{Type: sop.EvDoorAnswered})
				h.Run(8 * time.Hour)
			},
		},
	)

	// R6.7: doubts: ID and supervision number; still refused: rebook, and
	// the after-sales manager visits in person.
	cases(
		func() ruleCase {
			var r *wftest.Result
			next := wftest.SlotStart.Add(24 * time.Hour)
			return ruleCase{rule: sop.R6_7, want: audit.Met, name: "doubts_manager_told_at_once_and_of_the_rebooked_appointment",
				evidence: "trip 1: refused at 2026-03-02 13:56:00 for doubts: the manager told at once and of the rebooked appointment at 2026-03-03 14:00:00 (trip 2)",
				run: func(h *wftest.Harness) {
					doorArrive(h, doorSlot-10*time.Minute)
					r = doorRefused(h, doorSlot-4*time.Minute, sop.RefusedDoubtsEngineer, false)
					h.CC(doorSlot+time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(next), End: wftest.Ptr(next.Add(2 * time.Hour))})
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					if v := wftest.MustOK(t, r); v.Status != sop.StatusScheduling {
						t.Fatalf("after the refusal: %s", v.Status)
					}
					ns := h.Notes(sop.MsgManagerVisit)
					if len(ns) != 2 {
						t.Fatalf("%d manager notifications, want 2: %+v", len(ns), ns)
					}
					c := wftest.Request().Customer
					for _, n := range ns {
						if n.To != sop.ToManager || n.Rule != sop.R6_7 {
							t.Fatalf("manager %+v", n)
						}
						doorParams(t, n, "engineer", "E-1", "customer", c.Name, "phone", c.Phone, "address", c.Address)
					}
					doorWantAt(t, "the manager told", ns[0].At, doorTime(doorSlot-4*time.Minute))
					doorParams(t, ns[0], "why", "customer doubted the engineer and refused entry")
					doorWantAt(t, "the manager told the rebooked visit", ns[1].At, doorTime(doorSlot+time.Hour))
					doorParams(t, ns[1], "start", "2026-03-03 14:00", "end", "2026-03-03 16:00")
					if n := doorOneNote(t, h, sop.MsgRebook); n.To != sop.ToCentre || n.Rule != sop.R6_7 {
						t.Fatalf("rebook %+v", n)
					}
				},
			}
		}(),
		func() ruleCase {
			next := wftest.SlotStart.Add(24 * time.Hour)
			return ruleCase{rule: sop.R6_7, want: audit.Breached, name: "rebooked_without_the_manager_told_old_rules",
				evidence: "the rebooked appointment at 2026-03-03 14:00:00 (trip 2) was booked without the after-sales manager told to visit in person",
				run: func(h *wftest.Harness) {
					h.OldRules()
					doorArrive(h, doorSlot-10*time.Minute)
					doorRefused(h, doorSlot-4*time.Minute, sop.RefusedDoubtsEngineer, false)
					h.CC(doorSlot+time.Hour, sop.Event{Type: sop.EvAppointmentRequested, Start: wftest.Ptr(next), End: wftest.Ptr(next.Add(2 * time.Hour))})
					h.Run(8 * time.Hour)
				},
				check: func(t *testing.T, h *wftest.Harness) {
					if n := len(h.Notes(sop.MsgManagerVisit)); n != 1 {
						t.Fatalf("%d manager notifications, want the one at the refusal", n)
					}
				},
			}
		}(),
	)

	// R6.8: the product elsewhere: go there or rebook; a power cut, the
	// customer going out or eating: rebook, or wait up to pause_max.
	cases(
		ruleCase{rule: sop.R6_8, want: audit.Met, name: "product_elsewhere_went_there_and_served",
			evidence: "trip 1: product_elsewhere at 2026-03-02 13:56:00: went there with the customer's consent",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				h.Eng(doorSlot-4*time.Minute, sop.Event{Type: sop.EvEntryRefused, Reason: sop.RefusedProductElsewhere, Address: "北京市海淀区中关村大街 1 号"})
				h.Eng(doorSlot-time.Minute, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
				doorKnock(h, doorSlot, true)
				h.Run(8 * time.Hour)
			},
		},
		ruleCase{rule: sop.R6_8, want: audit.Met, name: "power_cut_rebooked_centre_told",
			evidence: "trip 1: power_cut at 2026-03-02 14:00:00: rebooked, the centre told",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorKnock(h, doorSlot-5*time.Minute, false)
				doorRefused(h, doorSlot, sop.RefusedPowerCut, false)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if n := doorOneNote(t, h, sop.MsgRebook); n.To != sop.ToCentre || n.Rule != sop.R6_8 {
					t.Fatalf("rebook %+v", n)
				}
				if n := len(h.Only(sop.KindKnockPrompt)); n != 9 {
					// every 17 s from 13:55:00 until the call at 13:57:33
					t.Fatalf("%d prompts before the refusal, want 9", n)
				}
			},
		},
		ruleCase{rule: sop.R6_8, want: audit.Met, name: "going_out_wait_ends_after_pause_max_centre_told",
			evidence: "trip 1: going_out at 2026-03-02 14:00:00: waited 23 m without the door opening: back to booking, the centre told",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorRefused(h, doorSlot, sop.RefusedGoingOut, true)
				h.Run(8 * time.Hour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := doorOneNote(t, h, sop.MsgRebook)
				doorWantAt(t, "the rebook", n.At, doorTime(doorSlot+23*time.Minute))
				if n.To != sop.ToCentre || n.Rule != sop.R6_8 {
					t.Fatalf("rebook %+v", n)
				}
			},
		},
		ruleCase{rule: sop.R6_8, want: audit.Met, name: "eating_wait_door_answered_at_22m59s",
			evidence: "trip 1: eating at 2026-03-02 14:00:00: waited 22 m 59 s with the customer's consent (limit 23 m)",
			run: func(h *wftest.Harness) {
				doorArrive(h, doorSlot-10*time.Minute)
				doorRefused(h, doorSlot, sop.RefusedEating, true)
				doorOpened(h, doorSlot+23*time.Minute-time.Second)
				h.Run(8 * time.Hour)
			},
		},
		ruleCase{rule: sop.R6_8, want: audit.Breached, name: "eating_wait_of_two_hours_centre_never_told_old_rules",
			evidence: "trip 1: eating at 2026-03-02 14:00:00: waited 2 h 00 m at the door (limit 23 m) and the centre was never told",
			run: func(h *wftest.Harness) {
				h.OldRules()
				doorArrive(h, doorSlot-10*time.Minute)
				doorRefused(h, doorSlot, sop.RefusedEating, true)
				h.Eng(doorSlot+2*time.Hour, sop.Event{Type: sop.EvDoorAnswered})
				h.Run(8 * time.Hour)
			},
		},
	)
}
