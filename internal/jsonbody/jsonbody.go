// Package jsonbody reads the JSON bodies of the HTTP API: one JSON object,
// UTF-8, of bounded size, with a Content-Type of JSON; unknown fields and
// wrong types are reported with the field's name. The API and its fuzz tests
// take the same path.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a body refused before it is looked at: 400 with the reason
// (and fields), 413 too large, 415 not JSON.
type Error struct {
	Status int
	Msg    string
	Fields map[string]string
}

func (e *Error) Error() string { return e.Msg }

func bad(msg string, fields map[string]string) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: msg, Fields: fields}
}

// Read reads a JSON object into v: the Content-Type, when given,
// must be JSON (415); the body at most maxBody bytes (413), valid UTF-8, one
// JSON object — not null, an array, a string or a number; unknown fields and
// wrong types are reported with the field's name (400).
func Read(r *http.Request, v any, maxBody int) (raw []byte, berr *Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		cs := strings.ToLower(params["charset"])
		if err != nil || (mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) || (cs != "" && cs != "utf-8") {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Msg: fmt.Sprintf("Content-Type %q is not supported: send application/json (UTF-8)", Truncate(ct, 100))}
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBody)+1))
	if err != nil {
		return nil, bad("the body could not be read", nil)
	}
	if len(raw) > maxBody {
		return raw, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body larger than %d bytes", maxBody)}
	}
	return raw, Decode(raw, v)
}

// decodeJSON is Read after the headers and the size: the path every
// body takes (the fuzz tests take it too).
func Decode(raw []byte, v any) *Error {
	if !utf8.Valid(raw) {
		return bad("the body is not valid UTF-8", nil)
	}
	switch first := firstByte(raw); first {
	case 0:
		return bad("empty body: a JSON object is expected", nil)
	case '{':
	case 'n':
		return bad("the body is null: a JSON object is expected", nil)
	case '[':
		return bad("the body is an array: a JSON object is expected", nil)
	case '"':
		return bad("the body is a string: a JSON object is expected", nil)
	case 't', 'f':
		return bad("the body is a boolean: a JSON object is expected", nil)
	default:
		if first == '-' || (first >= '0' && first <= '9') {
			return bad("the body is a number: a JSON object is expected", nil)
		}
		return bad("malformed JSON: a JSON object is expected", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			name := te.Field
			if name == "" {
				name = "body"
			}
			want := jsonType(te.Type.String())
			if want == "a whole number" && strings.HasPrefix(te.Value, "number") {
				return bad("invalid field types", map[string]string{name: "must be a whole number in range"})
			}
			return bad("invalid field types", map[string]string{name: fmt.Sprintf("must be %s, got %s", want, Truncate(te.Value, 40))})
		case errors.As(err, &se):
			return bad(fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se), nil)
		case errors.As(err, &pe):
			return bad("invalid time", map[string]string{"time": fmt.Sprintf("%q is not an RFC 3339 time", Truncate(pe.Value, 40))})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return bad("unknown field", map[string]string{Truncate(name, 64): "unknown field"})
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return bad("malformed JSON: the body ends too soon", nil)
		default:
			return bad(Truncate("invalid JSON: "+err.Error(), 200), nil)
		}
	}
	if dec.More() {
		return bad("malformed JSON: more than one value in the body", nil)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("malformed JSON: more than one value in the body", nil)
	}
	return nil
}

// firstByte is the first byte of raw after JSON white space, or 0.
func firstByte(raw []byte) byte {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return b
	}
	return 0
}

// truncate shortens an echoed value to n bytes (at a character boundary).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func jsonType(goType string) string {
	switch {
	case goType == "string" || strings.HasSuffix(goType, "Kind") || strings.HasSuffix(goType, "EventType"):
		return "a string"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "int"):
		return "a whole number"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time string"
	default:
		return "an object"
	}
}
