// Package consistency compares what PostgreSQL holds of a request with the
// Temporal history of its workflow (`housecall audit check`). The history is
// the truth: every step it records has its rows in PostgreSQL, with the same
// time and content, and PostgreSQL holds nothing the history never recorded
// — no step, timeline entry, notification, booking or service record.
package consistency

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Report is the comparison of one request.
type Report struct {
	RequestID string `json:"request_id"`
	// Steps is how many steps the history records.
	Steps int `json:"steps"`
	// Pending lists steps the history scheduled whose activity has not
	// finished yet (the database is down or slow): not a divergence, the
	// step is being written.
	Pending []int64 `json:"pending,omitempty"`
	// Divergences is every difference found; none means the two agree.
	Divergences []Divergence `json:"divergences"`
}

// OK reports agreement.
func (r Report) OK() bool { return len(r.Divergences) == 0 }

// Divergence is one difference between PostgreSQL and the history.
type Divergence struct {
	// What: missing (recorded, not in PostgreSQL), phantom (in PostgreSQL,
	// never recorded) or differs.
	What string `json:"what"`
	// Table is where in PostgreSQL.
	Table  string `json:"table"`
	Seq    int64  `json:"seq,omitempty"`
	Detail string `json:"detail"`
}

// step is one Commit step of the history.
type step struct {
	in   workflows.CommitInput
	done bool
}

// recorded is what the history of all runs holds.
type recorded struct {
	steps  []step
	booked map[int64]workflows.Appointment // appointments the workflow was told it has
}

// readHistory walks the runs' events: Commit and BookAppointment activity
// tasks (input when scheduled, done when completed) and local-activity
// markers (runs of the local-steps generation).
func readHistory(runs []audit.Run, dc converter.DataConverter) (recorded, error) {
	rec := recorded{booked: map[int64]workflows.Appointment{}}
	for _, run := range runs {
		if err := rec.add(run.History, dc); err != nil {
			return rec, fmt.Errorf("run %s: %w", run.RunID, err)
		}
	}
	return rec, nil
}

func (rec *recorded) add(h *historypb.History, dc converter.DataConverter) error {
	scheduled := map[int64]string{} // event id → activity type
	commitAt := map[int64]int{}     // event id → index in rec.steps
	for _, ev := range h.GetEvents() {
		switch {
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			a := ev.GetActivityTaskScheduledEventAttributes()
			name := a.GetActivityType().GetName()
			scheduled[ev.GetEventId()] = name
			if name == workflows.ActivityCommit {
				var in workflows.CommitInput
				if err := dc.FromPayloads(a.GetInput(), &in); err != nil {
					return fmt.Errorf("event %d: decode step: %w", ev.GetEventId(), err)
				}
				commitAt[ev.GetEventId()] = len(rec.steps)
				rec.steps = append(rec.steps, step{in: in})
			}
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			a := ev.GetActivityTaskCompletedEventAttributes()
			switch scheduled[a.GetScheduledEventId()] {
			case workflows.ActivityCommit:
				rec.steps[commitAt[a.GetScheduledEventId()]].done = true
			case workflows.ActivityBook:
				var res workflows.BookResult
				if err := dc.FromPayloads(a.GetResult(), &res); err != nil {
					return fmt.Errorf("event %d: decode booking: %w", ev.GetEventId(), err)
				}
				rec.book(res)
			}
		case ev.GetMarkerRecordedEventAttributes().GetMarkerName() == audit.LocalActivityMarker:
			name, result, _, err := audit.LocalActivityResult(ev, dc)
			if err != nil {
				return err
			}
			if result == nil {
				continue // a failed attempt, retried later
			}
			switch name {
			case workflows.ActivityCommit:
				var in workflows.CommitInput
				if err := dc.FromPayloads(result, &in); err != nil {
					return fmt.Errorf("event %d: decode step: %w", ev.GetEventId(), err)
				}
				rec.steps = append(rec.steps, step{in: in, done: true})
			case workflows.ActivityBook:
				var res workflows.BookResult
				if err := dc.FromPayloads(result, &res); err != nil {
					return fmt.Errorf("event %d: decode booking: %w", ev.GetEventId(), err)
				}
				rec.book(res)
			}
		}
	}
	return nil
}

