package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
)

// The call centre's queue at scale: every filter and the search by id,
// phone or serial are planned on indexes (no scan of requests), and a
// page of the queue reads fast.
func TestQueuePlansUseIndexes(t *testing.T) {
	s, _ := storetest.New(t)
	fillAtScale(t, s)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	filters := map[string]store.QueueFilter{
		"newest":            {},
		"status":            {Status: sop.StatusScheduled},
		"region":            {Region: "region-3"},
		"engineer":          {Engineer: "E-7"},
		"one row":           {ID: "SR-77"},
		"search by id":      {Search: "SR-4242"},
		"search by phone":   {Search: "13800004242"},
		"search by serial":  {Search: "SN-NOPE"},
		"status and search": {Status: sop.StatusTriage, Search: "13800004242"},
		"overdue":           {Overdue: true},
		"overdue in region": {Overdue: true, Region: "region-2"},
	}
	for name, f := range filters {
		f.Now = now
		q, args := store.QueueQuery(f)
		used := indexesUsed(t, "queue "+name, explain(t, s, q, args...))
		// A search matches a few rows: found on their own indexes, never by
		// walking the recency index (all of it when the match is rare).
		if f.Search != "" && slices.Contains(used, "requests_updated") {
			t.Errorf("queue %s walks requests_updated: %v", name, used)
		}
		t.Logf("queue %s: %s", name, strings.Join(used, ", "))
	}
	// The search finds by phone (ten customers share one here).
	rows, err := s.Queue(context.Background(), store.QueueFilter{Search: "13800004242", Now: now})
	if err != nil || len(rows) != 10 {
		t.Fatalf("search by phone: %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Customer.Phone != "13800004242" {
			t.Fatalf("search by phone found %s", r.Customer.Phone)
		}
	}
	start := time.Now()
	if rows, err = s.Queue(context.Background(), store.QueueFilter{Limit: 200, Now: now}); err != nil || len(rows) != 200 {
		t.Fatalf("queue: %d, %v", len(rows), err)
	}
	t.Logf("a page of 200 of %d requests in %s", scaleRows, time.Since(start))
	start = time.Now()
	if _, err = s.Queue(context.Background(), store.QueueFilter{Overdue: true, Now: now}); err != nil {
		t.Fatal(err)
	}
	t.Logf("the overdue ones of %d requests in %s", scaleRows, time.Since(start))
}

// What counts as overdue (store.OverdueSQL), one case a row: a passed
// clock; an awaited event whose clock fired (verification, HQ answer,
// complaint, compensation); a call-back whose first escalation fired —
// and their running counterparts, which are not.
func TestQueueOverdue(t *testing.T) {
	s, _ := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ahead, past := now.Add(time.Hour).Format(time.RFC3339), now.Add(-time.Minute).Format(time.RFC3339)
	cases := []struct {
		id, pending string
		nextDue     *time.Time
		timeline    []string // kind/rule
		overdue     bool
	}{
		{"clock-ahead", `[{"event":"info_verified","rule":"R1.2"},{"clock":"verify_timeout","at":"` + ahead + `","rule":"R1.2"}]`, queuePtr(now.Add(time.Hour)), nil, false},
		{"clock-passed", `[{"event":"departed","rule":"R5.2"},{"clock":"departure_reminder","at":"` + past + `","rule":"R5.2"}]`, queuePtr(now.Add(-time.Minute)), nil, true},
		{"verify-fired", `[{"event":"info_verified","rule":"R1.2"}]`, nil, []string{"verification_needed/R1.2", "escalated/R1.2"}, true},
		{"hq-fired", `[{"event":"hq_answer","rule":"R2.4"}]`, nil, nil, true},
		{"hq-running", `[{"event":"hq_answer","rule":"R2.4"},{"clock":"hq_answer_due","at":"` + ahead + `","rule":"R2.4"}]`, queuePtr(now.Add(time.Hour)), nil, false},
		{"complaint-fired", `[{"event":"appointment_requested","rule":"R4.1"},{"event":"complaint_answered","rule":"R11.1"}]`, nil, nil, true},
		{"complaint-running", `[{"event":"complaint_answered","rule":"R11.1"},{"clock":"complaint_due","at":"` + ahead + `","rule":"R11.1"}]`, queuePtr(now.Add(time.Hour)), nil, false},
		{"compensation-fired", `[{"event":"compensation_decision","rule":"R7.3"}]`, nil, nil, true},
		{"callback-running", `[{"event":"followup_call","rule":"R9.1"},{"clock":"callback_overdue","at":"` + ahead + `","rule":"R9.1"}]`, queuePtr(now.Add(time.Hour)),
			[]string{"followup_due/R9.1"}, false},
		{"callback-escalated", `[{"event":"followup_call","rule":"R9.1"},{"clock":"callback_overdue","at":"` + ahead + `","rule":"R9.1"}]`, queuePtr(now.Add(time.Hour)),
			[]string{"followup_due/R9.1", "escalated/R9.1"}, true},
		{"callback-again", `[{"event":"followup_result","rule":"R2.2"},{"clock":"callback_overdue","at":"` + ahead + `","rule":"R2.2"}]`, queuePtr(now.Add(time.Hour)),
			[]string{"followup_due/R9.1", "escalated/R9.1", "followup_result/R9.1", "followup_due/R2.2"}, false},
		{"nothing", `[]`, nil, nil, false},
	}
	for _, c := range cases {
		if _, err := s.Pool.Exec(ctx, `INSERT INTO requests (id, status, customer, product, pending, next_due) VALUES ($1, 'triage', '{"region":"r"}', '{}', $2, $3)`,
			c.id, c.pending, c.nextDue); err != nil {
			t.Fatal(err)
		}
		for i, e := range c.timeline {
			kind, rule, _ := strings.Cut(e, "/")
			if _, err := s.Pool.Exec(ctx, `INSERT INTO timeline (request_id, seq, idx, at, kind, rule, actor, detail) VALUES ($1, $2, 0, $3, $4, $5, 'system', '')`,
				c.id, i+1, now, kind, rule); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := s.Queue(ctx, store.QueueFilter{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[r.ID] = r.Overdue
	}
	only, err := s.Queue(ctx, store.QueueFilter{Now: now, Overdue: true})
	if err != nil {
		t.Fatal(err)
	}
	filtered := map[string]bool{}
	for _, r := range only {
		filtered[r.ID] = true
	}
	for _, c := range cases {
		if got[c.id] != c.overdue || filtered[c.id] != c.overdue {
			t.Errorf("%s: overdue %v, in the overdue filter %v; want %v", c.id, got[c.id], filtered[c.id], c.overdue)
		}
	}
}

func queuePtr[T any](v T) *T { return &v }
