package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func init() {
	register(sop.R4_1, judgeBooking)
	register(sop.R4_2, judgeConfirmation)
	register(sop.R4_3, judgeCallAgain)
	register(sop.R4_4, judgeAngry)
	register(sop.R4_5, judgeNeverReachable)
	register(sop.R4_6, judgeGuidance)
	register(sop.R5_2, judgeDeparture)
	register(sop.R5_3, judgeDelay)
	register(sop.R12_1, judgeDeparturePlan)
}

// trip is one booked appointment, from its booking to the next one.
type trip struct {
	n            int
	at           time.Time // when it was booked
	until        time.Time // when the next trip was booked (zero: none)
	start, end   time.Time
	departure    time.Time // planned: start − travel − sop.arrive_early
	hasDeparture bool
}

func (t trip) holds(at time.Time) bool {
	return !at.Before(t.at) && (t.until.IsZero() || at.Before(t.until))
}

func (t trip) name() string { return fmt.Sprintf("trip %d", t.n) }

// trips lists the appointments booked, in order. The planned departure is
// the entry's (requests begun with the complete SOP) or, for older ones,
// computed from the travel its wording names.
func (f *facts) trips() []trip {
	var out []trip
	for _, s := range f.steps {
		for _, e := range s.Entries {
			if e.Kind != sop.KindAppointmentBooked || s.Projection.Appointment == nil {
				continue
			}
			t := trip{n: len(out) + 1, at: e.At, start: s.Projection.Appointment.Start, end: s.Projection.Appointment.End}
			if e.Departure != nil {
				t.departure, t.hasDeparture = *e.Departure, true
			} else if travel, ok := bookedTravel(e); ok {
				t.departure, t.hasDeparture = t.start.Add(-travel-f.p.ArriveEarly.Std()), true
			}
			if len(out) > 0 {
				out[len(out)-1].until = t.at
			}
			out = append(out, t)
		}
	}
	return out
}

// eventsIn returns the steps of events of type typ during trip t.
func (f *facts) eventsIn(t trip, typ sop.EventType) []workflows.CommitInput {
	var out []workflows.CommitInput
	for _, s := range f.events(typ) {
		if t.holds(s.At) {
			out = append(out, s)
		}
	}
	return out
}

// lastAt is the time of the last step of the history.
func (f *facts) lastAt() time.Time {
	if len(f.steps) == 0 {
		return time.Time{}
	}
	return f.steps[len(f.steps)-1].At
}

func (f *facts) clock(t time.Time) string {
	return t.In(f.p.Location()).Format("2006-01-02 15:04")
}

// policyOr is a policy duration, or its default when the request's policy
// predates the key.
func policyOr(d, def sop.Duration) time.Duration {
	if d > 0 {
		return d.Std()
	}
	return def.Std()
}

// judgeBooking (R4.1): met when every booked engineer could still leave in
// time when the slot was booked (departure = start − travel −
// sop.arrive_early not before the booking); breached when an appointment
// was booked whose departure had already passed.
func judgeBooking(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	proposed := f.all(sop.KindAppointmentProposed)
	if len(booked) == 0 && len(proposed) == 0 {
		return NotApplicable, "no appointment asked for"
	}
	var late []string
	for _, t := range f.trips() {
		if t.hasDeparture && t.departure.Before(t.at) {
			late = append(late, fmt.Sprintf("%s: %s booked at %s, but the engineer had to leave at %s, %s before", t.name(), f.clock(t.start), f.clock(t.at), f.clock(t.departure), span(t.at.Sub(t.departure))))
		}
	}
	if len(late) > 0 {
		return Breached, "booked too short to reach in time: " + strings.Join(late, "; ")
	}
	d := fmt.Sprintf("%d booking(s), each reachable in time", len(booked))
	if len(proposed) > 0 {
		d += fmt.Sprintf(", %d other slot(s) proposed with an apology", len(proposed))
	}
	if n := len(f.all(sop.KindReassigned)); n > 0 {
		d += fmt.Sprintf(", %d reassignment(s)", n)
	}
	return Met, d
}

