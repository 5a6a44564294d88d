package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// The door (R6.2–R6.8) is judged per trip: each booked appointment is a
// trip of its own (Entry.Trip; for requests begun before trips were
// numbered, each appointment_booked entry begins the next one), so a knock
// of one visit is never compared with a call of another.
func init() {
	register(sop.R6_2, judgeKnock)
	register(sop.R6_3, judgeDoor)
	register(sop.R6_4, judgeArrival)
	register(sop.R6_5, judgeLateness)
	register(sop.R6_6, judgeRefusals(sop.R6_6, sop.RefusedNotHome, sop.RefusedHelperRefuses))
	register(sop.R6_7, judgeDoubts)
	register(sop.R6_8, judgeRefusals(sop.R6_8, sop.RefusedProductElsewhere, sop.RefusedPowerCut, sop.RefusedGoingOut, sop.RefusedEating))
}

// doorStep is one step of a trip: its time, the event that caused it (nil
// for housecall's own), its entries and notifications.
type doorStep struct {
	at      time.Time
	ev      *sop.Event
	entries []workflows.Entry
	notes   []workflows.Notification
	status  sop.Status // the request's status after the step
}

func (s doorStep) has(kind sop.Kind, rule sop.Rule) *workflows.Entry {
	for i, e := range s.entries {
		if e.Kind == kind && (rule == "" || e.Rule == rule) {
			return &s.entries[i]
		}
	}
	return nil
}

func (s doorStep) is(t sop.EventType) bool { return s.ev != nil && s.ev.Type == t }

// doorTrip is one booked appointment and what happened on it.
type doorTrip struct {
	n     int
	start *time.Time // the appointment's start
	steps []doorStep
	// over: a later trip began, or the last step left the trip (rebooked,
	// completed, in the workshop, closed, cancelled).
	over bool
}

func (t *doorTrip) name() string { return tripName(t.n) }

// first returns the first entry of kind (and rule, when given) of the trip
// at or after from, with its step's index.
func (t *doorTrip) first(from time.Time, kind sop.Kind, rule sop.Rule) (*workflows.Entry, int) {
	for i, s := range t.steps {
		if s.at.Before(from) {
			continue
		}
		if e := s.has(kind, rule); e != nil {
			return e, i
		}
	}
	return nil, -1
}

