package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outgoing is a notification waiting in the outbox.
type Outgoing struct {
	ID        int64             `json:"id"`
	RequestID string            `json:"request_id"`
	Seq       int64             `json:"seq"`
	Idx       int               `json:"idx"`
	Audience  string            `json:"audience"`
	Recipient string            `json:"recipient"`
	Message   string            `json:"message"`
	Rule      string            `json:"rule,omitempty"`
	Lang      string            `json:"lang"`
	Params    map[string]string `json:"params"`
	Urgent    bool              `json:"urgent"`
	Attempts  int               `json:"attempts"`
	CreatedAt time.Time         `json:"created_at"`
	SentAt    *time.Time        `json:"sent_at,omitempty"`
	FailedAt  *time.Time        `json:"failed_at,omitempty"`
	LastError string            `json:"last_error,omitempty"`
}

// Key is the notification's idempotency key: a gateway that sees it twice
// must deliver once.
func (o Outgoing) Key() string { return fmt.Sprintf("%s/%d/%d", o.RequestID, o.Seq, o.Idx) }

const outgoingColumns = `id, request_id, seq, idx, audience, recipient, message, COALESCE(rule, ''), lang, params, urgent,
	attempts, created_at, sent_at, failed_at, COALESCE(last_error, '')`

func scanOutgoing(row pgx.CollectableRow) (Outgoing, error) {
	var (
		o      Outgoing
		params []byte
	)
	err := row.Scan(&o.ID, &o.RequestID, &o.Seq, &o.Idx, &o.Audience, &o.Recipient, &o.Message, &o.Rule, &o.Lang, &params,
		&o.Urgent, &o.Attempts, &o.CreatedAt, &o.SentAt, &o.FailedAt, &o.LastError)
	if err == nil {
		err = json.Unmarshal(params, &o.Params)
	}
	return o, err
}

// ClaimDue takes up to limit notifications that are due, urgent ones first,
// and leases them for lease: another notifier will not take them until the
// lease runs out (at-least-once delivery if this one dies mid-send).
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Outgoing, error) {
	rows, err := s.Pool.Query(ctx, `UPDATE notifications SET next_attempt_at = now() + $2::interval, attempts = attempts + 1
		WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
			ORDER BY urgent DESC, next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING `+outgoingColumns, limit, lease)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	return pgx.CollectRows(rows, scanOutgoing)
}

// The Mark functions record the outcome of one claim: they change the row
// only while it is still unsent, unfailed and held by that claim (its
// attempts count), so a dispatcher whose lease ran out cannot overwrite the
// result of the one that claimed the row after it.
const ownClaim = `id = $1 AND attempts = $2 AND sent_at IS NULL AND failed_at IS NULL`

// MarkSent records a delivered notification.
func (s *Store) MarkSent(ctx context.Context, o Outgoing) error {
	_, err := s.Pool.Exec(ctx, `UPDATE notifications SET sent_at = now(), last_error = NULL WHERE `+ownClaim, o.ID, o.Attempts)
	return err
}

// MarkRetry records a failed attempt; the next one is due after wait,
// counted on the database's clock (the one ClaimDue compares with).
func (s *Store) MarkRetry(ctx context.Context, o Outgoing, wait time.Duration, cause string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE notifications SET next_attempt_at = now() + $3::interval, last_error = $4 WHERE `+ownClaim,
		o.ID, o.Attempts, wait, cause)
	return err
}

// MarkFailed gives up on a notification.
func (s *Store) MarkFailed(ctx context.Context, o Outgoing, cause string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE notifications SET failed_at = now(), last_error = $3 WHERE `+ownClaim, o.ID, o.Attempts, cause)
	return err
}

// Notifications lists a request's notifications, oldest first.
func (s *Store) Notifications(ctx context.Context, requestID string) ([]Outgoing, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+outgoingColumns+` FROM notifications WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanOutgoing)
}
