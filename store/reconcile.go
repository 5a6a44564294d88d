package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// Reconcile compares the service cards of visits completed up to in.At with
// what the customers confirmed (R10.2), in one transaction:
//   - a visit marked satisfied that the customer's own confirmation
//     (satisfaction_confirmed) says was not is flagged;
//   - a visit marked satisfied that the customer did not sign (R8.2) and has
//     not confirmed is not flagged: the request asks the customer to confirm
//     (ReconciledVisit.Confirm), and is judged on the answer;
//   - a card not returned by the end of its visit's day (R10.1) is flagged;
//   - a card whose day is not over and that is not back yet waits for the
//     next run.
//
// Each card is reconciled once. The run's key makes a retried call return
// the result it already stored.
func (s *Store) Reconcile(ctx context.Context, in workflows.ReconcileCardsInput) (workflows.ReconcileResult, error) {
	res := workflows.ReconcileResult{At: in.At, Visits: []workflows.ReconciledVisit{}}
	loc := time.FixedZone("service", in.UTCOffsetSeconds)
	done := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO reconciliations (run_key, run_at) VALUES ($1, $2)
			ON CONFLICT (run_key) DO NOTHING RETURNING id`, in.Key, in.At).Scan(&res.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			done = true // reconciled before: read the stored result below
			return nil
		}
		if err != nil {
			return fmt.Errorf("start reconciliation %s: %w", in.Key, err)
		}
		rows, err := tx.Query(ctx, `SELECT request_id, visit, engineer_id, satisfied, signed, completed_at, card_returned_at, customer_confirmed
			FROM service_records WHERE reconciled_at IS NULL AND completed_at <= $1 ORDER BY completed_at, request_id, visit FOR UPDATE`, in.At)
		if err != nil {
			return fmt.Errorf("cards to reconcile: %w", err)
		}
		type card struct {
			req, engineer     string
			visit             int
			satisfied, signed bool
			completed         time.Time
			returned          *time.Time
			confirmed         *bool
		}
		cards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (card, error) {
			var c card
			err := r.Scan(&c.req, &c.visit, &c.engineer, &c.satisfied, &c.signed, &c.completed, &c.returned, &c.confirmed)
			return c, err
		})
		if err != nil {
			return fmt.Errorf("cards to reconcile: %w", err)
		}
		for _, c := range cards {
			due := sop.CardDue(c.completed, loc)
			if c.returned == nil && due.After(in.At) {
				res.Deferred++ // its day is not over: the engineer may still return it
				continue
			}
			v := workflows.ReconciledVisit{RequestID: c.req, Visit: c.visit, Engineer: c.engineer}
			switch {
			case c.satisfied && c.confirmed != nil && !*c.confirmed:
				v.Flags = append(v.Flags, workflows.Flag{Reason: workflows.FlagCustomerContradicts,
					Detail: "marked satisfied, but the customer's own confirmation says not satisfied: suspected falsification"})
			case c.satisfied && !c.signed && c.confirmed == nil:
				v.Confirm = true // R8.2: never forced to sign; the customer is asked to confirm
			}
			if c.returned == nil {
				v.Flags = append(v.Flags, workflows.Flag{Reason: workflows.FlagCardNotReturned,
					Detail: fmt.Sprintf("service card not returned by the end of the visit day (%s)", due.Format("2006-01-02")) + ": suspected falsification"})
			}
			for _, f := range v.Flags {
				if _, err := tx.Exec(ctx, `INSERT INTO reconciliation_flags (reconciliation_id, request_id, visit, engineer_id, reason, detail)
					VALUES ($1, $2, $3, $4, $5, $6)`, res.ID, c.req, c.visit, c.engineer, f.Reason, f.Detail); err != nil {
					return fmt.Errorf("flag %s visit %d: %w", c.req, c.visit, err)
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE service_records SET reconciled_at = $3, reconciliation_id = $4,
				confirmation_asked_at = CASE WHEN $5 THEN $3::timestamptz END WHERE request_id = $1 AND visit = $2`,
				c.req, c.visit, in.At, res.ID, v.Confirm); err != nil {
				return fmt.Errorf("mark %s visit %d reconciled: %w", c.req, c.visit, err)
			}
			res.Cards++
			if len(v.Flags) > 0 {
				res.Flagged++
			} else {
				res.Clean++
			}
			if v.Confirm {
				res.Unconfirmed++
			}
			res.Visits = append(res.Visits, v)
		}
		_, err = tx.Exec(ctx, `UPDATE reconciliations SET cards = $2, clean = $3, flagged = $4, deferred = $5, unconfirmed = $6 WHERE id = $1`,
			res.ID, res.Cards, res.Clean, res.Flagged, res.Deferred, res.Unconfirmed)
		return err
	})
	if err != nil || !done {
		return res, err
	}
	runs, err := s.reconciliations(ctx, `WHERE run_key = $1`, in.Key)
	if err != nil || len(runs) == 0 {
		return res, fmt.Errorf("reconciliation %s: %w", in.Key, err)
	}
	return runs[0].Result(), nil
}

