package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Engineer is one field engineer of the roster.
type Engineer struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Region        string   `json:"region"`
	Skills        []string `json:"skills"`
	TravelMinutes int      `json:"travel_minutes"` // typical travel to a customer (R4.1, R5.2)
	Active        bool     `json:"active"`
}

// Travel is the engineer's travel time.
func (e Engineer) Travel() time.Duration { return time.Duration(e.TravelMinutes) * time.Minute }

// UpsertEngineer adds an engineer to the roster or updates one. It reports
// whether the engineer is new.
func (s *Store) UpsertEngineer(ctx context.Context, e Engineer) (created bool, err error) {
	if e.Skills == nil {
		e.Skills = []string{}
	}
	err = s.Pool.QueryRow(ctx, `INSERT INTO engineers (id, name, region, skills, travel, active)
		VALUES ($1, $2, $3, $4, make_interval(mins => $5), $6)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region, skills = EXCLUDED.skills,
			travel = EXCLUDED.travel, active = EXCLUDED.active, updated_at = now()
		RETURNING (xmax = 0)`, e.ID, e.Name, e.Region, e.Skills, e.TravelMinutes, e.Active).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("save engineer %s: %w", e.ID, err)
	}
	return created, nil
}

const engineerColumns = `id, name, region, skills, (extract(epoch FROM travel) / 60)::int, active`

// ListEngineers returns the roster, optionally of one region.
func (s *Store) ListEngineers(ctx context.Context, region string) ([]Engineer, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+engineerColumns+` FROM engineers
		WHERE ($1 = '' OR region = $1) ORDER BY region, id`, region)
	if err != nil {
		return nil, fmt.Errorf("list engineers: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Engineer])
	if err != nil {
		return nil, fmt.Errorf("list engineers: %w", err)
	}
	if out == nil {
		out = []Engineer{}
	}
	return out, nil
}

// GetEngineer returns one engineer.
func (s *Store) GetEngineer(ctx context.Context, id string) (Engineer, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+engineerColumns+` FROM engineers WHERE id = $1`, id)
	if err != nil {
		return Engineer{}, err
	}
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Engineer])
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}
