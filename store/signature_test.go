package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

// A 1×1 PNG.
const onePixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

// The signature drawn on the engineer's screen is stored with the service
// record (migration 010) as its PNG; a record without one keeps NULL.
func TestCommitStoresTheSignature(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	commit := func(req string, sig string) {
		t.Helper()
		if _, err := st.Commit(ctx, workflows.CommitInput{RequestID: req, Seq: 1, At: at,
			Projection: workflows.Projection{Status: sop.StatusFollowup, Visits: 1},
			ServiceRecord: &workflows.ServiceVisitRecord{Visit: 1, Engineer: "E-1", QualityRating: 5, AttitudeRating: 4,
				Satisfied: true, SignedByCustomer: sig != "", FixCertain: true, CompletedAt: at, Signature: sig}}); err != nil {
			t.Fatal(err)
		}
	}
	commit("SR-SIG-1", sop.SignaturePrefix+onePixel)
	commit("SR-SIG-2", "")
	want, _ := base64.StdEncoding.DecodeString(onePixel)
	got, err := st.Signature(ctx, "SR-SIG-1", 1)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("signature: %v, %d bytes, want %d", err, len(got), len(want))
	}
	if _, err := st.Signature(ctx, "SR-SIG-2", 1); !errors.Is(err, store.ErrNoSignature) {
		t.Fatalf("no signature drawn: %v", err)
	}
	if _, err := st.Signature(ctx, "SR-NONE", 1); !errors.Is(err, store.ErrNoSignature) {
		t.Fatalf("no record: %v", err)
	}
}
