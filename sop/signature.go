package sop

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
)

// A completed visit may carry the customer's signature drawn on the
// engineer's screen (R8.1, R8.2, issue 11): a PNG as a data URL, stored with
// the service record. It is optional: the API stays compatible with callers
// that only say signed_by_customer.

// SignaturePrefix starts every signature.
const SignaturePrefix = "data:image/png;base64,"

// MaxSignatureBytes bounds a signature's PNG (decoded): a phone-sized
// drawing compresses far below it.
const MaxSignatureBytes = 96 << 10

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// SignatureProblem says why a signature is not a PNG data URL within the
// bound, or "".
func SignatureProblem(s string) string {
	if !strings.HasPrefix(s, SignaturePrefix) {
		return "must be a PNG data URL (data:image/png;base64,…)"
	}
	enc := s[len(SignaturePrefix):]
	if base64.StdEncoding.DecodedLen(len(enc)) > MaxSignatureBytes+3 {
		return fmt.Sprintf("larger than %d bytes", MaxSignatureBytes)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "is not valid base64"
	}
	switch {
	case len(raw) > MaxSignatureBytes:
		return fmt.Sprintf("larger than %d bytes (got %d)", MaxSignatureBytes, len(raw))
	case !bytes.HasPrefix(raw, pngMagic):
		return "is not a PNG image"
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return "is not a readable PNG image"
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 4096 || cfg.Height > 4096 {
		return fmt.Sprintf("the image must be 1–4096 pixels a side, got %d×%d", cfg.Width, cfg.Height)
	}
	return ""
}

// SignaturePNG returns the PNG bytes of a valid signature (nil for "" or
// one that is not valid).
func SignaturePNG(s string) []byte {
	if s == "" || SignatureProblem(s) != "" {
		return nil
	}
	raw, _ := base64.StdEncoding.DecodeString(s[len(SignaturePrefix):])
	return raw
}
