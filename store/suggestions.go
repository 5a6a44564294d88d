package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Suggestion is a customer's suggestion on a product model (R12.9), as the
// after-sales manager reads them.
type Suggestion struct {
	Model     string    `json:"model"`
	Text      string    `json:"text"`
	RequestID string    `json:"request_id"`
	HeardBy   string    `json:"heard_by"`
	HeardAt   time.Time `json:"heard_at"`
}

// ModelSuggestions is the list of one model.
type ModelSuggestions struct {
	Model       string       `json:"model"`
	Count       int          `json:"count"`
	Suggestions []Suggestion `json:"suggestions"`
}

// Suggestions lists the customers' suggestions per model, newest first
// within a model, models by name; model "" lists every model. from and to
// (zero: open) bound when they were heard.
func (s *Store) Suggestions(ctx context.Context, model string, from, to time.Time, limit int) ([]ModelSuggestions, error) {
	var lo, hi *time.Time
	if !from.IsZero() {
		lo = &from
	}
	if !to.IsZero() {
		hi = &to
	}
	rows, _ := s.Pool.Query(ctx, `SELECT model, text, request_id, heard_by, heard_at FROM (
			SELECT *, row_number() OVER (PARTITION BY model ORDER BY heard_at DESC, request_id, seq) AS n FROM suggestions
			WHERE ($1 = '' OR model = $1) AND ($2::timestamptz IS NULL OR heard_at >= $2) AND ($3::timestamptz IS NULL OR heard_at < $3)) s
		WHERE n <= $4 ORDER BY model, heard_at DESC, request_id`, model, lo, hi, limit)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Suggestion])
	if err != nil {
		return nil, fmt.Errorf("suggestions: %w", err)
	}
	out := []ModelSuggestions{}
	for _, g := range list {
		if len(out) == 0 || out[len(out)-1].Model != g.Model {
			out = append(out, ModelSuggestions{Model: g.Model, Suggestions: []Suggestion{}})
		}
		m := &out[len(out)-1]
		m.Suggestions = append(m.Suggestions, g)
		m.Count++
	}
	return out, nil
}