// judgeConfirmation (R4.2): every booking confirmed to the customer, and
// data corrected while a visit is booked confirmed again (the visit follows
// the confirmed data); breached when either is missing.
func judgeConfirmation(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	if len(booked) == 0 {
		return NotApplicable, "no appointment booked"
	}
	confirmed := f.all(sop.KindCustomerNotified, sop.R4_2)
	if len(confirmed) < len(booked) {
		return Breached, fmt.Sprintf("%d booking(s), %d confirmation(s) to the customer", len(booked), len(confirmed))
	}
	corrections := 0
	for _, s := range f.steps {
		for i, e := range s.Entries {
			if e.Kind != sop.KindVerified || e.Rule != sop.R4_2 || outcome(e) != sop.OutChanged || s.Projection.Appointment == nil {
				continue
			}
			corrections++
			again := false
			for _, c := range s.Entries[i+1:] {
				again = again || (c.Kind == sop.KindCustomerNotified && c.Rule == sop.R4_2)
			}
			if !again {
				return Breached, fmt.Sprintf("data corrected at %s while the visit of %s was booked, not confirmed again to the customer", f.clock(e.At), f.clock(s.Projection.Appointment.Start))
			}
		}
	}
	d := fmt.Sprintf("every booking confirmed to the customer (%d)", len(booked))
	if corrections > 0 {
		d += fmt.Sprintf("; corrected data confirmed again %d time(s)", corrections)
	}
	return Met, d
}

// customerAnswer says a step records a call that reached the customer, or
// another try that did not (a result of calling again, R4.3).
func customerCall(s workflows.CommitInput) bool {
	if s.Event == nil {
		return false
	}
	switch s.Event.Type {
	case sop.EvCustomerReached, sop.EvCustomerUnreachable, sop.EvCustomerAngry:
		return true
	}
	return false
}

// departedAfter is when the trip booked at t left: the engineer's departed
// event or the departure reminder, whichever came first after t.
func (f *facts) departedAfter(t time.Time) (time.Time, bool) {
	var at time.Time
	for _, s := range f.events(sop.EvDeparted) {
		if s.At.After(t) {
			at = s.At
			break
		}
	}
	if r := f.firstAfter(t, sop.KindDepartureReminder); r != nil && (at.IsZero() || r.At.Before(at)) {
		at = r.At
	}
	return at, !at.IsZero()
}

// judgeCallAgain (R4.3): a customer who did not answer is called again
// sop.call_again_after later. Each unanswered call is followed either by
// another try (a customer_reached, customer_unreachable or customer_angry
// result) by the departure (the departed event or the departure reminder,
// whichever first after the call) or, when that is sooner, within
// sop.call_again_after + sop.callback_within of the call (a try due at the
// departure is made on leaving); or by the decision to go as planned with
// the interim result given to the centre (a centre_notified entry of R4.3
// in the same step, when the next try would have come after the
// departure). Breached when the history passes that deadline with no try;
// not applicable while it is still open.
func judgeCallAgain(f *facts) (string, string) {
	un := f.events(sop.EvCustomerUnreachable)
	if len(un) == 0 {
		return NotApplicable, "the customer always answered"
	}
	again := policyOr(f.p.CallAgainAfter, sop.DefaultPolicy().CallAgainAfter)
	within := policyOr(f.p.CallbackWithin, sop.DefaultPolicy().CallbackWithin)
	var tries, planned int
	for _, u := range un {
		if f.goesAsPlanned(u, again) {
			planned++
			continue
		}
		deadline := u.At.Add(again + within)
		if dep, ok := f.departedAfter(u.At); ok && dep.After(deadline) {
			deadline = dep
		}
		tried := false
		for _, s := range f.steps {
			if s.At.After(u.At) && !s.At.After(deadline) && customerCall(s) && s.Seq != u.Seq {
				tried = true
				break
			}
		}
		switch {
		case tried:
			tries++
		case f.lastAt().Before(deadline):
			return NotApplicable, fmt.Sprintf("call again due after the unanswered call of %s (by %s)", f.clock(u.At), f.clock(deadline))
		default:
			return Breached, fmt.Sprintf("customer did not answer at %s and was not called again before %s", f.clock(u.At), f.clock(deadline))
		}
	}
	return Met, fmt.Sprintf("%d unanswered call(s): %d tried again, %d went as planned with the centre told", len(un), tries, planned)
}

// goesAsPlanned: the step of an unanswered call decided that the engineer
// goes as planned and told the centre (R4.3). Requests begun before the
// complete SOP told the centre of every unanswered call: there it counts
// only when the next try (after again) would have come after the planned
// departure of the trip booked then.
func (f *facts) goesAsPlanned(s workflows.CommitInput, again time.Duration) bool {
	for _, e := range s.Entries {
		if e.Kind != sop.KindCentreNotified || e.Rule != sop.R4_3 {
			continue
		}
		switch e.Outcome {
		case sop.OutPlanned:
			return true
		case "":
			for _, t := range f.trips() {
				if t.holds(s.At) && t.hasDeparture && s.At.Add(again).After(t.departure) {
					return true
				}
			}
		}
	}
	return false
}