func (rec *recorded) book(res workflows.BookResult) {
	if res.Outcome == workflows.Booked && res.Appointment != nil && res.Appointment.ID != 0 {
		rec.booked[res.Appointment.ID] = *res.Appointment
	}
}

// Compare checks PostgreSQL's records of a request against its runs.
func Compare(runs []audit.Run, db store.Records, dc converter.DataConverter) (Report, error) {
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	rep := Report{RequestID: db.RequestID, Divergences: []Divergence{}}
	rec, err := readHistory(runs, dc)
	if err != nil {
		return rep, err
	}
	rep.Steps = len(rec.steps)
	add := func(what, table string, seq int64, format string, args ...any) {
		rep.Divergences = append(rep.Divergences, Divergence{What: what, Table: table, Seq: seq, Detail: fmt.Sprintf(format, args...)})
	}

	known := map[int64]step{}
	var last *workflows.CommitInput
	for i, s := range rec.steps {
		known[s.in.Seq] = s
		if s.done {
			last = &rec.steps[i].in
		} else {
			rep.Pending = append(rep.Pending, s.in.Seq)
		}
	}
	dbSteps := map[int64]store.RecordedStep{}
	for _, s := range db.Steps {
		dbSteps[s.Seq] = s
	}
	entries := map[int64][]store.RecordedEntry{}
	for _, e := range db.Entries {
		entries[e.Seq] = append(entries[e.Seq], e)
	}
	notes := map[int64][]store.RecordedNotification{}
	for _, n := range db.Notifications {
		notes[n.Seq] = append(notes[n.Seq], n)
	}

	// Every recorded step is in PostgreSQL, as the history has it.
	for _, s := range rec.steps {
		in := s.in
		got, ok := dbSteps[in.Seq]
		if !ok {
			if s.done {
				add("missing", "steps", in.Seq, "step %d at %s is recorded in the history but not in PostgreSQL", in.Seq, stamp(in.At))
			}
			continue
		}
		if !same(got.At, in.At) {
			add("differs", "steps", in.Seq, "step %d: PostgreSQL says %s, the history %s", in.Seq, stamp(got.At), stamp(in.At))
		}
		if want := eventType(in); got.EventType != want {
			add("differs", "steps", in.Seq, "step %d: event %q in PostgreSQL, %q in the history", in.Seq, got.EventType, want)
		}
		compareEntries(in, entries[in.Seq], add)
		compareNotes(in, notes[in.Seq], add)
	}
	// PostgreSQL holds nothing the history never recorded.
	for _, s := range db.Steps {
		if _, ok := known[s.Seq]; !ok {
			add("phantom", "steps", s.Seq, "step %d (%s, %s) is in PostgreSQL but the history never recorded it", s.Seq, orNone(s.EventType), stamp(s.At))
		}
	}
	for seq, es := range entries {
		if _, ok := known[seq]; !ok {
			add("phantom", "timeline", seq, "%d timeline entries of step %d (first: %s) were never recorded", len(es), seq, es[0].Kind)
		}
	}
	for seq, ns := range notes {
		if _, ok := known[seq]; !ok {
			add("phantom", "notifications", seq, "%d notifications of step %d (first: %s to %s, sent: %t) were never recorded", len(ns), seq, ns[0].Message, ns[0].Audience, ns[0].Sent)
		}
	}

	// The request's row is the projection of the last recorded step.
	switch {
	case last == nil && db.Row != nil:
		add("phantom", "requests", db.Row.Seq, "PostgreSQL has the request (status %s) but the history records no step", db.Row.Status)
	case last != nil && db.Row == nil:
		add("missing", "requests", last.Seq, "the history records %d steps but PostgreSQL has no row for the request", len(rec.steps))
	case last != nil && len(rep.Pending) == 0:
		if db.Row.Seq != last.Seq || db.Row.Status != string(last.Projection.Status) || db.Row.Engineer != last.Projection.Engineer {
			add("differs", "requests", last.Seq, "row at step %d (%s, engineer %q); the history ends at step %d (%s, engineer %q)",
				db.Row.Seq, db.Row.Status, db.Row.Engineer, last.Seq, last.Projection.Status, last.Projection.Engineer)
		}
	}

	// Bookings: every appointment in the calendar was given to the workflow.
	for _, a := range db.Appointments {
		b, ok := rec.booked[a.ID]
		if !ok {
			add("phantom", "appointments", 0, "appointment %d (%s at %s, %s, key %s) was never given to the workflow", a.ID, a.Engineer, stamp(a.Start), a.Status, a.Key)
			continue
		}
		if b.Engineer != a.Engineer || !same(b.Start, a.Start) {
			add("differs", "appointments", 0, "appointment %d: %s at %s in PostgreSQL, %s at %s in the history", a.ID, a.Engineer, stamp(a.Start), b.Engineer, stamp(b.Start))
		}
	}
	ids := make([]int64, 0, len(rec.booked))
	for id := range rec.booked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !slices.ContainsFunc(db.Appointments, func(a store.RecordedAppointment) bool { return a.ID == id }) {
			add("missing", "appointments", 0, "appointment %d (%s) is in the history but not in the calendar", id, rec.booked[id].Engineer)
		}
	}

	// Service records and cards.
	services := map[int]store.RecordedService{}
	for _, r := range db.Services {
		services[r.Visit] = r
	}
	want := map[int]bool{}
	for _, s := range rec.steps {
		if r := s.in.ServiceRecord; r != nil {
			want[r.Visit] = true
			got, ok := services[r.Visit]
			switch {
			case !ok && s.done:
				add("missing", "service_records", s.in.Seq, "service record of visit %d is in the history but not in PostgreSQL", r.Visit)
			case ok && (got.Satisfied != r.Satisfied || got.Engineer != r.Engineer || !same(got.CompletedAt, r.CompletedAt)):
				add("differs", "service_records", s.in.Seq, "visit %d: satisfied %t by %s at %s in PostgreSQL; %t by %s at %s in the history",
					r.Visit, got.Satisfied, got.Engineer, stamp(got.CompletedAt), r.Satisfied, r.Engineer, stamp(r.CompletedAt))
			}
		}
		if c := s.in.CardReturned; c != nil && s.done {
			if got, ok := services[c.Visit]; ok && (got.CardReturned == nil || !same(*got.CardReturned, c.At)) {
				add("differs", "service_records", s.in.Seq, "card of visit %d: returned at %s in the history, %s in PostgreSQL", c.Visit, stamp(c.At), stampPtr(got.CardReturned))
			}
		}
		// The customer's own confirmation, which the reconciliation reads (R10.2).
		if c := s.in.Confirmation; c != nil && s.done {
			if got, ok := services[c.Visit]; ok && (got.Confirmed == nil || *got.Confirmed != c.Satisfied || got.ConfirmedAt == nil || !same(*got.ConfirmedAt, c.At)) {
				add("differs", "service_records", s.in.Seq, "confirmation of visit %d: satisfied %t at %s in the history; %s at %s in PostgreSQL",
					c.Visit, c.Satisfied, stamp(c.At), orNone(boolPtr(got.Confirmed)), stampPtr(got.ConfirmedAt))
			}
		}
	}
	for _, r := range db.Services {
		if !want[r.Visit] {
			add("phantom", "service_records", 0, "service record of visit %d (by %s) was never recorded", r.Visit, r.Engineer)
		}
	}

	// Customers' suggestions (R12.9).
	ideas := map[int64]store.RecordedSuggestion{}
	for _, g := range db.Suggestions {
		ideas[g.Seq] = g
	}
	for _, s := range rec.steps {
		g := s.in.Suggestion
		if g == nil {
			continue
		}
		got, ok := ideas[s.in.Seq]
		delete(ideas, s.in.Seq)
		switch {
		case !ok && s.done:
			add("missing", "suggestions", s.in.Seq, "suggestion on %s of step %d is in the history but not in PostgreSQL", g.Model, s.in.Seq)
		case ok && (got.Model != g.Model || got.Text != g.Text):
			add("differs", "suggestions", s.in.Seq, "step %d: suggestion on %s in PostgreSQL, on %s in the history", s.in.Seq, got.Model, g.Model)
		}
	}
	for _, seq := range slices.Sorted(maps.Keys(ideas)) {
		add("phantom", "suggestions", seq, "suggestion on %s of step %d was never recorded", ideas[seq].Model, seq)
	}
	slices.SortStableFunc(rep.Divergences, func(a, b Divergence) int { return int(a.Seq - b.Seq) })
	return rep, nil
}

