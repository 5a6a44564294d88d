package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// RequestRow is a request as the call centre's lists show it.
type RequestRow struct {
	ID          string          `json:"id"`
	Kind        sop.RequestKind `json:"kind"`
	Status      sop.Status      `json:"status"`
	Customer    sop.Customer    `json:"customer"`
	Product     sop.Product     `json:"product"`
	Symptoms    string          `json:"symptoms"`
	Engineer    string          `json:"engineer,omitempty"`
	Appointment *sop.Window     `json:"appointment,omitempty"`
	Visits      int             `json:"visits"`
	Warranty    string          `json:"warranty,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Pending is what it waits for (events and clocks), as of its last step.
	Pending []workflows.Pending `json:"pending"`
	// NextDue is the earliest of its clocks.
	NextDue *time.Time `json:"next_due,omitempty"`
}

// RequestFilter narrows a list of requests.
type RequestFilter struct {
	Status   sop.Status
	Engineer string
	Region   string
	Limit    int
	// Before pages: only requests updated before this instant.
	Before time.Time
}

const requestColumns = `id, kind, status, customer, product, symptoms, engineer_id, appointment_start, appointment_end,
	visits, warranty, created_at, updated_at, pending, next_due`

func scanRequest(row pgx.Row) (RequestRow, error) {
	var (
		r                  RequestRow
		customer, product  []byte
		pending            []byte
		engineer, warranty *string
		start, end         *time.Time
	)
	if err := row.Scan(&r.ID, &r.Kind, &r.Status, &customer, &product, &r.Symptoms, &engineer, &start, &end,
		&r.Visits, &warranty, &r.CreatedAt, &r.UpdatedAt, &pending, &r.NextDue); err != nil {
		return r, err
	}
	_ = json.Unmarshal(customer, &r.Customer)
	_ = json.Unmarshal(product, &r.Product)
	_ = json.Unmarshal(pending, &r.Pending)
	if r.Pending == nil {
		r.Pending = []workflows.Pending{}
	}
	if engineer != nil {
		r.Engineer = *engineer
	}
	if warranty != nil {
		r.Warranty = *warranty
	}
	if start != nil && end != nil {
		r.Appointment = &sop.Window{Start: *start, End: *end}
	}
	return r, nil
}

// listQuery is the SQL of ListRequests for a filter.
func listQuery(f RequestFilter) (string, []any) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	// The WHERE clause names only the filters given, so that each
	// combination is planned on its own index (requests_status,
	// requests_engineer, requests_region, requests_updated): a generic
	// "($1 = '' OR status = $1)" cannot use one, and at 100,000 requests
	// that is a scan of the table (TestListPlansUseIndexes).
	var c conds
	c.byRequest(f.Status, f.Engineer, f.Region)
	if !f.Before.IsZero() {
		c.add("updated_at < $?", f.Before)
	}
	return recentFirst(`SELECT `+requestColumns+` FROM requests`, c.where, c.args, f.Limit)
}

// conds are the conditions of a list of requests and their arguments.
type conds struct {
	where []string
	args  []any
}

// add appends cond, whose $? placeholders all stand for v, the next argument.
func (c *conds) add(cond string, v any) {
	c.args = append(c.args, v)
	c.where = append(c.where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(c.args))))
}

// byRequest adds the filters the call centre's lists share, only those
// given (listQuery says why).
func (c *conds) byRequest(status sop.Status, engineer, region string) {
	if status != "" {
		c.add("status = $?", string(status))
	}
	if engineer != "" {
		c.add("engineer_id = $?", engineer)
	}
	if region != "" {
		c.add("region = $?", region)
	}
}

// recentFirst completes a list query of requests: its conditions, most
// recently changed first, at most limit rows (the last argument).
func recentFirst(q string, where []string, args []any, limit int) (string, []any) {
	return orderedList(q, where, args, limit, `updated_at DESC, id`)
}

// fewFirst is recentFirst for conditions that match a few rows (a search
// by id, phone or serial): the matches are found on their own indexes and
// then sorted. Ordered by updated_at itself, the planner may walk the
// recency index backwards hoping to meet LIMIT matches early — with one
// match among 100,000 requests it reads them all (130 ms, make bench
// --console-requests 100000).
func fewFirst(q string, where []string, args []any, limit int) (string, []any) {
	return orderedList(q, where, args, limit, `updated_at + interval '0 s' DESC, id`)
}

func orderedList(q string, where []string, args []any, limit int, order string) (string, []any) {
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY %s LIMIT $%d`, order, len(args))
	return q, args
}

// ListRequests returns requests, most recently changed first.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]RequestRow, error) {
	q, args := listQuery(f)
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RequestRow, error) { return scanRequest(r) })
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	if out == nil {
		out = []RequestRow{}
	}
	return out, nil
}

// GetRequest returns one request's row.
func (s *Store) GetRequest(ctx context.Context, id string) (RequestRow, error) {
	r, err := scanRequest(s.Pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// TimelineRow is one entry of the timeline table.
type TimelineRow struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Rule   string    `json:"rule,omitempty"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
}

// Timeline returns the entries the workflow committed for a request, in order.
func (s *Store) Timeline(ctx context.Context, id string) ([]TimelineRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT seq, at, kind, COALESCE(rule, ''), actor, detail FROM timeline
		WHERE request_id = $1 ORDER BY seq, idx`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[TimelineRow])
}

// EventLog is one event as the API received it.
type EventLog struct {
	RequestID    string
	Type         string
	ActorRole    string
	ActorSubject string
	Body         []byte
	Outcome      string // accepted, invalid, rejected, forbidden, not_found, error, ended (pending: keyed, in flight)
	HTTPStatus   int
	Reason       string
}

// LogEvent appends to the log of every event received without an
// Idempotency-Key, or refused before it was sent (ReserveEvent logs the rest).
func (s *Store) LogEvent(ctx context.Context, e EventLog) error {
	body := e.Body
	if !json.Valid(body) {
		body, _ = json.Marshal(map[string]string{"raw": string(e.Body)})
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO request_events (request_id, type, actor_role, actor_subject, body, outcome, http_status, reason)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, NULLIF($8, ''))`,
		e.RequestID, e.Type, e.ActorRole, e.ActorSubject, body, e.Outcome, e.HTTPStatus, e.Reason)
	if err != nil {
		return fmt.Errorf("log event: %w", err)
	}
	return nil
}

// ReceivedEvent is a row of the event log.
type ReceivedEvent struct {
	ID           int64           `json:"id"`
	Type         string          `json:"type"`
	ActorRole    string          `json:"actor_role"`
	ActorSubject string          `json:"actor_subject,omitempty"`
	Body         json.RawMessage `json:"body"`
	Outcome      string          `json:"outcome"`
	HTTPStatus   int             `json:"http_status"`
	Reason       string          `json:"reason,omitempty"`
	ReceivedAt   time.Time       `json:"received_at"`
	// IdempotencyKey is the key the event was sent with; Attempts counts
	// the calls with that key (retries add no row).
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Attempts       int       `json:"attempts"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// EventsReceived returns the events received for a request, oldest first.
func (s *Store) EventsReceived(ctx context.Context, id string) ([]ReceivedEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, type, actor_role, COALESCE(actor_subject, ''), body, outcome, http_status,
		COALESCE(reason, ''), received_at, COALESCE(idempotency_key, ''), attempts, updated_at
		FROM request_events WHERE request_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ReceivedEvent])
}
