package store_test

import (
	"context"
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
		var used []string
		explain(t, s, q, args...).walk(func(n plan) {
			if n.NodeType == "Seq Scan" && n.Relation == "requests" {
				t.Errorf("queue %s scans the whole requests table", name)
			}
			if n.Index != "" {
				used = append(used, n.Index)
			}
		})
		if len(used) == 0 {
			t.Errorf("queue %s uses no index", name)
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
