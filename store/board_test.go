package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

func addRequest(t *testing.T, st *store.Store, id, status, region string, created time.Time) {
	t.Helper()
	_, err := st.Pool.Exec(context.Background(), `INSERT INTO requests (id, status, customer, product, symptoms, created_at, updated_at)
		VALUES ($1, $2, jsonb_build_object('name', 'customer of ' || $1, 'phone', '13800138000', 'address', '1 Road', 'region', $3::text),
			'{"model":"WM-7","purchase_date":"2026-01-15"}', 'drum noise', $4, $4)`, id, status, region, created)
	if err != nil {
		t.Fatal(err)
	}
}

// The dispatch board's day: every engineer of the region as a row, with the
// appointments that start that day (booked or done; released ones are
// gone), each with its travel and its request's customer.
func TestBoardDay(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	addEngineer(t, st, "E-1", "north", 30)
	addEngineer(t, st, "E-2", "north", 0)
	addEngineer(t, st, "E-3", "south", 10)
	if _, err := st.UpsertEngineer(ctx, store.Engineer{ID: "E-0", Name: "gone", Region: "north", TravelMinutes: 5}); err != nil {
		t.Fatal(err)
	}
	addRequest(t, st, "SR-1", "scheduled", "north", ten)
	addRequest(t, st, "SR-2", "scheduled", "north", ten)
	only := func(e string) func(*workflows.BookInput) { return func(in *workflows.BookInput) { in.Only = e } }
	if r := book(t, st, "SR-1", "SR-1/1", ten, only("E-1")); r.Outcome != workflows.Booked {
		t.Fatalf("SR-1: %+v", r)
	}
	if r := book(t, st, "SR-2", "SR-2/1", ten.Add(3*time.Hour), only("E-1")); r.Outcome != workflows.Booked {
		t.Fatalf("SR-2: %+v", r)
	}
	// Released, and the next day: not on the board.
	rel := book(t, st, "SR-3", "SR-3/1", ten.Add(6*time.Hour), only("E-2"))
	if _, err := st.Pool.Exec(ctx, `UPDATE appointments SET status = 'released' WHERE id = $1`, rel.Appointment.ID); err != nil {
		t.Fatal(err)
	}
	book(t, st, "SR-4", "SR-4/1", ten.Add(24*time.Hour), only("E-2"))
	// Done stays.
	done := book(t, st, "SR-5", "SR-5/1", ten, only("E-3"), func(in *workflows.BookInput) { in.Region = "south" })
	if _, err := st.Pool.Exec(ctx, `UPDATE appointments SET status = 'done' WHERE id = $1`, done.Appointment.ID); err != nil {
		t.Fatal(err)
	}

	// The service area's day of 3 March in UTC+8.
	from := time.Date(2026, 3, 3, 0, 0, 0, 0, time.FixedZone("cst", cst))
	rows, err := st.BoardDay(ctx, from, from.Add(24*time.Hour), "north")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Engineer.ID != "E-1" || rows[1].Engineer.ID != "E-2" {
		t.Fatalf("north's rows: %+v", rows)
	}
	e1 := rows[0].Jobs
	if len(e1) != 2 || e1[0].RequestID != "SR-1" || e1[1].RequestID != "SR-2" || !e1[0].Start.Equal(ten) ||
		e1[0].Travel.Std() != 30*time.Minute || e1[0].Customer.Name != "customer of SR-1" || e1[0].Status != "booked" || e1[0].RequestStatus != "scheduled" {
		t.Fatalf("E-1's day: %+v", e1)
	}
	if len(rows[1].Jobs) != 0 {
		t.Fatalf("E-2's day (released and tomorrow's are not on it): %+v", rows[1].Jobs)
	}
	all, err := st.BoardDay(ctx, from, from.Add(24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[2].Engineer.ID != "E-3" || len(all[2].Jobs) != 1 || all[2].Jobs[0].Status != "done" {
		t.Fatalf("every region: %+v", all)
	}
	regions, err := st.BoardRegions(ctx)
	if err != nil || strings.Join(regions, ",") != "north,south" {
		t.Fatalf("regions %v %v", regions, err)
	}
}

// The requests waiting to be booked: scheduling, and awaiting_customer with
// the slot proposed to the customer; longest waiting first.
func TestUnscheduledRequests(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	addRequest(t, st, "SR-A", "scheduling", "north", ten.Add(time.Hour))
	addRequest(t, st, "SR-B", "awaiting_customer", "north", ten)
	addRequest(t, st, "SR-C", "scheduled", "north", ten)
	addRequest(t, st, "SR-D", "scheduling", "south", ten)
	for i, d := range []string{
		"10:00–11:00 cannot be served (E-1 busy): apologised and explained; proposed 2026-03-03 12:00–13:00 with E-1, waiting for the customer's consent",
		"the accepted slot was taken meanwhile (E-1 busy): apologised and explained; proposed 2026-03-03 14:00–15:00 with E-2, waiting for the customer's consent",
	} {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO timeline (request_id, seq, idx, at, kind, rule, actor, detail) VALUES ('SR-B', $1, 0, now(), 'appointment_proposed', 'R4.1', 'system', $2)`, i+1, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.UnscheduledRequests(ctx, "north", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "SR-B" || got[1].ID != "SR-A" {
		t.Fatalf("north's unscheduled: %+v", got)
	}
	if got[0].Proposal != "2026-03-03 14:00–15:00 with E-2" || got[1].Proposal != "" || got[0].Customer.Region != "north" || got[1].Symptoms != "drum noise" {
		t.Fatalf("proposal %q / %q, %+v", got[0].Proposal, got[1].Proposal, got[1])
	}
	all, err := st.UnscheduledRequests(ctx, "", 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("every region: %d, %v", len(all), err)
	}
}

// R4.1, the dispatch board: a booking for one chosen engineer (BookInput.Only,
// appointment_requested.engineer) books only that engineer; when that
// engineer is taken (travel included) that engineer's nearest free slot is
// proposed even though another engineer of the region is free; an engineer
// of another region, without the skill, or inactive is refused with the
// reason; one who cannot reach the slot in time is proposed a later one.
func TestR4_1_ChosenEngineerBooking(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	addEngineer(t, st, "E-1", "north", 30)
	addEngineer(t, st, "E-2", "north", 30, "gas")
	addEngineer(t, st, "E-3", "south", 30)
	only := func(e string) func(*workflows.BookInput) {
		return func(in *workflows.BookInput) { in.Only, in.Prefer = e, e }
	}

	r := book(t, st, "SR-1", "SR-1/1", ten, only("E-2"))
	if r.Outcome != workflows.Booked || r.Appointment.Engineer != "E-2" {
		t.Fatalf("chosen E-2: %+v", r)
	}
	// E-2 is taken 09:30–11:00 (travel); E-1 is free but not asked.
	r = book(t, st, "SR-2", "SR-2/1", ten.Add(30*time.Minute), only("E-2"))
	if r.Outcome != workflows.Proposed || r.Appointment.Engineer != "E-2" || !r.Appointment.Start.Equal(ten.Add(90*time.Minute)) ||
		!strings.Contains(r.Reason, "E-2 busy") {
		t.Fatalf("taken slot: %+v (%+v)", r, r.Appointment)
	}
	// Without a proposal asked: refused, with the reason.
	r = book(t, st, "SR-2", "SR-2/2", ten.Add(30*time.Minute), only("E-2"), func(in *workflows.BookInput) { in.Propose = false })
	if r.Outcome != workflows.NoSlot || !strings.Contains(r.Reason, "E-2 busy") {
		t.Fatalf("refused: %+v", r)
	}
	// The database still refuses a double booking of E-2.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO appointments (request_id, engineer_id, starts_at, ends_at, travel, busy, booking_key)
		VALUES ('SR-9', 'E-2', $1, $2, '0', tstzrange($1, $2, '[)'), 'x')`, ten, ten.Add(time.Hour)); err == nil {
		t.Fatal("double booking of E-2 accepted")
	}
	// Another region, a missing skill, an inactive engineer: refused.
	for name, in := range map[string][]func(*workflows.BookInput){
		"other region":  {only("E-3")},
		"missing skill": {only("E-1"), func(in *workflows.BookInput) { in.Skill = "gas" }},
		"unknown":       {only("E-9")},
	} {
		r = book(t, st, "SR-3", "SR-3/"+name, ten.Add(5*time.Hour), in...)
		if r.Outcome != workflows.NoSlot || !strings.Contains(r.Reason, "is not an active engineer of region") {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	if _, err := st.UpsertEngineer(ctx, store.Engineer{ID: "E-1", Name: "E-1", Region: "north", TravelMinutes: 30}); err != nil {
		t.Fatal(err)
	}
	r = book(t, st, "SR-3", "SR-3/inactive", ten.Add(5*time.Hour), only("E-1"))
	if r.Outcome != workflows.NoSlot {
		t.Fatalf("inactive E-1: %+v", r)
	}
	// R4.1: E-2 cannot leave in time for 13:00 when asked at 12:00 (30 min
	// travel, 45 min early): E-2's nearest reachable slot is proposed.
	r = book(t, st, "SR-4", "SR-4/1", ten.Add(3*time.Hour), only("E-2"), func(in *workflows.BookInput) {
		in.LeaveAfter, in.ArriveEarly = ten.Add(2*time.Hour), 45*60*1e9
	})
	if r.Outcome != workflows.Proposed || r.Appointment.Engineer != "E-2" || !r.Appointment.Start.After(ten.Add(3*time.Hour)) {
		t.Fatalf("too short to reach: %+v", r)
	}
}

// The board's day and its unscheduled list are read through indexes at
// 100,000 requests (the engineer's day on appointments_engineer_day; the
// waiting list on whichever index of requests the planner prefers, never
// a scan of the whole table).
func TestBoardQueriesUseIndexes(t *testing.T) {
	s, _ := storetest.New(t)
	fillAtScale(t, s)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for name, q := range map[string]struct {
		sql   string
		args  []any
		index string
	}{
		"board, every region": {store.BoardQuery, []any{day, day.Add(24 * time.Hour), ""}, "appointments_engineer_day"},
		"board, one region":   {store.BoardQuery, []any{day, day.Add(24 * time.Hour), "region-3"}, "appointments_engineer_day"},
		"unscheduled":         {store.UnscheduledQuery, []any{"", 200}, ""},
		"unscheduled, region": {store.UnscheduledQuery, []any{"region-3", 200}, ""},
	} {
		used := indexesUsed(t, name, explain(t, s, q.sql, q.args...))
		if q.index != "" && !strings.Contains(strings.Join(used, ","), q.index) {
			t.Errorf("%s does not use %s: %v", name, q.index, used)
		}
		t.Logf("%s: %v", name, used)
	}
	rows, err := s.BoardDay(context.Background(), day, day.Add(24*time.Hour), "")
	if err != nil || len(rows) != 50 {
		t.Fatalf("board: %d rows, %v", len(rows), err)
	}
	n := 0
	for _, r := range rows {
		n += len(r.Jobs)
	}
	if n != 400 {
		t.Fatalf("board: %d appointments, want 8 for each of 50 engineers", n)
	}
}
