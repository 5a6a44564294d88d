package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/workflows"
)

// OutboxChannel is the LISTEN/NOTIFY channel that wakes the notifier.
const OutboxChannel = "housecall_outbox"

// Commit writes one workflow step in one transaction: the request's row,
// the timeline entries, the notifications, parts, calendar changes and
// records. (RequestID, Seq) is recorded first; a step that was already
// committed (a retried or replayed activity) changes nothing.
func (s *Store) Commit(ctx context.Context, in workflows.CommitInput) (applied bool, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var evType *string
		if in.Event != nil {
			t := string(in.Event.Type)
			evType = &t
		}
		tag, err := tx.Exec(ctx, `INSERT INTO steps (request_id, seq, at, event_type) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, in.RequestID, in.Seq, in.At, evType)
		if err != nil {
			return fmt.Errorf("record step: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // committed before
		}
		applied = true
		if err := upsertProjection(ctx, tx, in); err != nil {
			return err
		}
		for i, e := range in.Entries {
			missing := e.Missing
			if missing == nil {
				missing = []string{}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO timeline (request_id, seq, idx, at, kind, rule, actor, detail, outcome, trip, missing)
				VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7, $8, NULLIF($9, ''), $10, $11)`,
				in.RequestID, in.Seq, i, e.At, e.Kind, e.Rule, e.Actor, e.Detail, e.Outcome, e.Trip, missing); err != nil {
				return fmt.Errorf("timeline entry %d: %w", i, err)
			}
		}
		for i, n := range in.Notifications {
			if n.Params == nil {
				n.Params = map[string]string{}
			}
			params, err := json.Marshal(n.Params)
			if err != nil {
				return fmt.Errorf("notification %d params: %w", i, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (request_id, seq, idx, audience, recipient, message, rule, lang, params, urgent)
				VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $9, $10) ON CONFLICT DO NOTHING`,
				in.RequestID, in.Seq, i, n.To, n.Recipient, n.Message, n.Rule, n.Lang, params, n.Urgent); err != nil {
				return fmt.Errorf("notification %d: %w", i, err)
			}
		}
		if len(in.Notifications) > 0 {
			if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, OutboxChannel, in.RequestID); err != nil {
				return fmt.Errorf("notify outbox: %w", err)
			}
		}
		for _, p := range in.PartsRequisition {
			if _, err := tx.Exec(ctx, `INSERT INTO parts_requisitions (request_id, seq, part) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				in.RequestID, in.Seq, p); err != nil {
				return fmt.Errorf("requisition %q: %w", p, err)
			}
		}
		if in.ReleaseAppointment != 0 {
			if _, err := tx.Exec(ctx, `UPDATE appointments SET status = 'released', updated_at = now()
				WHERE id = $1 AND request_id = $2 AND status = 'booked'`, in.ReleaseAppointment, in.RequestID); err != nil {
				return fmt.Errorf("release appointment %d: %w", in.ReleaseAppointment, err)
			}
		}
		if in.FinishAppointment != 0 {
			if _, err := tx.Exec(ctx, `UPDATE appointments SET status = 'done', updated_at = now()
				WHERE id = $1 AND request_id = $2 AND status = 'booked'`, in.FinishAppointment, in.RequestID); err != nil {
				return fmt.Errorf("finish appointment %d: %w", in.FinishAppointment, err)
			}
		}
		if r := in.ServiceRecord; r != nil {
			parts := r.Record.PartsUsed
			if parts == nil {
				parts = []string{}
			}
			var appt *int64
			if r.AppointmentID != 0 {
				appt = &r.AppointmentID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO service_records (request_id, visit, engineer_id, appointment_id, cause, measures,
				parts_used, charge, quality_rating, attitude_rating, satisfied, signed, fix_certain, completed_at, signature_png)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING`,
				in.RequestID, r.Visit, r.Engineer, appt, r.Record.Cause, r.Record.Measures, parts, r.Record.Charge,
				r.QualityRating, r.AttitudeRating, r.Satisfied, r.SignedByCustomer, r.FixCertain, r.CompletedAt,
				signaturePNG(r.Signature)); err != nil {
				return fmt.Errorf("service record of visit %d: %w", r.Visit, err)
			}
		}
		if g := in.Suggestion; g != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO suggestions (request_id, seq, model, text, heard_by, heard_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, in.RequestID, in.Seq, g.Model, g.Text, g.HeardBy, in.At); err != nil {
				return fmt.Errorf("suggestion: %w", err)
			}
		}
		if c := in.CardReturned; c != nil {
			if _, err := tx.Exec(ctx, `UPDATE service_records SET card_returned_at = $3
				WHERE request_id = $1 AND visit = $2 AND card_returned_at IS NULL`, in.RequestID, c.Visit, c.At); err != nil {
				return fmt.Errorf("card of visit %d: %w", c.Visit, err)
			}
		}
		if c := in.Confirmation; c != nil {
			// R10.2: the customer's own confirmation, which the daily
			// reconciliation reads.
			if _, err := tx.Exec(ctx, `UPDATE service_records SET customer_confirmed = $3, confirmed_at = $4
				WHERE request_id = $1 AND visit = $2`, in.RequestID, c.Visit, c.Satisfied, c.At); err != nil {
				return fmt.Errorf("confirmation of visit %d: %w", c.Visit, err)
			}
		}
		return nil
	})
	return applied, err
}

func upsertProjection(ctx context.Context, tx pgx.Tx, in workflows.CommitInput) error {
	p := in.Projection
	customer, _ := json.Marshal(p.Customer)
	product, _ := json.Marshal(p.Product)
	var start, end any
	if p.Appointment != nil {
		start, end = p.Appointment.Start, p.Appointment.End
	}
	var engineer *string
	if p.Engineer != "" {
		engineer = &p.Engineer
	}
	pending := p.Pending
	if pending == nil {
		pending = []workflows.Pending{}
	}
	pendingJSON, _ := json.Marshal(pending)
	var nextDue *time.Time
	for _, w := range pending {
		if w.At != nil && (nextDue == nil || w.At.Before(*nextDue)) {
			nextDue = w.At
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO requests (id, kind, status, customer, product, symptoms, engineer_id,
			appointment_start, appointment_end, visits, warranty, seq, created_at, updated_at, pending, next_due)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12, $13, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, customer = EXCLUDED.customer,
			product = EXCLUDED.product, symptoms = EXCLUDED.symptoms, engineer_id = EXCLUDED.engineer_id,
			appointment_start = EXCLUDED.appointment_start, appointment_end = EXCLUDED.appointment_end,
			visits = EXCLUDED.visits, warranty = EXCLUDED.warranty, seq = EXCLUDED.seq, updated_at = EXCLUDED.updated_at,
			pending = EXCLUDED.pending, next_due = EXCLUDED.next_due
		WHERE requests.seq < EXCLUDED.seq`,
		in.RequestID, p.Kind, p.Status, customer, product, p.Symptoms, engineer, start, end, p.Visits, p.Warranty, in.Seq, in.At,
		pendingJSON, nextDue)
	if err != nil {
		return fmt.Errorf("request row: %w", err)
	}
	return nil
}
