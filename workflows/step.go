package workflows

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/sop"
)

// step collects what one transition of the state machine does outside the
// workflow. It becomes one CommitInput (and, for bookings, a BookInput whose
// answer is applied as the next step).
type step struct {
	s     *State
	now   time.Time
	actor string
	event *sop.Event

	entries []Entry
	notes   []Notification
	parts   []string
	release int64
	finish  int64
	record  *ServiceVisitRecord
	card    *CardReturn
	idea    *Suggestion
	book    *BookInput
	// bookWhy says why the booking was asked for, for the entry of its outcome.
	bookWhy bookReason
}

type bookReason int

const (
	bookRequested bookReason = iota // appointment_requested
	bookAccepted                    // appointment_answer accepted
	bookReassign                    // reassign
)

func (s *State) newStep(now time.Time, actor sop.Actor, ev *sop.Event) *step {
	return &step{s: s, now: now, actor: actor.String(), event: ev}
}

// add appends a timeline entry at the step's time. The entry returned is
// valid until the next entry is added (to set its Outcome).
func (st *step) add(kind sop.Kind, rule sop.Rule, format string, args ...any) *Entry {
	return st.entry(st.actor, kind, rule, fmt.Sprintf(format, args...))
}

// system appends an entry done by housecall itself.
func (st *step) system(kind sop.Kind, rule sop.Rule, format string, args ...any) *Entry {
	return st.entry(sop.System.String(), kind, rule, fmt.Sprintf(format, args...))
}

func (st *step) entry(actor string, kind sop.Kind, rule sop.Rule, detail string) *Entry {
	e := Entry{At: st.now, Kind: kind, Rule: rule, Actor: actor, Detail: detail}
	if st.s.Rules >= rulesComplete && st.s.Visit != nil {
		e.Trip = st.s.Trips
	}
	st.entries = append(st.entries, e)
	return &st.entries[len(st.entries)-1]
}

// outcome sets the outcome of an entry of a request begun with
// rulesComplete (older requests replay their entries without one).
func (st *step) outcome(e *Entry, o sop.Outcome) {
	if st.s.Rules >= rulesComplete {
		e.Outcome = o
	}
}

// notify queues a notification.
func (st *step) notify(to sop.Audience, msg sop.Message, rule sop.Rule, params map[string]string) {
	n := Notification{To: to, Message: msg, Rule: rule, Params: params}
	switch to {
	case sop.ToCustomer:
		n.Recipient = st.s.Request.Customer.Phone
		n.Lang = st.s.Request.Customer.Lang
	case sop.ToEngineer:
		n.Recipient = st.s.Engineer
	}
	if n.Params == nil {
		n.Params = map[string]string{}
	}
	n.Params["request"] = st.s.ID
	st.notes = append(st.notes, n)
}

func (st *step) urgent(to sop.Audience, msg sop.Message, rule sop.Rule, params map[string]string) {
	st.notify(to, msg, rule, params)
	st.notes[len(st.notes)-1].Urgent = true
}

func (st *step) empty() bool {
	return len(st.entries) == 0 && len(st.notes) == 0 && len(st.parts) == 0 && st.release == 0 &&
		st.finish == 0 && st.record == nil && st.card == nil && st.idea == nil && st.event == nil
}

// commitInput turns the step into the Commit activity's input, numbering it.
func (st *step) commitInput() CommitInput {
	s := st.s
	s.Seq++
	s.UpdatedAt = st.now
	return CommitInput{
		RequestID:          s.ID,
		Seq:                s.Seq,
		At:                 st.now,
		Event:              st.event,
		Projection:         s.projection(),
		Entries:            st.entries,
		Notifications:      st.notes,
		PartsRequisition:   st.parts,
		ReleaseAppointment: st.release,
		FinishAppointment:  st.finish,
		ServiceRecord:      st.record,
		CardReturned:       st.card,
		Suggestion:         st.idea,
	}
}

// Formatting helpers for entry details. Times are shown in the service
// area's zone (sop.Policy.UTCOffsetSeconds).
func (s *State) clock(t time.Time) string {
	return t.In(s.Policy.Location()).Format("2006-01-02 15:04")
}

func (s *State) span(start, end time.Time) string {
	loc := s.Policy.Location()
	if start.In(loc).YearDay() == end.In(loc).YearDay() {
		return s.clock(start) + "–" + end.In(loc).Format("15:04")
	}
	return s.clock(start) + "–" + s.clock(end)
}

// human writes a duration the way people say it: 2h, 1h30m, 45s, 300ms.
func human(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < 0:
		return "-" + human(-d)
	case d >= time.Hour && d%time.Minute != 0:
		return human(d.Round(time.Minute))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0 && d > time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0 && d > time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, (d%time.Minute)/time.Second)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	default:
		return d.Round(time.Millisecond).String()
	}
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
