package sop

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// SignatureDataURL draws a small signature-like PNG (tests).
func signatureDataURL(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for x := range w {
		img.SetGray(x, h/2, color.Gray{Y: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return SignaturePrefix + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func completed(sig string) Event {
	five, yes := 5, true
	return Event{Type: EvCompleted, QualityRating: &five, AttitudeRating: &five, Satisfied: &yes, SignedByCustomer: &yes, FixCertain: &yes, Signature: sig}
}

// A completed visit may carry a drawn signature: a PNG data URL, decodable,
// within MaxSignatureBytes; anything else is refused with a reason.
func TestSignatureValidation(t *testing.T) {
	good := signatureDataURL(t, 300, 120)
	if f := completed(good).Validate(); len(f) != 0 {
		t.Fatalf("a drawn signature refused: %v", f)
	}
	if f := completed("").Validate(); len(f) != 0 {
		t.Fatalf("no signature (the API stays compatible) refused: %v", f)
	}
	if raw := SignaturePNG(good); !bytes.HasPrefix(raw, pngMagic) {
		t.Fatalf("SignaturePNG: %q", raw[:8])
	}
	jpeg := "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString([]byte("\xff\xd8\xff"))
	notPNG := SignaturePrefix + base64.StdEncoding.EncodeToString([]byte("GIF89a not a png"))
	broken := SignaturePrefix + base64.StdEncoding.EncodeToString(append(append([]byte{}, pngMagic...), "garbage"...))
	huge := SignaturePrefix + base64.StdEncoding.EncodeToString(append(append([]byte{}, pngMagic...), make([]byte, MaxSignatureBytes)...))
	for name, c := range map[string]struct{ sig, want string }{
		"jpeg":        {jpeg, "PNG data URL"},
		"not base64":  {SignaturePrefix + "!!!", "base64"},
		"not a PNG":   {notPNG, "not a PNG"},
		"broken PNG":  {broken, "readable"},
		"over 96 KiB": {huge, "larger than"},
	} {
		f := completed(c.sig).Validate()
		if !strings.Contains(f["signature"], c.want) {
			t.Errorf("%s: %v, want signature: …%s…", name, f, c.want)
		}
		if SignaturePNG(c.sig) != nil {
			t.Errorf("%s: SignaturePNG of an invalid signature", name)
		}
	}
	yes := true
	if f := (Event{Type: EvKnocked, Answered: &yes, Signature: good}).Validate(); f["signature"] == "" {
		t.Errorf("a knock with a signature: %v", f)
	}
}