// judgeAngry (R4.4): an angry customer is heard and the outcome recorded;
// a refusal goes back to the centre, which must follow it up (an event of
// the call centre) within sop.callback_within (strictly: at the deadline
// the workflow tells the after-sales manager). Breached when it did not:
// the escalation to the manager, or a history past the deadline without it.
func judgeAngry(f *facts) (string, string) {
	angry := f.events(sop.EvCustomerAngry)
	if len(angry) == 0 {
		return NotApplicable, "no angry customer"
	}
	if esc := f.first(sop.KindEscalated, sop.R4_4); esc != nil {
		return Breached, fmt.Sprintf("refusal not followed up by the centre: escalated at %s", f.clock(esc.At))
	}
	within := policyOr(f.p.CallbackWithin, sop.DefaultPolicy().CallbackWithin)
	consented, followed := 0, 0
	for _, a := range angry {
		if sop.Bool(a.Event.Consented, false) {
			consented++
			continue
		}
		due := a.At.Add(within)
		var by *workflows.CommitInput
		for _, s := range f.steps {
			if s.At.After(a.At) && s.Event != nil && (s.Event.Actor.Role == sop.RoleCallCentre || s.Event.Actor.Role == sop.RoleAdmin) {
				by = &s
				break
			}
		}
		switch {
		case by != nil && by.At.Before(due):
			followed++
		case by != nil || !f.lastAt().Before(due):
			return Breached, fmt.Sprintf("customer refused the visit at %s; the centre did not follow it up within %s", f.clock(a.At), span(within))
		default:
			return NotApplicable, fmt.Sprintf("refusal of %s: the centre follows up by %s", f.clock(a.At), f.clock(due))
		}
	}
	return Met, fmt.Sprintf("angry customer heard %d time(s): %d consented, %d refusal(s) followed up by the centre", len(angry), consented, followed)
}

// judgeNeverReachable (R4.5): a customer who could not be reached (an
// unanswered call with no answer since) gets the visit anyway; if nobody is
// in, a note with the service number is left. Breached when the trip was
// given up before the engineer went, or when nobody was in and the trip
// ended without a note.
func judgeNeverReachable(f *facts) (string, string) {
	unreach, went, applied := false, false, false
	var since time.Time
	for _, s := range f.steps {
		ev := s.Event
		if ev == nil {
			continue
		}
		switch ev.Type {
		case sop.EvCustomerUnreachable:
			if !unreach {
				since = s.At
			}
			unreach, applied = true, true
			continue
		case sop.EvCustomerReached, sop.EvCustomerAngry, sop.EvAppointmentAnswer:
			unreach, went = false, false
			continue
		}
		if !unreach {
			continue
		}
		switch ev.Type {
		case sop.EvArrived:
			went = true
		case sop.EvDoorAnswered:
			unreach, went = false, false
		case sop.EvKnocked:
			if sop.Bool(ev.Answered, false) {
				unreach, went = false, false
			}
		case sop.EvNoteLeft:
			return Met, fmt.Sprintf("customer unreachable since %s: the engineer went to the address and left a note at %s", f.clock(since), f.clock(s.At))
		case sop.EvEntryRefused, sop.EvCancel, sop.EvReassign, sop.EvAppointmentRequested:
			if went {
				return Breached, fmt.Sprintf("customer unreachable since %s; nobody in at the address, and the trip ended at %s (%s) without a note with the service number", f.clock(since), f.clock(s.At), ev.Type)
			}
			if ev.Type == sop.EvCancel || ev.Type == sop.EvEntryRefused {
				return Breached, fmt.Sprintf("customer unreachable since %s; the visit was given up at %s (%s) without going to the address", f.clock(since), f.clock(s.At), ev.Type)
			}
		}
	}
	if !applied {
		return NotApplicable, "the customer was reachable"
	}
	if unreach {
		return NotApplicable, fmt.Sprintf("customer unreachable since %s: the visit is still to happen", f.clock(since))
	}
	return Met, "customer unreachable for a while, then reached"
}

// judgeGuidance (R4.6): technical guidance registered at least
// sop.guidance_notice before the installation is called back within
// sop.guidance_call_within before it. Met when a late registration was
// refused, or the call-back came in the window; breached when no call-back
// came before the installation (escalated to the manager) or it came
// outside the window; not applicable while the call-back is pending.
func judgeGuidance(f *facts) (string, string) {
	es := f.all(sop.KindGuidanceCall, sop.R4_6)
	if len(es) == 0 {
		return NotApplicable, "not a technical guidance request"
	}
	if esc := f.first(sop.KindEscalated, sop.R4_6); esc != nil {
		return Breached, "no call-back before the installation: " + esc.Detail
	}
	last := es[len(es)-1]
	if outcome(last) == sop.OutRefused {
		return Met, "registered too late, refused: " + last.Detail
	}
	calls := f.events(sop.EvGuidanceCall)
	if len(calls) == 0 {
		return NotApplicable, "call-back pending: " + last.Detail
	}
	before := f.req.Guidance.InstallationAt.Sub(calls[0].At)
	if before > f.p.GuidanceCallWithin.Std()+slack || before < 0 {
		return Breached, "call-back outside the window before the installation"
	}
	return Met, fmt.Sprintf("registered in time; call-back %s before the installation fixed the engineer's arrival", span(before))
}

