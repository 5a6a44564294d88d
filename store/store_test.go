package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

func TestMigrationsAreIdempotent(t *testing.T) {
	_, url := storetest.New(t)
	ctx := context.Background()
	v1, err := store.Migrate(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	v2, err := store.Migrate(ctx, url, func(int32, string) { ran++ })
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v2 || v1 < 1 || ran != 0 {
		t.Fatalf("versions %d then %d, %d migrations re-ran", v1, v2, ran)
	}
}

func TestEnsureDatabaseCreatesOnce(t *testing.T) {
	ctx := context.Background()
	url, drop, err := storetest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	drop() // now it does not exist
	t.Cleanup(drop)
	created, err := store.EnsureDatabase(ctx, url)
	if err != nil || !created {
		t.Fatalf("first ensure: created=%v err=%v", created, err)
	}
	created, err = store.EnsureDatabase(ctx, url)
	if err != nil || created {
		t.Fatalf("second ensure: created=%v err=%v", created, err)
	}
}

func commitInput(seq int64, status sop.Status) workflows.CommitInput {
	return workflows.CommitInput{
		RequestID: "SR-1", Seq: seq, At: time.Date(2026, 3, 2, 1, 0, int(seq), 0, time.UTC),
		Projection:    workflows.Projection{Kind: sop.KindRepair, Status: status, Customer: sop.Customer{Name: "A", Region: "north"}},
		Entries:       []workflows.Entry{{At: time.Now(), Kind: sop.KindTriaged, Rule: sop.R2_1, Actor: "callcentre", Detail: "d"}},
		Notifications: []workflows.Notification{{To: sop.ToCentre, Message: sop.MsgEscalation, Params: map[string]string{"what": "x"}}},
	}
}

// A retried or replayed step writes and sends nothing twice; an older step
// arriving late never overwrites a newer state.
func TestCommitIsIdempotentPerStep(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	for range 3 {
		if _, err := st.Commit(ctx, commitInput(1, sop.StatusTriage)); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := st.Commit(ctx, commitInput(2, sop.StatusScheduling))
	if err != nil || !applied {
		t.Fatalf("step 2: applied=%v err=%v", applied, err)
	}
	tl, err := st.Timeline(ctx, "SR-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 2 {
		t.Fatalf("timeline has %d entries, want 2", len(tl))
	}
	notes, err := st.Notifications(ctx, "SR-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 {
		t.Fatalf("%d notifications queued, want 2", len(notes))
	}
	r, err := st.GetRequest(ctx, "SR-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != sop.StatusScheduling {
		t.Fatalf("status %s", r.Status)
	}
	rows, err := st.ListRequests(ctx, store.RequestFilter{Status: sop.StatusScheduling})
	if err != nil || len(rows) != 1 || rows[0].Customer.Region != "north" {
		t.Fatalf("list: %v %+v", err, rows)
	}
	rows, err = st.ListRequests(ctx, store.RequestFilter{Status: sop.StatusClosed})
	if err != nil || len(rows) != 0 {
		t.Fatalf("list closed: %v %+v", err, rows)
	}
}

// The logs of events and the timeline are append-only in the database itself.
func TestAppendOnlyTablesRefuseChanges(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	if _, err := st.Commit(ctx, commitInput(1, sop.StatusTriage)); err != nil {
		t.Fatal(err)
	}
	if err := st.LogEvent(ctx, store.EventLog{RequestID: "SR-1", Type: "triaged", ActorRole: "callcentre", Body: []byte(`{}`), Outcome: "accepted", HTTPStatus: 200}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE request_events SET outcome = 'rejected'`,
		`DELETE FROM request_events`,
		`UPDATE timeline SET detail = 'forged'`,
		`DELETE FROM steps`,
	} {
		_, err := st.Pool.Exec(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: want append-only refusal, got %v", q, err)
		}
	}
}
