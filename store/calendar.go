package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// Working hours within which a different slot is proposed (service-area time).
const (
	workDayStart = 8 * time.Hour
	workDayEnd   = 20 * time.Hour
	proposalStep = 15 * time.Minute
	searchDays   = 14
)

// ErrDoubleBooking is the exclusion constraint refusing an overlapping slot.
var ErrDoubleBooking = errors.New("engineer already booked at that time (including travel)")

// Book finds an engineer for a slot (R4.1): the preferred engineer if free,
// else another free engineer of the region (with the skill, if one is asked
// for), else — when asked — the nearest free slot as a proposal. Travel to
// the appointment counts as busy time, and the database's exclusion
// constraint decides races: of two bookings of the same engineer that
// overlap, only one commits. The booking key makes a retried call return the
// booking it already made.
func (s *Store) Book(ctx context.Context, in workflows.BookInput) (workflows.BookResult, error) {
	if a, err := s.appointmentByKey(ctx, in.Key); err == nil {
		return workflows.BookResult{Outcome: workflows.Booked, Appointment: &a, PreferredBusy: in.Prefer != "" && in.Prefer != a.Engineer}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return workflows.BookResult{}, err
	}
	cands, err := s.candidates(ctx, in)
	if err != nil {
		return workflows.BookResult{}, err
	}
	if len(cands) == 0 {
		why := fmt.Sprintf("no active engineer in region %q", in.Region)
		if in.Skill != "" {
			why += fmt.Sprintf(" with skill %q", in.Skill)
		}
		if in.Only != "" {
			why = fmt.Sprintf("engineer %s is not an active engineer of region %q", in.Only, in.Region)
		}
		return workflows.BookResult{Outcome: workflows.NoSlot, Reason: why}, nil
	}
	var busy, far []string
	for _, e := range cands {
		if !canReach(in, e, in.Start) {
			// R4.1: too short for this engineer to leave in time.
			far = append(far, fmt.Sprintf("%s (travel %s)", e.ID, e.Travel()))
			continue
		}
		a, err := s.insertAppointment(ctx, in, e, in.Start, in.End)
		if errors.Is(err, ErrDoubleBooking) {
			busy = append(busy, e.ID)
			continue
		}
		if err != nil {
			return workflows.BookResult{}, err
		}
		return workflows.BookResult{Outcome: workflows.Booked, Appointment: &a, PreferredBusy: in.Prefer != "" && in.Prefer != a.Engineer}, nil
	}
	var whys []string
	if len(busy) > 0 {
		whys = append(whys, fmt.Sprintf("%s busy then, counting travel", strings.Join(busy, ", ")))
	}
	if len(far) > 0 {
		whys = append(whys, fmt.Sprintf("too short for %s to arrive %s early", strings.Join(far, ", "), in.ArriveEarly.Std()))
	}
	why := strings.Join(whys, "; ")
	if !in.Propose {
		return workflows.BookResult{Outcome: workflows.NoSlot, Reason: why}, nil
	}
	p, err := s.nearestFree(ctx, cands, in, in.UTCOffsetSeconds)
	if err != nil {
		return workflows.BookResult{}, err
	}
	if p == nil {
		return workflows.BookResult{Outcome: workflows.NoSlot, Reason: why + fmt.Sprintf("; nothing free in the next %d days", searchDays)}, nil
	}
	return workflows.BookResult{Outcome: workflows.Proposed, Appointment: p, Reason: why}, nil
}