// judgeDeparture (R5.2) judges each trip's departure against its plan:
// departure = start − travel − sop.arrive_early (the departure reminder's
// time). Breached when the engineer left after the planned departure, or
// reported an ETA leaving less than half of sop.arrive_early before the
// start: the sources ask for 5–10 min early (003 出发, 000 §二), and the
// policy's margin (default 10 min) is the upper end of that range, so its
// half (5 min) is the least early arrival planned that keeps the rule.
// Trips without a departed event are not judged.
func judgeDeparture(f *facts) (string, string) {
	early := f.p.ArriveEarly.Std()
	var ok, bad []string
	for _, t := range f.trips() {
		deps := f.eventsIn(t, sop.EvDeparted)
		if len(deps) == 0 || !t.hasDeparture {
			continue
		}
		d := deps[0]
		if d.At.After(t.departure.Add(slack)) {
			bad = append(bad, fmt.Sprintf("%s: left at %s, %s after the planned departure %s", t.name(), f.clock(d.At), span(d.At.Sub(t.departure)), f.clock(t.departure)))
			continue
		}
		if eta := d.Event.ETA; eta != nil && t.start.Sub(*eta) < early/2 {
			bad = append(bad, fmt.Sprintf("%s: left at %s planning to arrive %s, only %s before the start %s (at least %s early)", t.name(), f.clock(d.At), f.clock(*eta), span(t.start.Sub(*eta)), f.clock(t.start), span(early/2)))
			continue
		}
		ok = append(ok, fmt.Sprintf("%s: left at %s (planned %s)", t.name(), f.clock(d.At), f.clock(t.departure)))
	}
	switch {
	case len(bad) > 0:
		return Breached, strings.Join(bad, "; ")
	case len(ok) > 0:
		return Met, fmt.Sprintf("left in time to arrive %s early: %s", span(early), strings.Join(ok, "; "))
	}
	return NotApplicable, "no departure yet"
}

// judgeDelay (R5.3), per trip: an engineer who arrives after the start
// must have told the customer in advance (a delayed event before the
// start). Breached when a trip arrived late with no delay reported before
// its start.
func judgeDelay(f *facts) (string, string) {
	told := 0
	for _, t := range f.trips() {
		var before int
		for _, d := range f.eventsIn(t, sop.EvDelayed) {
			if d.At.Before(t.start) {
				before++
			}
		}
		told += before
		arr := f.eventsIn(t, sop.EvArrived)
		if len(arr) == 0 || !arr[0].At.After(t.start) || before > 0 {
			continue
		}
		return Breached, fmt.Sprintf("%s: arrived %s late (%s, appointment %s) without telling the customer in advance", t.name(), span(arr[0].At.Sub(t.start)), f.clock(arr[0].At), f.clock(t.start))
	}
	if told > 0 {
		return Met, fmt.Sprintf("customer told in advance of %d delay(s)", told)
	}
	return NotApplicable, "no delay on the way"
}

// judgeDeparturePlan (R12.1), per trip of a request begun with the complete
// SOP: the engineer confirms the planned departure (asked
// sop.departure_plan_ahead before it) by the departure time. Breached when
// a plan was reported to the centre as not confirmed.
func judgeDeparturePlan(f *facts) (string, string) {
	var ok, bad []string
	for _, t := range f.trips() {
		conf := f.eventsIn(t, sop.EvDepartureConfirmed)
		missed := false
		for _, e := range f.all(sop.KindCentreNotified, sop.R12_1) {
			missed = missed || (t.holds(e.At) && outcome(e) == sop.OutMissed)
		}
		switch {
		case missed || (len(conf) > 0 && t.hasDeparture && conf[0].At.After(t.departure.Add(slack))):
			bad = append(bad, fmt.Sprintf("%s: departure planned for %s not confirmed by then", t.name(), f.clock(t.departure)))
		case len(conf) > 0:
			ok = append(ok, fmt.Sprintf("%s: departure %s confirmed at %s, %s ahead", t.name(), f.clock(t.departure), f.clock(conf[0].At), span(t.departure.Sub(conf[0].At))))
		}
	}
	switch {
	case len(bad) > 0:
		return Breached, strings.Join(bad, "; ")
	case len(ok) > 0:
		return Met, strings.Join(ok, "; ")
	}
	if f.first(sop.KindDeparturePlan, sop.R12_1) != nil {
		return NotApplicable, "departure plan asked, confirmation due by the departure"
	}
	return NotApplicable, "no departure plan due (none booked, or the request began before R12.1)"
}
