package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
)

// scaleRows is the size the call centre's lists and the calendar are
// planned for (issue 12: 100,000 requests open at once).
const scaleRows = 100_000

// fillAtScale writes scaleRows requests over 50 engineers and 8 regions, in
// every status, each with an appointment (2,000 per engineer, three hours
// apart), and analyses the tables.
func fillAtScale(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO engineers (id, name, region, travel) SELECT 'E-' || i, 'engineer ' || i, 'region-' || (i % 8), interval '30 minutes'
			FROM generate_series(0, 49) i`,
		`INSERT INTO requests (id, kind, status, customer, product, symptoms, engineer_id, appointment_start, appointment_end, visits, warranty, seq, created_at, updated_at)
			SELECT 'SR-' || i, 'repair',
				(ARRAY['verifying','triage','consulting','awaiting_parts','scheduling','awaiting_customer','scheduled','en_route','at_door','in_service','workshop','followup','closed','cancelled'])[1 + i % 14],
				jsonb_build_object('name', 'customer ' || i, 'phone', '1380000' || lpad((i % 10000)::text, 4, '0'), 'address', i || ' Garden Road', 'region', 'region-' || (i % 8)),
				jsonb_build_object('model', 'M-' || (i % 40), 'purchase_date', '2026-01-15'), 'symptoms ' || i,
				'E-' || (i % 50), timestamptz '2026-01-01' + (i / 50) * interval '3 hours', timestamptz '2026-01-01' + (i / 50) * interval '3 hours' + interval '1 hour',
				i % 3, 'in', 1, timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + i * interval '1 minute'
			FROM generate_series(0, $1 - 1) i`,
		`INSERT INTO appointments (request_id, engineer_id, starts_at, ends_at, travel, busy, status, booking_key)
			SELECT id, engineer_id, appointment_start, appointment_end, interval '30 minutes',
				tstzrange(appointment_start - interval '30 minutes', appointment_end, '[)'),
				CASE WHEN status IN ('closed', 'cancelled') THEN 'done' ELSE 'booked' END, id || '/1'
			FROM requests`,
		`ANALYZE engineers`, `ANALYZE requests`, `ANALYZE appointments`,
	} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, scaleRows)
		}
		if _, err := s.Pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("fill: %v\n%s", err, q)
		}
	}
}

// plan is a node of EXPLAIN (FORMAT JSON).
type plan struct {
	NodeType string `json:"Node Type"`
	Relation string `json:"Relation Name"`
	Index    string `json:"Index Name"`
	Plans    []plan `json:"Plans"`
}

func (p plan) walk(f func(plan)) {
	f(p)
	for _, c := range p.Plans {
		c.walk(f)
	}
}

func explain(t *testing.T, s *store.Store, q string, args ...any) plan {
	t.Helper()
	var out []struct {
		Plan plan `json:"Plan"`
	}
	var raw []byte
	if err := s.Pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+q, args...).Scan(&raw); err != nil {
		t.Fatalf("explain: %v", err)
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 {
		t.Fatalf("explain: %v %s", err, raw)
	}
	return out[0].Plan
}

// The call centre's list with each filter, and an engineer's day, are read
// through indexes at 100,000 requests: a plan that scans a whole table
// (a missing index, a WHERE clause that cannot use one) fails here. Their
// times at that size are in make bench.
func TestListPlansUseIndexes(t *testing.T) {
	s, _ := storetest.New(t)
	fillAtScale(t, s)
	before := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	filters := map[string]store.RequestFilter{
		"newest":              {},
		"status":              {Status: sop.StatusScheduled},
		"engineer":            {Engineer: "E-7"},
		"region":              {Region: "region-3"},
		"status and region":   {Status: sop.StatusAtDoor, Region: "region-2"},
		"engineer, a page on": {Engineer: "E-7", Before: before},
		"status, a page on":   {Status: sop.StatusClosed, Before: before},
	}
	check := func(name string, p plan) {
		t.Logf("%s: %s", name, strings.Join(indexesUsed(t, name, p), ", "))
	}
	for name, f := range filters {
		q, args := store.ListQuery(f)
		check("list "+name, explain(t, s, q, args...))
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	check("engineer's day", explain(t, s, store.DayQuery, "E-7", day, day.Add(24*time.Hour)))

	// The lists answer what they are asked.
	rows, err := s.ListRequests(context.Background(), store.RequestFilter{Status: sop.StatusAtDoor, Region: "region-2", Limit: 20})
	if err != nil || len(rows) != 20 {
		t.Fatalf("list: %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Status != sop.StatusAtDoor || r.Customer.Region != "region-2" {
			t.Fatalf("list by status and region returned %s in %s", r.Status, r.Customer.Region)
		}
	}
	jobs, err := s.EngineerDay(context.Background(), "E-7", day, day.Add(24*time.Hour))
	if err != nil || len(jobs) != 8 {
		t.Fatalf("E-7's day: %d jobs, %v", len(jobs), err)
	}
	for i, j := range jobs {
		if i > 0 && !j.Start.After(jobs[i-1].Start) || j.Customer.Address == "" || j.Travel.Std() != 30*time.Minute {
			t.Fatalf("E-7's day: %+v", jobs)
		}
	}
}

// indexesUsed fails t when plan p, named name, scans the whole requests or
// appointments table, or uses no index at all; it returns the indexes p
// uses.
func indexesUsed(t *testing.T, name string, p plan) []string {
	t.Helper()
	var used []string
	p.walk(func(n plan) {
		if n.NodeType == "Seq Scan" && (n.Relation == "requests" || n.Relation == "appointments") {
			t.Errorf("%s scans the whole %s table", name, n.Relation)
		}
		if n.Index != "" {
			used = append(used, n.Index)
		}
	})
	if len(used) == 0 {
		t.Errorf("%s uses no index", name)
	}
	return used
}
