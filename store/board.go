package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
)

// BoardRow is one engineer's row of the dispatch board: the engineer and
// the appointments of the day, in order.
type BoardRow struct {
	Engineer Engineer `json:"engineer"`
	Jobs     []DayJob `json:"jobs"`
}

// boardQuery reads the day of every engineer (of a region) in one query:
// per engineer, its appointments on appointments_engineer_day
// (TestBoardDayUsesTheIndex). Inactive engineers show only when they have
// an appointment that day.
const boardQuery = `SELECT e.id, e.name, e.region, e.skills, (extract(epoch FROM e.travel) / 60)::int, e.active,
		a.id, a.request_id, a.starts_at, a.ends_at, extract(epoch FROM a.travel)::bigint, a.status,
		coalesce(r.status, ''), coalesce(r.customer, '{}'), coalesce(r.product ->> 'model', ''), coalesce(r.symptoms, '')
	FROM engineers e
	LEFT JOIN LATERAL (SELECT * FROM appointments a
		WHERE a.engineer_id = e.id AND a.starts_at >= $1 AND a.starts_at < $2 AND a.status <> 'released') a ON true
	LEFT JOIN requests r ON r.id = a.request_id
	WHERE ($3 = '' OR e.region = $3) AND (e.active OR a.id IS NOT NULL)
	ORDER BY e.region, e.id, a.starts_at, a.id`

// BoardDay is the dispatch board's day: every engineer (of region, when
// one is given) with the appointments that start in [from, to), booked or
// done, each with its travel and its request's customer and product.
func (s *Store) BoardDay(ctx context.Context, from, to time.Time, region string) ([]BoardRow, error) {
	rows, err := s.Pool.Query(ctx, boardQuery, from, to, region)
	if err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	defer rows.Close()
	out := []BoardRow{}
	for rows.Next() {
		var (
			e                      Engineer
			id                     *int64
			req, status, reqStatus *string
			start, end             *time.Time
			travel                 *int64
			customer               []byte
			model, symptoms        string
		)
		if err := rows.Scan(&e.ID, &e.Name, &e.Region, &e.Skills, &e.TravelMinutes, &e.Active,
			&id, &req, &start, &end, &travel, &status, &reqStatus, &customer, &model, &symptoms); err != nil {
			return nil, fmt.Errorf("board: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Engineer.ID != e.ID {
			out = append(out, BoardRow{Engineer: e, Jobs: []DayJob{}})
		}
		if id == nil {
			continue
		}
		j := DayJob{AppointmentID: *id, RequestID: *req, Start: *start, End: *end, Travel: sop.D(time.Duration(*travel) * time.Second),
			Status: *status, RequestStatus: sop.Status(*reqStatus), Model: model, Symptoms: symptoms}
		_ = json.Unmarshal(customer, &j.Customer)
		r := &out[len(out)-1]
		r.Jobs = append(r.Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	return out, nil
}

// Unscheduled is a request waiting to be booked: scheduling, or
// awaiting_customer with the slot proposed to the customer.
type Unscheduled struct {
	RequestRow
	// Proposal is the slot proposed to the customer, as the timeline
	// wrote it ("2026-03-04 13:00–14:00 with E-1"); "" when none.
	Proposal string `json:"proposal,omitempty"`
}

// unscheduledQuery reads the waiting requests on requests_status; the
// proposal of one awaiting the customer is its last appointment_proposed
// entry (the timeline's primary key).
const unscheduledQuery = `SELECT ` + requestColumns + `,
		CASE WHEN status = 'awaiting_customer' THEN coalesce((SELECT substring(t.detail FROM 'proposed (.*), waiting for the customer') FROM timeline t
			WHERE t.request_id = requests.id AND t.kind = 'appointment_proposed' ORDER BY t.seq DESC, t.idx DESC LIMIT 1), '') ELSE '' END
	FROM requests
	WHERE status IN ('scheduling', 'awaiting_customer') AND ($1 = '' OR region = $1)
	ORDER BY created_at, id
	LIMIT $2`

// UnscheduledRequests lists the requests waiting to be booked (of region,
// when one is given), longest waiting first, at most limit (≤ 0: 200).
func (s *Store) UnscheduledRequests(ctx context.Context, region string, limit int) ([]Unscheduled, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := s.Pool.Query(ctx, unscheduledQuery, region, limit)
	if err != nil {
		return nil, fmt.Errorf("unscheduled requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unscheduled, error) {
		var (
			u        Unscheduled
			proposal string
		)
		row, err := scanRequest(scanExtra{r, &proposal})
		u.RequestRow, u.Proposal = row, proposal
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("unscheduled requests: %w", err)
	}
	if out == nil {
		out = []Unscheduled{}
	}
	return out, nil
}

// scanExtra scans a request row followed by more columns.
type scanExtra struct {
	row   pgx.Row
	extra any
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

// BoardRegions lists the regions of the active engineers (the board's filter).
func (s *Store) BoardRegions(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT region FROM engineers WHERE active ORDER BY region`)
	if err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	return out, nil
}
