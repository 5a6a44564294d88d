package workflows

import (
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// R8.1 (issue 11): the signature drawn on the engineer's screen travels
// with the completed event into the visit's service record; a signature
// that is not a PNG is refused before anything is written.
func TestR8_1_DrawnSignatureGoesWithTheRecord(t *testing.T) {
	const png1x1 = sop.SignaturePrefix + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
	h := newHarness(t)
	h.inService()
	h.eng(25*time.Hour+20*time.Minute, diagnosedOnsite())
	bad := completed(true, true, true)
	bad.Signature = sop.SignaturePrefix + "bm90IGEgcG5n"
	refused := h.eng(25*time.Hour+40*time.Minute, bad)
	good := completed(true, true, true)
	good.Signature = png1x1
	done := h.eng(25*time.Hour+50*time.Minute, good)
	h.run(goodRequest(), testPolicy(), 26*time.Hour)
	wantRejected(t, refused, ErrBadEvent, "signature")
	wantStatus(t, wantOK(t, done), sop.StatusClosed)
	var rec *ServiceVisitRecord
	for _, cm := range h.commits {
		if cm.ServiceRecord != nil {
			rec = cm.ServiceRecord
		}
	}
	if rec == nil || rec.Signature != png1x1 || !rec.SignedByCustomer {
		t.Fatalf("service record %+v", rec)
	}
}
