package store_test

import (
	"context"
	"testing"

	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
)

// An event sent with an Idempotency-Key is one row of the log: a retry with
// the same fingerprint counts an attempt, another fingerprint is a
// mismatch, and the outcome changes only while it is not final.
func TestKeyedEventLog(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	e := store.EventLog{RequestID: "SR-K", Type: "triaged", ActorRole: "callcentre", Body: []byte(`{"type":"triaged","category":"misuse"}`)}
	k, created, mismatch, err := st.ReserveEvent(ctx, e, "key-1", "fp-1", "key-1")
	if err != nil || !created || mismatch || k.Outcome != "pending" || k.Attempts != 1 {
		t.Fatalf("first: %+v created %v mismatch %v err %v", k, created, mismatch, err)
	}
	if err := st.FinishEvent(ctx, k.ID, "error", 504, "no answer in time", nil); err != nil {
		t.Fatal(err)
	}
	k2, created, mismatch, err := st.ReserveEvent(ctx, e, "key-1", "fp-1", "key-1")
	if err != nil || created || mismatch || k2.ID != k.ID || k2.Attempts != 2 || k2.Outcome != "error" || k2.Final() {
		t.Fatalf("retry: %+v created %v mismatch %v err %v", k2, created, mismatch, err)
	}
	if err := st.FinishEvent(ctx, k.ID, "accepted", 200, "", []byte(`{"status":"consulting"}`)); err != nil {
		t.Fatal(err)
	}
	// A final outcome stays.
	if err := st.FinishEvent(ctx, k.ID, "error", 502, "late", nil); err != nil {
		t.Fatal(err)
	}
	k3, _, mismatch, err := st.ReserveEvent(ctx, e, "key-1", "fp-2", "key-1")
	if err != nil || !mismatch || k3.Outcome != "accepted" || k3.HTTPStatus != 200 || string(k3.Response) != `{"status":"consulting"}` || k3.Attempts != 2 {
		t.Fatalf("other fingerprint: %+v mismatch %v err %v (%s)", k3, mismatch, err, k3.Response)
	}
	evs, err := st.EventsReceived(ctx, "SR-K")
	if err != nil || len(evs) != 1 || evs[0].Outcome != "accepted" || evs[0].Attempts != 2 || evs[0].IdempotencyKey != "key-1" {
		t.Fatalf("log %+v %v", evs, err)
	}
	// The log stays append-only otherwise.
	for _, sql := range []string{
		`UPDATE request_events SET outcome = 'rejected' WHERE id = $1`,
		`UPDATE request_events SET body = '{}' WHERE id = $1`,
		`DELETE FROM request_events WHERE id = $1`,
	} {
		if _, err := st.Pool.Exec(ctx, sql, k.ID); err == nil {
			t.Errorf("%s: allowed", sql)
		}
	}
	if err := st.LogEvent(ctx, store.EventLog{RequestID: "SR-K", Type: "x", ActorRole: "callcentre", Body: []byte(`{}`), Outcome: "invalid", HTTPStatus: 400}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE request_events SET outcome = 'accepted' WHERE idempotency_key IS NULL`); err == nil {
		t.Error("an unkeyed row changed")
	}
}
