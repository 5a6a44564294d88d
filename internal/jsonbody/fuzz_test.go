package jsonbody_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/housecall/housecall/internal/jsonbody"
	"github.com/housecall/housecall/sop"
)

// The fuzzers decode arbitrary bytes through the API's path (Decode, then
// the domain validation, as starter does) and check that nothing panics and that what is
// accepted re-validates clean after a round trip, stays within sop.Limits and
// holds no control characters. Seeds: testdata/fuzz/…; `make fuzz` runs each
// for a short while.

var fuzzNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// maxText is the longest text limit of sop.Limits.
var maxText = func() int {
	n := 0
	for _, l := range sop.Limits {
		if !l.List && l.Max > n {
			n = l.Max
		}
	}
	return n
}()

// walkStrings checks every string reachable from v.
func walkStrings(t *testing.T, path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(t, path, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(t, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() > 50 {
			t.Fatalf("%s: %d items accepted", path, v.Len())
		}
		for i := range v.Len() {
			walkStrings(t, path+"[]", v.Index(i))
		}
	case reflect.String:
		s := v.String()
		if !sop.ControlFree(s) {
			t.Fatalf("%s: control character or invalid UTF-8 accepted: %q", path, s)
		}
		if n := utf8.RuneCountInString(s); n > maxText {
			t.Fatalf("%s: %d characters accepted", path, n)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"customer":{"name":"A","phone":"13800138000","address":"X"},"product":{"model":"M","purchase_date":"2026-01-15"},"symptoms":"s"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req sop.Request
		if berr := jsonbody.Decode(data, &req); berr != nil {
			if berr.Status != 400 || berr.Msg == "" {
				t.Fatalf("refusal without a reason: %+v", berr)
			}
			return
		}
		if len(req.Validate(fuzzNow, time.UTC)) > 0 {
			return
		}
		_ = req.Problems(fuzzNow) // R1.2 runs on anything accepted
		walkStrings(t, "request", reflect.ValueOf(req))
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("accepted request does not marshal: %v", err)
		}
		if len(b) > 64<<10 {
			t.Fatalf("accepted request of %d bytes", len(b))
		}
		var again sop.Request
		if berr := jsonbody.Decode(b, &again); berr != nil {
			t.Fatalf("accepted request does not decode again: %v\n%s", berr, b)
		}
		if f := again.Validate(fuzzNow, time.UTC); len(f) > 0 {
			t.Fatalf("accepted request refused after a round trip: %v\n%s", f, b)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"type":"triaged","category":"quality"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev sop.Event
		if berr := jsonbody.Decode(data, &ev); berr != nil {
			if berr.Status != 400 || berr.Msg == "" {
				t.Fatalf("refusal without a reason: %+v", berr)
			}
			return
		}
		// As postEvent: housecall sets who and when.
		ev.Actor, ev.At = sop.Actor{Role: sop.RoleCallCentre}, fuzzNow
		if !ev.Type.Known() || len(ev.Validate()) > 0 {
			return
		}
		walkStrings(t, "event", reflect.ValueOf(ev))
		_ = ev.Fingerprint()
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("accepted event does not marshal: %v", err)
		}
		if len(b) > 128<<10 {
			t.Fatalf("accepted event of %d bytes", len(b))
		}
		var again sop.Event
		if berr := jsonbody.Decode(b, &again); berr != nil {
			t.Fatalf("accepted event does not decode again: %v\n%s", berr, b)
		}
		if f := again.Validate(); len(f) > 0 {
			t.Fatalf("accepted event refused after a round trip: %v\n%s", f, b)
		}
		if again.Fingerprint() != ev.Fingerprint() {
			t.Fatalf("fingerprint changed in a round trip:\n%s", b)
		}
	})
}
