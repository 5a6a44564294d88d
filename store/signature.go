package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/sop"
)

// signaturePNG is the PNG of a signature drawn on the engineer's screen
// (a data URL checked by sop.SignatureProblem), or nil (NULL) when none was
// drawn.
func signaturePNG(dataURL string) []byte {
	if dataURL == "" {
		return nil
	}
	return sop.SignaturePNG(dataURL)
}

// ErrNoSignature: the visit's record has no drawn signature.
var ErrNoSignature = errors.New("no signature drawn for this visit")

// Signature returns the PNG of the customer's signature stored with a
// visit's service record (migration 010), or ErrNoSignature.
func (s *Store) Signature(ctx context.Context, requestID string, visit int) ([]byte, error) {
	var png []byte
	err := s.Pool.QueryRow(ctx, `SELECT signature_png FROM service_records WHERE request_id = $1 AND visit = $2`, requestID, visit).Scan(&png)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, ErrNoSignature
	case err != nil:
		return nil, fmt.Errorf("signature of %s visit %d: %w", requestID, visit, err)
	case png == nil:
		return nil, ErrNoSignature
	}
	return png, nil
}
