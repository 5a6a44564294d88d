package workflows

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/sop"
)

// The door (R6.2–R6.8) as the complete SOP enforces it, for requests begun
// with rulesComplete. Requests begun before keep the door of their time.

// clkDoorWait ends a wait at the door (R6.6 a helper asked to call the
// customer, R6.8 a power cut, a customer going out or eating): a wait that
// lasts sop.pause_max without the door opening goes back to booking with the
// centre told. The wait is a pause before the work begins (000 §四), so it
// has the limit of a pause (R12.4).
const clkDoorWait = "door_wait"

func init() { clockOrder[clkDoorWait] = 12 }

// checkDoor is what the complete SOP adds to check for the events at the
// door; the status has been checked already.
func (s *State) checkDoor(ev sop.Event, now time.Time) error {
	if s.Rules < rulesComplete {
		return nil
	}
	v := s.Visit
	switch ev.Type {
	case sop.EvKnocked:
		// R6.4: at the door on time or up to sop.door_early before the start;
		// an engineer who arrived earlier waits.
		if v.KnockedAt == nil && s.Appointment != nil {
			if from := s.Appointment.Start.Add(-s.Policy.DoorEarly.Std()); now.Before(from) {
				return notValid("too early at the door: the appointment is at %s; wait until %s to ring and knock, at most %s early (R6.4)",
					s.clock(s.Appointment.Start), s.doorClock(from), human(s.Policy.DoorEarly.Std()))
			}
		}
	case sop.EvDoorAnswered:
		// R6.2: the door is answered to a knock: bell, then two rounds of
		// three light knocks (knocked, answered or not), or at the end of a
		// wait after a refusal (R6.6, R6.8).
		if v.KnockedAt == nil && v.Waiting == "" {
			return notValid("ring the bell and knock first (knocked, answered or not): bell, then two rounds of three light knocks (R6.2)")
		}
	case sop.EvEntryRefused:
		// R6.3: nobody answers the door: knock again, phone the customer
		// after sop.call_after, and leave a note if unreachable. "Not at
		// home" is what the customer says on the phone, not a way to leave
		// before the call.
		if ev.Reason != sop.RefusedNotHome || v.CallAnswered {
			return nil
		}
		switch {
		case v.KnockedAt == nil:
			return notValid("ring the bell and knock first (R6.2); if nobody answers, the customer is phoned after %s (R6.3)", human(s.Policy.CallAfter.Std()))
		case v.NotePrompted:
			return notValid("the customer did not answer the phone: ask the neighbours, look downstairs and leave a note with the service number (note_left, R6.3)")
		case !v.Called:
			return notValid("nobody answers yet: keep knocking every %s; the customer is phoned at %s (R6.3); not_home is what the customer says on the phone",
				human(s.Policy.KnockInterval.Std()), s.doorClock(v.KnockedAt.Add(s.Policy.CallAfter.Std())))
		default:
			return notValid("phone the customer first (call_result, R6.3); not_home is what the customer says on the phone")
		}
	}
	return nil
}

// doorClock writes a local time to the second (the door's boundaries).
func (s *State) doorClock(t time.Time) string {
	return t.In(s.Policy.Location()).Format("2006-01-02 15:04:05")
}

// doorWait starts the clock of a wait at the door (R6.6, R6.8).
func (s *State) doorWait(st *step, e *Entry, rule sop.Rule) {
	if s.Rules < rulesComplete {
		return
	}
	st.outcome(e, sop.OutPlanned)
	if max := s.Policy.PauseMax.Std(); max > 0 {
		e.Detail += fmt.Sprintf("; back to booking if the door has not opened by %s (%s)", s.clock(st.now.Add(max)), human(max))
		s.setClock(clkDoorWait, st.now.Add(max), rule, 0)
	}
}

// doorWaitOver: the wait at the door lasted sop.pause_max (R6.6, R6.8).
func (s *State) doorWaitOver(st *step, c Clock) {
	why := s.Visit.Waiting
	e := st.system(sop.KindEscalated, c.Rule, "waited %s at the door (%s) without the door opening: the trip ends; the centre rebooks with the customer",
		human(s.Policy.PauseMax.Std()), why)
	st.outcome(e, sop.OutMissed)
	s.rebook(st, c.Rule, fmt.Sprintf("waited %s at the door (%s): rebook", human(s.Policy.PauseMax.Std()), why))
}

// managerWithRebooking: a customer who doubted the engineer and refused
// entry (R6.7) is rebooked, and the after-sales manager visits in person:
// the manager is told the rebooked appointment.
func (s *State) managerWithRebooking(st *step) {
	if !s.ManagerVisitDue || s.Appointment == nil {
		return
	}
	s.ManagerVisitDue = false
	a := s.Appointment
	e := st.system(sop.KindManagerVisit, sop.R6_7, "rebooked %s with %s after the customer doubted the engineer: the after-sales manager visits in person",
		s.span(a.Start, a.End), a.Engineer)
	st.outcome(e, sop.OutPlanned)
	st.notify(sop.ToManager, sop.MsgManagerVisit, sop.R6_7, map[string]string{
		"why":   "customer doubted the engineer and refused entry: visit in person with the rebooked appointment",
		"start": s.clock(a.Start), "end": s.clock(a.End), "engineer": a.Engineer,
		"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone, "address": s.Request.Customer.Address,
	})
}

// expectedAtDoor lists the events the door takes now (complete SOP), the
// likeliest first: every event check accepts at the door is listed.
func (s *State) expectedAtDoor(add func(sop.EventType, sop.Rule)) {
	v := s.Visit
	switch {
	case v.Waiting != "":
		rule := sop.R6_8
		if v.Waiting == sop.RefusedHelperRefuses {
			rule = sop.R6_6
		}
		add(sop.EvDoorAnswered, rule)
		add(sop.EvEntryRefused, rule)
		return
	case v.KnockedAt == nil:
		add(sop.EvKnocked, sop.R6_2)
		add(sop.EvEntryRefused, sop.R6_6)
		return
	case v.NotePrompted:
		add(sop.EvNoteLeft, sop.R6_3)
	case v.Called && !v.CallAnswered:
		add(sop.EvCallResult, sop.R6_3)
	}
	add(sop.EvDoorAnswered, sop.R6_3)
	add(sop.EvKnocked, sop.R6_3)
	add(sop.EvEntryRefused, sop.R6_6)
}
