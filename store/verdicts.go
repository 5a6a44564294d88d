package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The auditor's verdict cache (migration 011). Rebuilding every request's
// Temporal history on each view of the compliance page does not scale, so
// the verdicts of each request's audit report are kept here, labelled with
// the requests.seq they were built at.
//
// Why the cache can never lie: a verdict is a function of the request's
// committed steps alone (audit.Judge reads the steps, never the clock), and
// every step the workflow commits moves requests.seq forward (Commit's
// upsert, WHERE requests.seq < EXCLUDED.seq). The judge reads requests.seq
// BEFORE it fetches the history, so the history it judges holds at least
// the steps up to that seq; the verdicts are saved under that seq. A cached
// verdict counts only while its seq equals requests.seq: the moment another
// step is committed it is stale, shown as "not yet judged", and judged again.

// VerdictRow is one rule's verdict on one request.
type VerdictRow struct {
	Rule   string `json:"rule"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// RequestSeq is a request and the seq of its last committed step.
type RequestSeq struct {
	ID  string
	Seq int64
}

// RequestSeqOf returns the seq of a request's last committed step.
func (s *Store) RequestSeqOf(ctx context.Context, id string) (int64, error) {
	var seq int64
	err := s.Pool.QueryRow(ctx, `SELECT seq FROM requests WHERE id = $1`, id).Scan(&seq)
	if err == pgx.ErrNoRows {
		return 0, ErrNotFound
	}
	return seq, err
}

// StaleVerdicts lists the requests created in [from, to) whose cached
// verdicts are missing or older than their last step, oldest first.
func (s *Store) StaleVerdicts(ctx context.Context, from, to time.Time, limit int) ([]RequestSeq, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.Pool.Query(ctx, `SELECT r.id, r.seq FROM requests r
		LEFT JOIN verdicts_judged j ON j.request_id = r.id
		WHERE r.created_at >= $1 AND r.created_at < $2 AND (j.seq IS NULL OR j.seq < r.seq)
		ORDER BY r.created_at, r.id LIMIT $3`, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("stale verdicts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[RequestSeq])
}

// SaveVerdicts replaces a request's cached verdicts with those judged at
// seq. A judgement at a seq no newer than the one cached is dropped (two
// judges raced; the later step wins): saved reports whether these were kept.
func (s *Store) SaveVerdicts(ctx context.Context, id string, seq int64, vs []VerdictRow) (saved bool, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO verdicts_judged (request_id, seq) VALUES ($1, $2)
			ON CONFLICT (request_id) DO UPDATE SET seq = EXCLUDED.seq, judged_at = now()
			WHERE verdicts_judged.seq < EXCLUDED.seq`, id, seq)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		saved = true
		if _, err := tx.Exec(ctx, `DELETE FROM verdicts WHERE request_id = $1`, id); err != nil {
			return err
		}
		rows := make([][]any, 0, len(vs))
		for _, v := range vs {
			rows = append(rows, []any{id, v.Rule, v.Status, v.Detail, seq})
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"verdicts"}, []string{"request_id", "rule", "status", "detail", "seq"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save verdicts of %s: %w", id, err)
	}
	return saved, nil
}

// CachedVerdicts returns a request's cached verdicts and the seq they were
// judged at (0 and none: never judged).
func (s *Store) CachedVerdicts(ctx context.Context, id string) (int64, []VerdictRow, error) {
	var seq int64
	err := s.Pool.QueryRow(ctx, `SELECT seq FROM verdicts_judged WHERE request_id = $1`, id).Scan(&seq)
	if err == pgx.ErrNoRows {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT rule, status, detail FROM verdicts WHERE request_id = $1 ORDER BY rule`, id)
	if err != nil {
		return 0, nil, err
	}
	vs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[VerdictRow])
	return seq, vs, err
}

// Coverage counts the requests created in [from, to) and those among them
// whose verdicts are judged at their last step.
func (s *Store) Coverage(ctx context.Context, from, to time.Time) (judged, total int, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT count(j.request_id) FILTER (WHERE j.seq >= r.seq), count(*) FROM requests r
		LEFT JOIN verdicts_judged j ON j.request_id = r.id
		WHERE r.created_at >= $1 AND r.created_at < $2`, from, to).Scan(&judged, &total)
	return judged, total, err
}

// RuleCompliance counts one rule's verdicts across requests.
type RuleCompliance struct {
	Rule          string
	Met           int
	Breached      int
	NotApplicable int
	// Breaches are the requests that breached it.
	Breaches []string
}

// Rate is met / (met + breached), or -1 when the rule never applied.
func (c RuleCompliance) Rate() float64 {
	if c.Met+c.Breached == 0 {
		return -1
	}
	return float64(c.Met) / float64(c.Met+c.Breached)
}

// Compliance counts, per rule, the verdicts on the requests created in
// [from, to) — only those judged at their last step (stale verdicts are not
// counted: Coverage says how many are).
func (s *Store) Compliance(ctx context.Context, from, to time.Time) ([]RuleCompliance, error) {
	rows, err := s.Pool.Query(ctx, `SELECT v.rule,
			count(*) FILTER (WHERE v.status = 'met'),
			count(*) FILTER (WHERE v.status = 'breached'),
			count(*) FILTER (WHERE v.status = 'not_applicable'),
			COALESCE(array_agg(v.request_id ORDER BY v.request_id) FILTER (WHERE v.status = 'breached'), '{}')
		FROM verdicts v JOIN requests r ON r.id = v.request_id
		WHERE r.created_at >= $1 AND r.created_at < $2 AND v.seq >= r.seq
		GROUP BY v.rule`, from, to)
	if err != nil {
		return nil, fmt.Errorf("compliance: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[RuleCompliance])
}

const searchQuery = `SELECT ` + requestColumns + ` FROM requests WHERE id IN (
		SELECT id FROM requests WHERE id = $1 OR id = upper($1)
		UNION SELECT id FROM requests WHERE customer ->> 'phone' = $1
		UNION SELECT id FROM requests WHERE product ->> 'serial' = $1)
	ORDER BY updated_at DESC, id LIMIT $2`

// SearchRequests finds requests by id, the customer's phone or the
// product's serial (exact; each on its index: the primary key,
// requests_phone, requests_serial of migration 007), newest first.
func (s *Store) SearchRequests(ctx context.Context, q string, limit int) ([]RequestRow, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return []RequestRow{}, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.Pool.Query(ctx, searchQuery, q, limit)
	if err != nil {
		return nil, fmt.Errorf("search requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RequestRow, error) { return scanRequest(r) })
	if out == nil {
		out = []RequestRow{}
	}
	return out, err
}
