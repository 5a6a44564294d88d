package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
)

// DayJob is one appointment of an engineer's day, with what the engineer
// needs to get there.
type DayJob struct {
	AppointmentID int64        `json:"appointment_id"`
	RequestID     string       `json:"request_id"`
	Start         time.Time    `json:"start"`
	End           time.Time    `json:"end"`
	Travel        sop.Duration `json:"travel"`
	Status        string       `json:"status"` // booked or done
	RequestStatus sop.Status   `json:"request_status"`
	Customer      sop.Customer `json:"customer"`
	Model         string       `json:"model"`
	Symptoms      string       `json:"symptoms"`
}

// dayQuery reads an engineer's day on appointments_engineer_day
// (TestListPlansUseIndexes).
const dayQuery = `SELECT a.id, a.request_id, a.starts_at, a.ends_at, extract(epoch FROM a.travel)::bigint, a.status,
		coalesce(r.status, ''), coalesce(r.customer, '{}'), coalesce(r.product ->> 'model', ''), coalesce(r.symptoms, '')
	FROM appointments a LEFT JOIN requests r ON r.id = a.request_id
	WHERE a.engineer_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 AND a.status <> 'released'
	ORDER BY a.starts_at, a.id`

// EngineerDay lists an engineer's appointments that start in [from, to),
// booked or done (released ones are gone), in order, with each request's
// customer and product: the engineer's day and a row of the dispatch board.
func (s *Store) EngineerDay(ctx context.Context, engineer string, from, to time.Time) ([]DayJob, error) {
	rows, _ := s.Pool.Query(ctx, dayQuery, engineer, from, to)
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DayJob, error) {
		var (
			j        DayJob
			travel   int64
			customer []byte
		)
		if err := r.Scan(&j.AppointmentID, &j.RequestID, &j.Start, &j.End, &travel, &j.Status, &j.RequestStatus, &customer, &j.Model, &j.Symptoms); err != nil {
			return j, err
		}
		j.Travel = sop.D(time.Duration(travel) * time.Second)
		return j, json.Unmarshal(customer, &j.Customer)
	})
	if err != nil {
		return nil, fmt.Errorf("day of %s: %w", engineer, err)
	}
	if jobs == nil {
		jobs = []DayJob{}
	}
	return jobs, nil
}