func compareEntries(in workflows.CommitInput, got []store.RecordedEntry, add func(string, string, int64, string, ...any)) {
	if len(got) != len(in.Entries) {
		add("differs", "timeline", in.Seq, "step %d: %d timeline entries in PostgreSQL, %d in the history", in.Seq, len(got), len(in.Entries))
		return
	}
	for i, e := range in.Entries {
		g := got[i]
		if g.Kind != string(e.Kind) || g.Rule != string(e.Rule) || g.Actor != e.Actor || g.Detail != e.Detail || !same(g.At, e.At) ||
			g.Outcome != string(e.Outcome) || g.Trip != e.Trip {
			add("differs", "timeline", in.Seq, "step %d entry %d: %s %s at %s in PostgreSQL; %s %s at %s in the history",
				in.Seq, i, g.Kind, orNone(g.Rule), stamp(g.At), e.Kind, orNone(string(e.Rule)), stamp(e.At))
		}
	}
}

func compareNotes(in workflows.CommitInput, got []store.RecordedNotification, add func(string, string, int64, string, ...any)) {
	if len(got) != len(in.Notifications) {
		add("differs", "notifications", in.Seq, "step %d: %d notifications in PostgreSQL, %d in the history", in.Seq, len(got), len(in.Notifications))
		return
	}
	for i, n := range in.Notifications {
		g := got[i]
		if g.Message != string(n.Message) || g.Audience != string(n.To) || g.Recipient != n.Recipient || g.Urgent != n.Urgent {
			add("differs", "notifications", in.Seq, "step %d notification %d: %s to %s in PostgreSQL; %s to %s in the history",
				in.Seq, i, g.Message, g.Audience, n.Message, n.To)
		}
	}
}

