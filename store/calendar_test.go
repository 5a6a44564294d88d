package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

// 10:00 on Tuesday 3 March 2026 in UTC+8.
var ten = time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)

const cst = 8 * 3600

func addEngineer(t *testing.T, st *store.Store, id, region string, travel int, skills ...string) {
	t.Helper()
	if _, err := st.UpsertEngineer(context.Background(), store.Engineer{ID: id, Name: id, Region: region, Skills: skills, TravelMinutes: travel, Active: true}); err != nil {
		t.Fatal(err)
	}
}

func book(t *testing.T, st *store.Store, req, key string, start time.Time, mutate ...func(*workflows.BookInput)) workflows.BookResult {
	t.Helper()
	in := workflows.BookInput{RequestID: req, Key: key, Region: "north", Start: start, End: start.Add(time.Hour), Propose: true, UTCOffsetSeconds: cst}
	for _, m := range mutate {
		m(&in)
	}
	res, err := st.Book(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// bookAtOnce runs n bookings at the same time, the i-th with input(i).
func bookAtOnce(st *store.Store, n int, input func(i int) workflows.BookInput) ([]workflows.BookResult, []error) {
	var wg sync.WaitGroup
	results := make([]workflows.BookResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = st.Book(context.Background(), input(i))
		}()
	}
	wg.Wait()
	return results, errs
}

// R4.1: double booking is impossible in the database itself: the exclusion
// constraint refuses an overlapping slot (travel included), whoever writes.
func TestR4_1_ExclusionConstraintRefusesDoubleBooking(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	addEngineer(t, st, "E-1", "north", 30)
	ins := func(key string, start time.Time) error {
		_, err := st.Pool.Exec(ctx, `INSERT INTO appointments (request_id, engineer_id, starts_at, ends_at, travel, busy, booking_key)
			VALUES ('SR-X', 'E-1', $1, $2, '30 minutes', tstzrange($1::timestamptz - interval '30 minutes', $2, '[)'), $3)`, start, start.Add(time.Hour), key)
		return err
	}
	if err := ins("a", ten); err != nil {
		t.Fatal(err)
	}
	// 11:00 needs E-1 from 10:30 (travel): overlaps 10:00–11:00.
	err := ins("b", ten.Add(time.Hour))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23P01" || pgErr.ConstraintName != "appointments_no_double_booking" {
		t.Fatalf("want exclusion violation, got %v", err)
	}
	// 11:30 leaves the travel time: fine.
	if err := ins("c", ten.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// R4.1: two workers racing for the only engineer of a region at the same
// hour cannot both win: one books the slot, the other is proposed the
// nearest free one, and the two appointments never overlap.
func TestR4_1_ConcurrentBookingsOfOneEngineer(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 30)
	results, errs := bookAtOnce(st, 8, func(i int) workflows.BookInput {
		return workflows.BookInput{RequestID: fmt.Sprintf("SR-%d", i), Key: fmt.Sprintf("SR-%d/1", i), Region: "north",
			Start: ten, End: ten.Add(time.Hour), Propose: true, UTCOffsetSeconds: cst}
	})
	booked := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch r.Outcome {
		case workflows.Booked:
			booked++
		case workflows.Proposed:
			if !r.Appointment.Start.After(ten) {
				t.Fatalf("proposal %v not after the taken slot", r.Appointment.Start)
			}
		default:
			t.Fatalf("outcome %+v", r)
		}
	}
	if booked != 1 {
		t.Fatalf("%d bookings of the same engineer at the same hour, want 1", booked)
	}
	var overlaps int
	if err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM appointments a JOIN appointments b
		ON a.id < b.id AND a.engineer_id = b.engineer_id AND a.busy && b.busy
		WHERE a.status = 'booked' AND b.status = 'booked'`).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Fatalf("%d overlapping appointments", overlaps)
	}
}

// R4.1: the call centre books many requests for the same hour at once. Every
// booker tries the least-loaded engineer first; the bookings of one engineer
// queue on its calendar lock rather than deadlocking in the exclusion check
// (which PostgreSQL breaks only after a second, and which failed bookings
// after five tries). Each engineer is booked once, the rest are proposed
// another time, nothing fails and no deadlock is retried.
func TestR4_1_ManyBookingsOfOneHourNeverDeadlock(t *testing.T) {
	_, url := storetest.New(t)
	// As many bookers at once as a busy call centre, each on its own
	// connection, for one hour after another.
	const engineers, racers, hours = 4, 32, 40
	st, err := store.Open(context.Background(), url+"&pool_max_conns=32")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	for i := range engineers {
		addEngineer(t, st, fmt.Sprintf("E-%d", i), "north", 30)
	}
	for h := range hours {
		start := ten.Add(time.Duration(2*h) * time.Hour)
		results, errs := bookAtOnce(st, racers, func(i int) workflows.BookInput {
			id := fmt.Sprintf("SR-%d-%d", h, i)
			return workflows.BookInput{RequestID: id, Key: id + "/1", Region: "north", Start: start, End: start.Add(time.Hour), UTCOffsetSeconds: cst}
		})
		byEngineer := map[string]int{}
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("hour %d, booking %d: %v", h, i, errs[i])
			}
			if r.Outcome == workflows.Booked {
				byEngineer[r.Appointment.Engineer]++
			}
		}
		if len(byEngineer) != engineers {
			t.Fatalf("hour %d: engineers booked %v, want all %d once", h, byEngineer, engineers)
		}
		for e, n := range byEngineer {
			if n != 1 {
				t.Fatalf("hour %d: %s booked %d times", h, e, n)
			}
		}
	}
	if n := st.BookingDeadlocks(); n != 0 {
		t.Fatalf("%d booking transactions deadlocked", n)
	}
}

// R4.1: travel time between appointments is taken into account; the nearest
// free slot is proposed within working hours.
func TestR4_1_ProposalsRespectTravelAndWorkingHours(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 30)
	if r := book(t, st, "SR-A", "SR-A/1", ten); r.Outcome != workflows.Booked {
		t.Fatalf("first: %+v", r)
	}
	r := book(t, st, "SR-B", "SR-B/1", ten.Add(30*time.Minute))
	if r.Outcome != workflows.Proposed {
		t.Fatalf("second: %+v", r)
	}
	// Busy until 11:00, then 30 min of travel: 11:30.
	if want := ten.Add(90 * time.Minute); !r.Appointment.Start.Equal(want) {
		t.Fatalf("proposed %s, want %s", r.Appointment.Start, want)
	}
	// 19:30 local would end after 20:00: the proposal moves to the next morning.
	late := time.Date(2026, 3, 3, 11, 30, 0, 0, time.UTC) // 19:30 CST
	book(t, st, "SR-C", "SR-C/1", late.Add(-2*time.Hour))
	r = book(t, st, "SR-D", "SR-D/1", late.Add(-90*time.Minute), func(in *workflows.BookInput) { in.End = in.Start.Add(2 * time.Hour) })
	if r.Outcome != workflows.Proposed {
		t.Fatalf("evening: %+v", r)
	}
	if want := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC); !r.Appointment.Start.Equal(want) { // 08:00 CST next day
		t.Fatalf("proposed %s, want %s", r.Appointment.Start, want)
	}
}

// R4.1: a busy engineer's slot goes to another free engineer of the region,
// preferring the least loaded; the skill asked for is required.
func TestR4_1_ReassignsWithinTheRegionAndSkill(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 30, "tiles")
	addEngineer(t, st, "E-2", "north", 20, "tiles")
	addEngineer(t, st, "E-3", "north", 20, "washing-machine")
	addEngineer(t, st, "E-9", "south", 20, "tiles")
	a := book(t, st, "SR-A", "SR-A/1", ten, func(in *workflows.BookInput) { in.Prefer = "E-1"; in.Skill = "tiles" })
	if a.Outcome != workflows.Booked || a.Appointment.Engineer != "E-1" || a.PreferredBusy {
		t.Fatalf("first: %+v", a)
	}
	b := book(t, st, "SR-B", "SR-B/1", ten, func(in *workflows.BookInput) { in.Prefer = "E-1"; in.Skill = "tiles" })
	if b.Outcome != workflows.Booked || b.Appointment.Engineer != "E-2" || !b.PreferredBusy {
		t.Fatalf("second: %+v", b)
	}
	c := book(t, st, "SR-C", "SR-C/1", ten, func(in *workflows.BookInput) { in.Skill = "tiles"; in.Propose = false })
	if c.Outcome != workflows.NoSlot {
		t.Fatalf("third (no tiles engineer free, E-3 lacks the skill, E-9 is south): %+v", c)
	}
	none := book(t, st, "SR-D", "SR-D/1", ten, func(in *workflows.BookInput) { in.Region = "west" })
	if none.Outcome != workflows.NoSlot || none.Reason == "" {
		t.Fatalf("no engineers: %+v", none)
	}
}

// A retried booking (same key) returns the booking it made, never a second.
func TestBookingIsIdempotentOnItsKey(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 30)
	a := book(t, st, "SR-A", "SR-A/7", ten)
	b := book(t, st, "SR-A", "SR-A/7", ten)
	if a.Outcome != workflows.Booked || b.Outcome != workflows.Booked || a.Appointment.ID != b.Appointment.ID {
		t.Fatalf("%+v then %+v", a, b)
	}
	var n int
	_ = st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM appointments`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d appointments", n)
	}
}

// Rescheduling releases the old slot in the same transaction, so the same
// engineer can move to an overlapping time.
func TestRescheduleReleasesTheOldSlot(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 30)
	a := book(t, st, "SR-A", "SR-A/1", ten)
	b := book(t, st, "SR-A", "SR-A/2", ten.Add(30*time.Minute), func(in *workflows.BookInput) { in.Prefer = "E-1"; in.Release = a.Appointment.ID })
	if b.Outcome != workflows.Booked || b.Appointment.Engineer != "E-1" {
		t.Fatalf("reschedule: %+v", b)
	}
	var status string
	_ = st.Pool.QueryRow(context.Background(), `SELECT status FROM appointments WHERE id = $1`, a.Appointment.ID).Scan(&status)
	if status != "released" {
		t.Fatalf("old slot %s", status)
	}
}
