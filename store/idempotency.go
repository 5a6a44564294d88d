package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// KeyedEvent is the log row of an event sent with an Idempotency-Key.
type KeyedEvent struct {
	ID          int64
	Fingerprint string
	UpdateID    string
	Outcome     string
	HTTPStatus  int
	Reason      string
	Response    []byte // the answer's body, once the outcome is final
	Attempts    int
}

// Final reports whether the outcome is the event's last word: it was
// applied, or the workflow refused it. pending (in flight), error (the
// outcome is unknown: a timeout, Temporal unavailable), not_found and ended
// are not: a retry with the same key asks again.
func (k KeyedEvent) Final() bool { return FinalOutcome(k.Outcome) }

// FinalOutcome reports whether an outcome of a keyed event is final.
func FinalOutcome(outcome string) bool {
	switch outcome {
	case "pending", "error", "not_found", "ended":
		return false
	}
	return true
}

// ReserveEvent logs an event sent with an Idempotency-Key before it is sent
// (outcome pending), once per (request, key). When the key is known, it
// counts an attempt and returns the existing row (created false) — unless
// the fingerprint differs, when the row is returned untouched with
// mismatch true.
func (s *Store) ReserveEvent(ctx context.Context, e EventLog, key, fingerprint, updateID string) (k KeyedEvent, created, mismatch bool, err error) {
	body := e.Body
	if !json.Valid(body) {
		body, _ = json.Marshal(map[string]string{"raw": string(e.Body)})
	}
	scan := func(row pgx.Row, extra ...any) error {
		var resp []byte
		dst := append([]any{&k.ID, &k.Fingerprint, &k.UpdateID, &k.Outcome, &k.HTTPStatus, &k.Reason, &resp, &k.Attempts}, extra...)
		if err := row.Scan(dst...); err != nil {
			return err
		}
		k.Response = resp
		return nil
	}
	const cols = `id, fingerprint, update_id, outcome, http_status, COALESCE(reason, ''), response, attempts`
	err = scan(s.Pool.QueryRow(ctx, `INSERT INTO request_events (request_id, type, actor_role, actor_subject, body, outcome, http_status,
			idempotency_key, fingerprint, update_id)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, 'pending', 0, $6, $7, $8)
		ON CONFLICT (request_id, idempotency_key) WHERE idempotency_key IS NOT NULL
		DO UPDATE SET attempts = request_events.attempts + 1, updated_at = now()
		WHERE request_events.fingerprint = EXCLUDED.fingerprint
		RETURNING `+cols+`, (xmax = 0)`,
		e.RequestID, e.Type, e.ActorRole, e.ActorSubject, body, key, fingerprint, updateID), &created)
	if errors.Is(err, pgx.ErrNoRows) {
		// The key is known with another fingerprint.
		err = scan(s.Pool.QueryRow(ctx, `SELECT `+cols+` FROM request_events WHERE request_id = $1 AND idempotency_key = $2`, e.RequestID, key))
		return k, false, true, wrap("reserve event", err)
	}
	return k, created, false, wrap("reserve event", err)
}

// FinishEvent records the outcome of a keyed event. A final outcome already
// recorded (by a concurrent retry) is kept.
func (s *Store) FinishEvent(ctx context.Context, id int64, outcome string, status int, reason string, response []byte) error {
	var resp any
	if response != nil {
		resp = response
	}
	_, err := s.Pool.Exec(ctx, `UPDATE request_events SET outcome = $2, http_status = $3, reason = NULLIF($4, ''), response = $5, updated_at = now()
		WHERE id = $1 AND outcome IN ('pending', 'error', 'not_found', 'ended')`, id, outcome, status, reason, resp)
	return wrap("finish event", err)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