func eventType(in workflows.CommitInput) string {
	if in.Event == nil {
		return ""
	}
	return string(in.Event.Type)
}

// same compares instants at PostgreSQL's precision (microseconds).
func same(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func stampPtr(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return stamp(*t)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Source is where Check reads the two sides.
type Source interface {
	// Runs are the request's workflow runs, oldest first.
	Runs(ctx context.Context, id string) ([]audit.Run, error)
	// Records are PostgreSQL's rows of the request.
	Records(ctx context.Context, id string) (store.Records, error)
	// Converter decodes the histories' payloads (nil: the SDK's default).
	Converter() converter.DataConverter
}

// Check compares one request. A request that moves while it is read can
// look divergent for an instant (a step written between the two reads), so
// a divergence is confirmed by reading both sides again, up to 3 times:
// only one that persists is reported.
func Check(ctx context.Context, src Source, id string) (Report, error) {
	var rep Report
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return rep, ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		runs, err := src.Runs(ctx, id)
		if err != nil {
			return rep, fmt.Errorf("history of %s: %w", id, err)
		}
		db, err := src.Records(ctx, id)
		if err != nil {
			return rep, fmt.Errorf("records of %s: %w", id, err)
		}
		if rep, err = Compare(runs, db, src.Converter()); err != nil {
			return rep, fmt.Errorf("%s: %w", id, err)
		}
		if rep.OK() {
			return rep, nil
		}
	}
	return rep, nil
}

func boolPtr(b *bool) string {
	if b == nil {
		return ""
	}
	return fmt.Sprint(*b)
}
