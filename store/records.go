package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Records is everything PostgreSQL holds of one request that a workflow
// step wrote: what `housecall audit check` compares with the history.
type Records struct {
	RequestID string
	// Row is the request's row; nil when PostgreSQL has none.
	Row           *RecordedRow
	Steps         []RecordedStep
	Entries       []RecordedEntry
	Notifications []RecordedNotification
	Appointments  []RecordedAppointment
	Services      []RecordedService
	Suggestions   []RecordedSuggestion
}

// RecordedRow is the projection in the requests table.
type RecordedRow struct {
	Status   string
	Seq      int64
	Engineer string
}

// RecordedStep is a row of steps.
type RecordedStep struct {
	Seq       int64
	At        time.Time
	EventType string
}

// RecordedEntry is a row of timeline.
type RecordedEntry struct {
	Seq     int64
	Idx     int
	At      time.Time
	Kind    string
	Rule    string
	Actor   string
	Detail  string
	Outcome string
	Trip    int
}

// RecordedSuggestion is a row of suggestions (R12.9).
type RecordedSuggestion struct {
	Seq   int64
	Model string
	Text  string
}

// RecordedNotification is a row of the outbox written by a step (seq ≥ 0;
// the reconciliation's notices for ended requests are outside any step).
type RecordedNotification struct {
	Seq       int64
	Idx       int
	Audience  string
	Recipient string
	Message   string
	Rule      string
	Urgent    bool
	Sent      bool
}

// RecordedAppointment is a row of the calendar.
type RecordedAppointment struct {
	ID       int64
	Engineer string
	Start    time.Time
	Status   string
	Key      string
}

// RecordedService is a row of service_records.
type RecordedService struct {
	Visit        int
	Engineer     string
	Satisfied    bool
	CompletedAt  time.Time
	CardReturned *time.Time
	// Confirmed is what the customer said of the visit (R10.2), when they did.
	Confirmed   *bool
	ConfirmedAt *time.Time
}

// Records reads what PostgreSQL holds of a request, ordered by step.
func (s *Store) Records(ctx context.Context, id string) (Records, error) {
	r := Records{RequestID: id}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var row RecordedRow
		var engineer *string
		err := tx.QueryRow(ctx, `SELECT status, seq, engineer_id FROM requests WHERE id = $1`, id).Scan(&row.Status, &row.Seq, &engineer)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("request row: %w", err)
		default:
			if engineer != nil {
				row.Engineer = *engineer
			}
			r.Row = &row
		}
		rows, _ := tx.Query(ctx, `SELECT seq, at, coalesce(event_type, '') FROM steps WHERE request_id = $1 ORDER BY seq`, id)
		if r.Steps, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedStep]); err != nil {
			return fmt.Errorf("steps: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT seq, idx, at, kind, coalesce(rule, ''), actor, detail, coalesce(outcome, ''), trip FROM timeline WHERE request_id = $1 ORDER BY seq, idx`, id)
		if r.Entries, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedEntry]); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT seq, idx, audience, recipient, message, coalesce(rule, ''), urgent, sent_at IS NOT NULL
			FROM notifications WHERE request_id = $1 AND seq >= 0 ORDER BY seq, idx`, id)
		if r.Notifications, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedNotification]); err != nil {
			return fmt.Errorf("notifications: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT id, engineer_id, starts_at, status, booking_key FROM appointments WHERE request_id = $1 ORDER BY id`, id)
		if r.Appointments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedAppointment]); err != nil {
			return fmt.Errorf("appointments: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT visit, engineer_id, satisfied, completed_at, card_returned_at, customer_confirmed, confirmed_at
			FROM service_records WHERE request_id = $1 ORDER BY visit`, id)
		if r.Services, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedService]); err != nil {
			return fmt.Errorf("service records: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT seq, model, text FROM suggestions WHERE request_id = $1 ORDER BY seq`, id)
		if r.Suggestions, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordedSuggestion]); err != nil {
			return fmt.Errorf("suggestions: %w", err)
		}
		return nil
	})
	return r, err
}

// RequestIDs lists every request PostgreSQL knows of (a row or a step),
// oldest first, for `housecall audit check --all`.
func (s *Store) RequestIDs(ctx context.Context) ([]string, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id FROM (
			SELECT id, created_at AS t FROM requests
			UNION ALL SELECT request_id, min(committed_at) FROM steps GROUP BY request_id
			UNION ALL SELECT request_id, min(created_at) FROM appointments GROUP BY request_id) r
		GROUP BY id ORDER BY min(t), id`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("request ids: %w", err)
	}
	return ids, nil
}