// candidates lists the engineers who may take the slot, best first: the
// preferred one, then the least loaded on that day.
func (s *Store) candidates(ctx context.Context, in workflows.BookInput) ([]Engineer, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+engineerColumns+` FROM engineers e
		WHERE active AND region = $1 AND ($2 = '' OR $2 = ANY(skills)) AND ($3 = '' OR id = $3) AND ($4 = '' OR id <> $4)
		ORDER BY (id = $5) DESC,
			(SELECT count(*) FROM appointments a WHERE a.engineer_id = e.id AND a.status = 'booked'
				AND a.starts_at >= $6::timestamptz - interval '12 hours' AND a.starts_at < $6::timestamptz + interval '12 hours'),
			id`,
		in.Region, in.Skill, in.Only, in.Exclude, in.Prefer, in.Start)
	if err != nil {
		return nil, fmt.Errorf("find engineers: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Engineer])
}

// insertAppointment books one engineer, releasing the appointment it
// replaces in the same transaction.
//
// Two uncommitted inserts that overlap wait on each other's exclusion check,
// and PostgreSQL breaks that wait as a deadlock (40P01) only after
// deadlock_timeout (1 s): when the call centre books many requests for the
// same hour, every booker tries the same least-loaded engineer first, and
// bookings took seconds, then failed, then waited out activity retries
// (a 100,000-request bench saw a booking take 117 s). So each booking
// transaction first takes a transaction lock on its engineer
// (calendarLockClass, hashtext(engineer)): bookings of one engineer queue for
// a millisecond instead, the second then meets the first's committed row as
// a plain double booking and moves on to the next engineer. The exclusion
// constraint still decides (R4.1); the lock only orders. A deadlock that happens
// anyway is counted and tried again.
func (s *Store) insertAppointment(ctx context.Context, in workflows.BookInput, e Engineer, start, end time.Time) (workflows.Appointment, error) {
	for attempt := 1; ; attempt++ {
		a, err := s.tryInsertAppointment(ctx, in, e, start, end)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "40P01" {
			s.deadlocks.Add(1)
			if attempt < 5 {
				continue
			}
		}
		return a, err
	}
}

// calendarLockClass is the first key of the per-engineer booking lock
// (pg_advisory_xact_lock(int, int), a key space apart from the one-key locks
// of devserver and tern): "hcal".
const calendarLockClass = 0x6863616c

func (s *Store) tryInsertAppointment(ctx context.Context, in workflows.BookInput, e Engineer, start, end time.Time) (workflows.Appointment, error) {
	a := workflows.Appointment{Engineer: e.ID, Start: start, End: end, Travel: sop.D(e.Travel())}
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, calendarLockClass, e.ID); err != nil {
			return fmt.Errorf("lock the calendar of %s: %w", e.ID, err)
		}
		if in.Release != 0 {
			if _, err := tx.Exec(ctx, `UPDATE appointments SET status = 'released', updated_at = now()
				WHERE id = $1 AND request_id = $2 AND status = 'booked'`, in.Release, in.RequestID); err != nil {
				return fmt.Errorf("release appointment %d: %w", in.Release, err)
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO appointments (request_id, engineer_id, starts_at, ends_at, travel, busy, booking_key)
			VALUES ($1, $2, $3, $4, make_interval(secs => $5), tstzrange($3::timestamptz - make_interval(secs => $5), $4, '[)'), $6)
			RETURNING id`, in.RequestID, e.ID, start, end, e.Travel().Seconds(), in.Key).Scan(&a.ID)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23P01": // exclusion_violation
			return a, ErrDoubleBooking
		case pgErr.Code == "23505" && pgErr.ConstraintName == "appointments_booking_key_key":
			return s.appointmentByKey(ctx, in.Key) // a concurrent retry of the same step won
		}
	}
	if err != nil {
		return a, fmt.Errorf("book %s %s: %w", e.ID, start.Format(time.RFC3339), err)
	}
	return a, nil
}

func (s *Store) appointmentByKey(ctx context.Context, key string) (workflows.Appointment, error) {
	var (
		a      workflows.Appointment
		travel time.Duration
	)
	err := s.Pool.QueryRow(ctx, `SELECT id, engineer_id, starts_at, ends_at, travel FROM appointments WHERE booking_key = $1`, key).
		Scan(&a.ID, &a.Engineer, &a.Start, &a.End, &travel)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("appointment %s: %w", key, err)
	}
	a.Travel = sop.D(travel)
	return a, nil
}

// nearestFree finds the earliest slot of the requested length after the
// requested start, within working hours, that some candidate has free
// (travel included). It books nothing.
func (s *Store) nearestFree(ctx context.Context, cands []Engineer, in workflows.BookInput, utcOffsetSeconds int) (*workflows.Appointment, error) {
	length := in.End.Sub(in.Start)
	horizon := in.Start.Add(searchDays * 24 * time.Hour)
	loc := time.FixedZone("service", utcOffsetSeconds)
	var best *workflows.Appointment
	for _, e := range cands {
		busy, err := s.busyRanges(ctx, e.ID, in.Start.Add(-24*time.Hour), horizon.Add(24*time.Hour), in.Release)
		if err != nil {
			return nil, err
		}
		if slot, ok := firstFree(busy, reachableFrom(in, e), length, e.Travel(), horizon, loc); ok {
			if best == nil || slot.Before(best.Start) {
				best = &workflows.Appointment{Engineer: e.ID, Start: slot, End: slot.Add(length), Travel: sop.D(e.Travel())}
			}
		}
	}
	return best, nil
}

type span struct{ from, to time.Time }

func (s *Store) busyRanges(ctx context.Context, engineer string, from, to time.Time, ignore int64) ([]span, error) {
	rows, err := s.Pool.Query(ctx, `SELECT busy FROM appointments WHERE engineer_id = $1 AND status = 'booked' AND id <> $4
		AND busy && tstzrange($2, $3) ORDER BY lower(busy)`, engineer, from, to, ignore)
	if err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", engineer, err)
	}
	ranges, err := pgx.CollectRows(rows, pgx.RowTo[pgtype.Range[pgtype.Timestamptz]])
	if err != nil {
		return nil, fmt.Errorf("calendar of %s: %w", engineer, err)
	}
	out := make([]span, 0, len(ranges))
	for _, r := range ranges {
		out = append(out, span{r.Lower.Time, r.Upper.Time})
	}
	return out, nil
}

// firstFree scans forward from start in proposalStep steps for a slot whose
// busy time [slot-travel, slot+length) meets no busy span and which lies
// within working hours.
func firstFree(busy []span, start time.Time, length, travel time.Duration, horizon time.Time, loc *time.Location) (time.Time, bool) {
	slot := start
	for !slot.After(horizon) {
		// Keep the appointment within working hours of its day.
		l := slot.In(loc)
		midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		if sinceMidnight := l.Sub(midnight); sinceMidnight < workDayStart {
			slot = midnight.Add(workDayStart)
			continue
		} else if sinceMidnight+length > workDayEnd {
			slot = midnight.Add(24*time.Hour + workDayStart)
			continue
		}
		from, to := slot.Add(-travel), slot.Add(length)
		i := slices.IndexFunc(busy, func(b span) bool { return b.from.Before(to) && from.Before(b.to) })
		if i < 0 {
			return slot, true
		}
		// Jump past the clash, then round up to the proposal grid.
		next := busy[i].to.Add(travel)
		if r := next.Sub(start) % proposalStep; r != 0 {
			next = next.Add(proposalStep - r)
		}
		if !next.After(slot) {
			next = slot.Add(proposalStep)
		}
		slot = next
	}
	return time.Time{}, false
}

// canReach says engineer e can leave for a slot starting at start (start −
// travel − arrive early) no earlier than in.LeaveAfter (R4.1).
func canReach(in workflows.BookInput, e Engineer, start time.Time) bool {
	return in.LeaveAfter.IsZero() || !start.Add(-e.Travel()-in.ArriveEarly.Std()).Before(in.LeaveAfter)
}

// reachableFrom is the earliest start engineer e can reach (R4.1): the
// requested start, or when that is too short, the first quarter hour the
// engineer can reach leaving at in.LeaveAfter.
func reachableFrom(in workflows.BookInput, e Engineer) time.Time {
	if canReach(in, e, in.Start) {
		return in.Start
	}
	t := in.LeaveAfter.Add(e.Travel() + in.ArriveEarly.Std())
	if r := t.Sub(t.Truncate(proposalStep)); r > 0 {
		t = t.Add(proposalStep - r)
	}
	return t
}