func (t *doorTrip) all(kind sop.Kind) []workflows.Entry {
	var out []workflows.Entry
	for _, s := range t.steps {
		for _, e := range s.entries {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
	}
	return out
}

func (t *doorTrip) events(typ sop.EventType) []doorStep {
	var out []doorStep
	for _, s := range t.steps {
		if s.is(typ) {
			out = append(out, s)
		}
	}
	return out
}

// doorTrips splits the request's steps into trips. Steps before the first
// booking belong to none.
func (f *facts) doorTrips() []*doorTrip {
	var out []*doorTrip
	byN := map[int]*doorTrip{}
	booked := 0
	numbered := slices.ContainsFunc(f.entries, func(e workflows.Entry) bool { return e.Trip > 0 })
	for _, s := range f.steps {
		n := 0
		if numbered {
			for _, e := range s.Entries {
				if e.Trip > 0 {
					n = e.Trip
					break
				}
			}
		} else {
			for _, e := range s.Entries {
				if e.Kind == sop.KindAppointmentBooked {
					booked++
				}
			}
			n = booked
		}
		if n == 0 {
			continue
		}
		t := byN[n]
		if t == nil {
			t = &doorTrip{n: n}
			byN[n] = t
			if len(out) > 0 {
				out[len(out)-1].over = true
			}
			out = append(out, t)
		}
		if t.start == nil && s.Projection.Appointment != nil {
			st := s.Projection.Appointment.Start
			t.start = &st
		}
		t.steps = append(t.steps, doorStep{at: s.At, ev: s.Event, entries: s.Entries, notes: s.Notifications, status: s.Projection.Status})
	}
	if len(out) > 0 {
		last := out[len(out)-1]
		switch last.steps[len(last.steps)-1].status {
		case sop.StatusScheduled, sop.StatusEnRoute, sop.StatusAtDoor, sop.StatusInService:
		default:
			last.over = true
		}
	}
	return out
}

// doorVerdicts folds the verdicts of the trips: breached when one trip was,
// else met when one was, else not applicable (with why).
type doorVerdicts struct{ met, breached, na []string }

func (v *doorVerdicts) add(t *doorTrip, status, detail string) {
	line := t.name() + ": " + detail
	switch status {
	case Met:
		v.met = append(v.met, line)
	case Breached:
		v.breached = append(v.breached, line)
	default:
		v.na = append(v.na, line)
	}
}

func (v *doorVerdicts) result(none string) (string, string) {
	switch {
	case len(v.breached) > 0:
		return Breached, strings.Join(append(v.breached, v.met...), "; ")
	case len(v.met) > 0:
		return Met, strings.Join(v.met, "; ")
	case len(v.na) > 0:
		return NotApplicable, strings.Join(v.na, "; ")
	}
	return NotApplicable, none
}

// judgeKnock (R6.2): the door opens to a knock — bell, then two rounds of
// three light knocks — recorded with knocked before the door was answered.
func judgeKnock(f *facts) (string, string) {
	var v doorVerdicts
	for _, t := range f.doorTrips() {
		in, i := t.first(time.Time{}, sop.KindDoorAnswered, "")
		knock, k := t.first(time.Time{}, sop.KindKnocked, "")
		switch {
		case in == nil && knock == nil:
			continue
		case in == nil:
			v.add(t, Met, fmt.Sprintf("bell, then two rounds of three knocks at %s (%s)", f.doorClock(knock.At), outcome(*knock)))
		case knock != nil && k <= i:
			v.add(t, Met, fmt.Sprintf("bell, then two rounds of three knocks at %s (%s); door answered at %s", f.doorClock(knock.At), outcome(*knock), f.doorClock(in.At)))
		case doorRefusedBefore(t, i):
			v.add(t, Met, fmt.Sprintf("door answered at %s at the end of a wait after a refusal at the door", f.doorClock(in.At)))
		default:
			v.add(t, Breached, fmt.Sprintf("door answered at %s with no knock before it", f.doorClock(in.At)))
		}
	}
	return v.result("the door was not answered yet")
}

func doorRefusedBefore(t *doorTrip, i int) bool {
	return slices.ContainsFunc(t.steps[:i], func(s doorStep) bool { return s.is(sop.EvEntryRefused) })
}

// judgeDoor (R6.3): no answer: knock again every sop.knock_interval, phone
// the customer after sop.call_after; unreachable: neighbours, downstairs, a
// note with the service number, the centre told to rebook. Leaving before
// the call, or without the note, is a breach.
func judgeDoor(f *facts) (string, string) {
	var v doorVerdicts
	interval, callAfter := f.p.KnockInterval.Std(), f.p.CallAfter.Std()
	want := 0
	if interval > 0 {
		want = int(callAfter / interval)
	}
	for _, t := range f.doorTrips() {
		var first *workflows.Entry
		for _, k := range t.all(sop.KindKnocked) {
			if outcome(k) == sop.OutNoAnswer {
				first = &k
				break
			}
		}
		if first == nil {
			continue
		}
		knocked := first.At
		call, _ := t.first(knocked, sop.KindCallCustomer, "")
		prompts := 0
		for _, p := range t.all(sop.KindKnockPrompt) {
			if call == nil || !p.At.After(call.At) {
				prompts++
			}
		}
		since := func(at time.Time) string { return span(at.Sub(knocked)) }
		if call != nil {
			if !near(call.At.Sub(knocked), callAfter) {
				v.add(t, Breached, fmt.Sprintf("customer phoned %s after the first knock at %s (policy %s)", since(call.At), f.doorClock(knocked), span(callAfter)))
				continue
			}
			if prompts < want {
				v.add(t, Breached, fmt.Sprintf("%d knock prompts before the call, want %d (every %s for %s)", prompts, want, span(interval), span(callAfter)))
				continue
			}
		}
		how := fmt.Sprintf("%d knock prompts every %s", prompts, span(interval))
		if call != nil {
			how += fmt.Sprintf(", customer phoned %s after the first knock", since(call.At))
		}
		var answered *workflows.Entry
		for _, r := range t.all(sop.KindCallResult) {
			if outcome(r) == sop.OutAnswered {
				answered = &r
				break
			}
		}
		open, _ := t.first(knocked, sop.KindDoorAnswered, "")
		note, ni := t.first(knocked, sop.KindNoteLeft, "")
		var left *doorStep
		for _, s := range t.steps {
			if s.is(sop.EvEntryRefused) && s.ev.Reason == sop.RefusedNotHome && !s.at.Before(knocked) {
				left = &s
				break
			}
		}
		switch {
		case open != nil:
			v.add(t, Met, fmt.Sprintf("%s; door answered %s after the first knock", how, since(open.At)))
		case note != nil:
			prompted, _ := t.first(knocked, sop.KindLeaveNote, "")
			told := slices.ContainsFunc(t.steps[ni:], func(s doorStep) bool { return s.has(sop.KindCentreNotified, "") != nil })
			switch {
			case call == nil || prompted == nil || prompted.At.After(note.At):
				v.add(t, Breached, fmt.Sprintf("note left %s after the first knock without the customer phoned first", since(note.At)))
			case !told:
				v.add(t, Breached, fmt.Sprintf("%s; note left %s after the first knock, but the centre was not told", how, since(note.At)))
			default:
				v.add(t, Met, fmt.Sprintf("%s, unreachable; note left %s after the first knock, centre told to rebook", how, since(note.At)))
			}
		case left != nil && (answered == nil || answered.At.After(left.at)):
			if call == nil || call.At.After(left.at) {
				v.add(t, Breached, fmt.Sprintf("left as not at home %s after the first knock, before the customer was phoned (due %s after it), no note", since(left.at), span(callAfter)))
			} else {
				v.add(t, Breached, fmt.Sprintf("left as not at home %s after the first knock without the customer answering the phone, no note", since(left.at)))
			}
		case left != nil:
			v.add(t, Met, fmt.Sprintf("%s; the customer said on the phone they were not at home; rebooked", how))
		case t.over:
			v.add(t, Met, fmt.Sprintf("%s; the doorTrip ended otherwise", how))
		default:
			v.add(t, NotApplicable, fmt.Sprintf("door protocol under way: %s", how))
		}
	}
	return v.result("the door was answered at the first knock, or no knock yet")
}

// doorEarly is R6.4's limit: sop.door_early, or the SOP's 5 min for requests
// begun before the key existed.
func (f *facts) doorEarly() time.Duration {
	if f.p.DoorEarly > 0 {
		return f.p.DoorEarly.Std()
	}
	return sop.DefaultPolicy().DoorEarly.Std()
}

// judgeArrival (R6.4): at the door on time or up to sop.door_early before
// the start. Arriving earlier is fine — the engineer waits — but the first
// knock (or the door, when there was none) is the time at the door.
func judgeArrival(f *facts) (string, string) {
	var v doorVerdicts
	early := f.doorEarly()
	for _, t := range f.doorTrips() {
		if t.start == nil {
			continue
		}
		start := *t.start
		arr := t.events(sop.EvArrived)
		var door *workflows.Entry
		if k, _ := t.first(time.Time{}, sop.KindKnocked, ""); k != nil {
			door = k
		} else if d, _ := t.first(time.Time{}, sop.KindDoorAnswered, ""); d != nil {
			door = d
		}
		if len(arr) == 0 && door == nil {
			continue
		}
		var evidence []string
		if len(arr) > 0 {
			if d := arr[0].at.Sub(start); d > 0 {
				v.add(t, Breached, fmt.Sprintf("arrived at %s, %s after the appointment at %s", f.doorClock(arr[0].at), span(d), f.doorClock(start)))
				continue
			}
			evidence = append(evidence, fmt.Sprintf("arrived %s before the appointment at %s", span(start.Sub(arr[0].at)), f.doorClock(start)))
		}
		if door == nil {
			v.add(t, NotApplicable, strings.Join(append(evidence, "not at the door yet"), "; "))
			continue
		}
		// The knock is the engineer's event, recorded to the second: no
		// timer's slack.
		d := start.Sub(door.At)
		switch {
		case d > early:
			evidence = append(evidence, fmt.Sprintf("at the door (%s) at %s, %s before the appointment, more than %s early", door.Kind, f.doorClock(door.At), span(d), span(early)))
			v.add(t, Breached, strings.Join(evidence, "; "))
		case d < 0:
			evidence = append(evidence, fmt.Sprintf("at the door (%s) at %s, %s after the appointment", door.Kind, f.doorClock(door.At), span(-d)))
			v.add(t, Breached, strings.Join(evidence, "; "))
		default:
			evidence = append(evidence, fmt.Sprintf("at the door at %s, %s before the appointment (up to %s early)", f.doorClock(door.At), span(d), span(early)))
			v.add(t, Met, strings.Join(evidence, "; "))
		}
	}
	return v.result("no arrival yet")
}

// judgeLateness (R6.5): late under sop.late_major: apologise, offer to
// rebook; late_major or more: sincere apology and a gift, and the
// customer's answer recorded; refused: the after-sales manager visits.
func judgeLateness(f *facts) (string, string) {
	var v doorVerdicts
	major := f.p.LateMajor.Std()
	for _, t := range f.doorTrips() {
		arr := t.events(sop.EvArrived)
		if t.start == nil || len(arr) == 0 {
			continue
		}
		late := arr[0].at.Sub(*t.start)
		if late <= 0 {
			continue
		}
		notice := ""
		for _, l := range t.all(sop.KindLate) {
			if l.Actor == sop.System.String() {
				notice = fmt.Sprintf("; engineer prompted at %s to call the customer (%s before the appointment)", f.doorClock(l.At), span(t.start.Sub(l.At)))
				break
			}
		}
		if late < major {
			v.add(t, Met, fmt.Sprintf("late %s (under %s): apologised, rebooking offered%s", span(late), span(major), notice))
			continue
		}
		answers := t.events(sop.EvApologyAnswer)
		switch {
		case len(answers) == 0 && t.over:
			v.add(t, Breached, fmt.Sprintf("late %s (%s or more): no answer to the apology recorded%s", span(late), span(major), notice))
		case len(answers) == 0:
			v.add(t, NotApplicable, fmt.Sprintf("late %s (%s or more): the customer's answer to the apology is awaited", span(late), span(major)))
		case sop.Bool(answers[0].ev.Accepted, true):
			v.add(t, Met, fmt.Sprintf("late %s (%s or more): sincere apology and a small gift, accepted at %s%s", span(late), span(major), f.doorClock(answers[0].at), notice))
		case answers[0].has(sop.KindManagerVisit, sop.R6_5) == nil || !doorNotified(answers[0], sop.ToManager, sop.R6_5):
			v.add(t, Breached, fmt.Sprintf("late %s (%s or more): apology refused at %s and the after-sales manager not sent", span(late), span(major), f.doorClock(answers[0].at)))
		default:
			v.add(t, Met, fmt.Sprintf("late %s (%s or more): apology refused at %s; the after-sales manager visits to apologise%s", span(late), span(major), f.doorClock(answers[0].at), notice))
		}
	}
	return v.result("never late")
}

func doorNotified(s doorStep, to sop.Audience, rule sop.Rule) bool {
	return slices.ContainsFunc(s.notes, func(n workflows.Notification) bool { return n.To == to && n.Rule == rule })
}

// judgeRefusals (R6.6, R6.8): an entry refused for one of the rule's
// reasons is rebooked with the centre told, or the engineer waits with the
// customer's consent — within sop.pause_max, after which the centre is
// told; the product elsewhere is gone to with the customer's consent.
func judgeRefusals(rule sop.Rule, reasons ...string) judge {
	return func(f *facts) (string, string) {
		var v doorVerdicts
		limit := f.p.PauseMax.Std()
		for _, t := range f.doorTrips() {
			for i, s := range t.steps {
				if !s.is(sop.EvEntryRefused) || !slices.Contains(reasons, s.ev.Reason) {
					continue
				}
				why := s.ev.Reason
				switch {
				case s.ev.Reason == sop.RefusedProductElsewhere && s.ev.Address != "":
					v.add(t, Met, fmt.Sprintf("%s at %s: went there with the customer's consent", why, f.doorClock(s.at)))
				case s.has(sop.KindCentreNotified, rule) != nil && doorNotified(s, sop.ToCentre, rule):
					v.add(t, Met, fmt.Sprintf("%s at %s: rebooked, the centre told", why, f.doorClock(s.at)))
				case sop.Bool(s.ev.Wait, false):
					status, detail := judgeDoorWait(f, t, i, limit)
					v.add(t, status, fmt.Sprintf("%s at %s: %s", why, f.doorClock(s.at), detail))
				default:
					v.add(t, Breached, fmt.Sprintf("%s at %s: neither rebooked with the centre told nor waited", why, f.doorClock(s.at)))
				}
			}
		}
		return v.result("entry was not refused for " + strings.Join(reasons, ", "))
	}
}

// judgeDoorWait judges the wait at the door that began at step i of the trip.
func judgeDoorWait(f *facts, t *doorTrip, i int, limit time.Duration) (string, string) {
	began := t.steps[i].at
	for _, s := range t.steps[i+1:] {
		took := s.at.Sub(began)
		over := limit > 0 && took > limit+slack
		switch {
		case s.ev == nil && s.has(sop.KindEscalated, "") != nil && s.has(sop.KindCentreNotified, "") != nil:
			if limit > 0 && !near(took, limit) {
				return Breached, fmt.Sprintf("waited %s before the centre was told (limit %s)", span(took), span(limit))
			}
			return Met, fmt.Sprintf("waited %s without the door opening: back to booking, the centre told", span(took))
		case s.is(sop.EvCancel):
			return Met, fmt.Sprintf("the request was cancelled after a wait of %s", span(took))
		case s.has(sop.KindDoorAnswered, "") != nil, s.is(sop.EvEntryRefused):
			if over {
				return Breached, fmt.Sprintf("waited %s at the door (limit %s) and the centre was never told", span(took), span(limit))
			}
			return Met, fmt.Sprintf("waited %s with the customer's consent (limit %s)", span(took), doorLimitText(limit))
		}
	}
	if t.over {
		return Breached, "the wait at the door ended with no outcome recorded"
	}
	return NotApplicable, "the engineer is waiting at the door"
}

func doorLimitText(d time.Duration) string {
	if d <= 0 {
		return "none set"
	}
	return span(d)
}

// judgeDoubts (R6.7): a customer who doubts the engineer is shown the ID
// and given the supervision number; still refused: rebooked, and the
// after-sales manager visits in person — told at once, and told the
// rebooked appointment.
func judgeDoubts(f *facts) (string, string) {
	var v doorVerdicts
	ts := f.doorTrips()
	for ti, t := range ts {
		for _, s := range t.steps {
			if !s.is(sop.EvEntryRefused) || s.ev.Reason != sop.RefusedDoubtsEngineer {
				continue
			}
			if s.has(sop.KindManagerVisit, sop.R6_7) == nil || !doorNotified(s, sop.ToManager, sop.R6_7) {
				v.add(t, Breached, fmt.Sprintf("refused at %s for doubts, but the after-sales manager was not told", f.doorClock(s.at)))
				continue
			}
			if s.has(sop.KindCentreNotified, sop.R6_7) == nil {
				v.add(t, Breached, fmt.Sprintf("refused at %s for doubts, but not handed back to the centre to rebook", f.doorClock(s.at)))
				continue
			}
			if ti+1 >= len(ts) {
				v.add(t, Met, fmt.Sprintf("refused at %s for doubts: ID and supervision number shown; the manager told, the centre rebooks", f.doorClock(s.at)))
				continue
			}
			next := ts[ti+1]
			told := slices.ContainsFunc(next.steps, func(s doorStep) bool {
				return s.has(sop.KindManagerVisit, sop.R6_7) != nil && doorNotified(s, sop.ToManager, sop.R6_7)
			})
			when := "the rebooked appointment"
			if next.start != nil {
				when = "the rebooked appointment at " + f.doorClock(*next.start)
			}
			if !told {
				v.add(t, Breached, fmt.Sprintf("refused at %s for doubts; %s (%s) was booked without the after-sales manager told to visit in person", f.doorClock(s.at), when, next.name()))
				continue
			}
			v.add(t, Met, fmt.Sprintf("refused at %s for doubts: the manager told at once and of %s (%s)", f.doorClock(s.at), when, next.name()))
		}
	}
	return v.result("the customer did not doubt the engineer")
}

// local writes a time in the service area's zone, to the second.
func (f *facts) doorClock(t time.Time) string {
	return t.In(f.p.Location()).Format("2006-01-02 15:04:05")
}