// ReconciliationRun is a stored reconciliation (GET /v1/reconciliations).
type ReconciliationRun struct {
	ID       int64     `json:"id"`
	RunKey   string    `json:"run_key"`
	RunAt    time.Time `json:"run_at"`
	Cards    int       `json:"cards"`
	Clean    int       `json:"clean"`
	Flagged  int       `json:"flagged"`
	Deferred int       `json:"deferred"`
	// Unconfirmed counts the unsigned cards whose customers are asked to confirm (R10.2).
	Unconfirmed int `json:"unconfirmed"`
	// Visits lists every card the run looked at, with its flags.
	Visits []workflows.ReconciledVisit `json:"visits"`
}

// Result converts a stored run to the workflow's result.
func (r ReconciliationRun) Result() workflows.ReconcileResult {
	return workflows.ReconcileResult{ID: r.ID, At: r.RunAt, Cards: r.Cards, Clean: r.Clean, Flagged: r.Flagged, Deferred: r.Deferred,
		Unconfirmed: r.Unconfirmed, Visits: r.Visits}
}

// Reconciliations lists the latest runs, newest first.
func (s *Store) Reconciliations(ctx context.Context, limit int) ([]ReconciliationRun, error) {
	if limit <= 0 || limit > 365 {
		limit = 30
	}
	return s.reconciliations(ctx, `ORDER BY run_at DESC, id DESC LIMIT $1`, limit)
}

func (s *Store) reconciliations(ctx context.Context, where string, arg any) ([]ReconciliationRun, error) {
	rows, err := s.Pool.Query(ctx, `SELECT r.id, r.run_key, r.run_at, r.cards, r.clean, r.flagged, r.deferred, r.unconfirmed,
			COALESCE((SELECT json_agg(json_build_object('request_id', sr.request_id, 'visit', sr.visit, 'engineer', sr.engineer_id,
				'confirm', sr.confirmation_asked_at IS NOT NULL,
				'flags', (SELECT json_agg(json_build_object('reason', f.reason, 'detail', f.detail) ORDER BY f.reason)
					FROM reconciliation_flags f WHERE f.reconciliation_id = r.id AND f.request_id = sr.request_id AND f.visit = sr.visit))
				ORDER BY sr.completed_at, sr.request_id, sr.visit)
			FROM service_records sr WHERE sr.reconciliation_id = r.id), '[]')
		FROM reconciliations r `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("reconciliations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReconciliationRun, error) {
		var (
			run    ReconciliationRun
			visits []byte
		)
		if err := r.Scan(&run.ID, &run.RunKey, &run.RunAt, &run.Cards, &run.Clean, &run.Flagged, &run.Deferred, &run.Unconfirmed, &visits); err != nil {
			return run, err
		}
		return run, json.Unmarshal(visits, &run.Visits)
	})
	if err != nil {
		return nil, fmt.Errorf("reconciliations: %w", err)
	}
	if out == nil {
		out = []ReconciliationRun{}
	}
	return out, nil
}

// NotifyCentreOutsideAStep queues a notification to the centre that no
// workflow step carries (the request's workflow has ended). key makes it
// idempotent: (request, key, idx) is queued once.
func (s *Store) NotifyCentreOutsideAStep(ctx context.Context, requestID string, key int64, idx int, msg sop.Message, rule sop.Rule, params map[string]string) error {
	b, err := json.Marshal(params)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `INSERT INTO notifications (request_id, seq, idx, audience, message, rule, params, urgent)
		VALUES ($1, $2, $3, 'centre', $4, $5, $6, true) ON CONFLICT DO NOTHING`, requestID, key, idx, msg, rule, b)
	if err == nil {
		_, err = s.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, OutboxChannel, requestID)
	}
	return err
}
