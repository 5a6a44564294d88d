package sop

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var limitNow = time.Date(2026, 3, 2, 7, 30, 0, 0, time.FixedZone("UTC+8", 8*3600))

// goodRequest is a complete, valid request.
func goodRequest() Request {
	return Request{Customer: Customer{Name: "李雷", Phone: "13800138000", Address: "广州市天河区体育西路 103 号", Region: "south"},
		Product: Product{Model: "WM-7", PurchaseDate: "2026-01-15"}, Symptoms: "drum does not spin"}
}

// goodEvent is a valid completed event with a record.
func goodEvent() Event {
	five, yes := 5, true
	return Event{Type: EvCompleted, QualityRating: &five, AttitudeRating: &five, Satisfied: &yes, SignedByCustomer: &yes,
		FixCertain: &yes, Record: &ServiceRecord{Cause: "belt", Measures: "replaced", Charge: 120.5}, At: limitNow}
}

// requestSetters and eventSetters put a text into the field of Limits of the
// same name; together they cover the whole table (TestLimitsCovered).
var requestSetters = map[string]func(*Request, string){
	"id":                    func(r *Request, v string) { r.ID = v },
	"customer.name":         func(r *Request, v string) { r.Customer.Name = v },
	"customer.phone":        func(r *Request, v string) { r.Customer.Phone = v },
	"customer.address":      func(r *Request, v string) { r.Customer.Address = v },
	"customer.region":       func(r *Request, v string) { r.Customer.Region = v },
	"customer.lang":         func(r *Request, v string) { r.Customer.Lang = v },
	"product.model":         func(r *Request, v string) { r.Product.Model = v },
	"product.spec":          func(r *Request, v string) { r.Product.Spec = v },
	"product.colour":        func(r *Request, v string) { r.Product.Colour = v },
	"product.serial":        func(r *Request, v string) { r.Product.Serial = v },
	"product.purchase_date": func(r *Request, v string) { r.Product.PurchaseDate = v },
	"symptoms":              func(r *Request, v string) { r.Symptoms = v },
	"customer_requests":     func(r *Request, v string) { r.CustomerRequests = v },
	"skill":                 func(r *Request, v string) { r.Skill = v },
	"return.sale_date":      func(r *Request, v string) { r.Kind = KindReturn; r.Return = &ReturnInfo{SaleDate: v} },
}

var eventSetters = map[string]func(*Event, string){
	"type":                func(e *Event, v string) { e.Type = EventType(v) },
	"category":            func(e *Event, v string) { e.Category = v },
	"parts[]":             func(e *Event, v string) { e.Parts = []string{v} },
	"reason":              func(e *Event, v string) { e.Reason = v },
	"address":             func(e *Event, v string) { e.Address = v },
	"engineer":            func(e *Event, v string) { e.Engineer = v },
	"cause":               func(e *Event, v string) { e.Cause = v },
	"description":         func(e *Event, v string) { e.Description = v },
	"answer":              func(e *Event, v string) { e.Answer = v },
	"text":                func(e *Event, v string) { e.Text = v },
	"resolution":          func(e *Event, v string) { e.Resolution = v },
	"note":                func(e *Event, v string) { e.Note = v },
	"record.cause":        func(e *Event, v string) { e.Record.Cause = v },
	"record.measures":     func(e *Event, v string) { e.Record.Measures = v },
	"record.parts_used[]": func(e *Event, v string) { e.Record.PartsUsed = []string{v} },
	"symptoms":            func(e *Event, v string) { e.Symptoms = v },
	"customer.name":       func(e *Event, v string) { e.Customer = &Customer{Name: v} },
	"product.serial":      func(e *Event, v string) { e.Product = &Product{Serial: v} },
}

var listSetters = map[string]func(*Event, []string){
	"parts":             func(e *Event, v []string) { e.Parts = v },
	"record.parts_used": func(e *Event, v []string) { e.Record.PartsUsed = v },
}

// fill is n characters of a valid text for the field: the type and the
// date-like fields are checked for length only, so any letters do.
func fill(n int) string { return strings.Repeat("字", n) }

func TestLimitsCovered(t *testing.T) {
	for _, l := range Limits {
		_, r := requestSetters[l.Field]
		_, e := eventSetters[l.Field]
		_, li := listSetters[l.Field]
		if !r && !e && !li {
			t.Errorf("limit of %s is not tested", l.Field)
		}
		if l.Max <= 0 {
			t.Errorf("limit of %s is %d", l.Field, l.Max)
		}
	}
}

// Every text limit from both sides: exactly the limit is taken, one
// character more is refused, naming the field.
func TestTextLimits(t *testing.T) {
	for _, l := range Limits {
		if l.List {
			continue
		}
		t.Run(l.Field, func(t *testing.T) {
			if set, ok := requestSetters[l.Field]; ok {
				r := goodRequest()
				set(&r, fill(l.Max))
				if f := r.Validate(limitNow, limitNow.Location()); f[l.Field] != "" {
					t.Errorf("request: %d characters refused: %s", l.Max, f[l.Field])
				}
				set(&r, fill(l.Max+1))
				if f := r.Validate(limitNow, limitNow.Location()); !strings.Contains(f[l.Field], fmt.Sprintf("longer than %d characters", l.Max)) {
					t.Errorf("request: %d characters not refused: %v", l.Max+1, f)
				}
			}
			if set, ok := eventSetters[l.Field]; ok {
				field := l.Field
				if strings.HasSuffix(field, "[]") {
					field = strings.TrimSuffix(field, "[]") + "[0]"
				}
				e := goodEvent()
				set(&e, fill(l.Max))
				if f := e.Validate(); strings.Contains(f[field], "longer") {
					t.Errorf("event: %d characters refused: %s", l.Max, f[field])
				}
				set(&e, fill(l.Max+1))
				if f := e.Validate(); !strings.Contains(f[field], fmt.Sprintf("longer than %d characters", l.Max)) {
					t.Errorf("event: %d characters not refused: %v", l.Max+1, f)
				}
			}
		})
	}
}

func TestListLimits(t *testing.T) {
	for field, set := range listSetters {
		l := LimitOf(field)
		e := goodEvent()
		set(&e, make([]string, l.Max))
		for i := range l.Max {
			set(&e, append(make([]string, i), "x"))
		}
		items := make([]string, l.Max)
		for i := range items {
			items[i] = "part"
		}
		set(&e, items)
		if f := e.Validate(); len(f) != 0 {
			t.Errorf("%s: %d items refused: %v", field, l.Max, f)
		}
		set(&e, append(items, "part"))
		if f := e.Validate(); !strings.Contains(f[field], fmt.Sprintf("more than %d items", l.Max)) {
			t.Errorf("%s: %d items not refused: %v", field, l.Max+1, f)
		}
	}
}

func TestControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		name, v string
		lines   bool // allowed in a multi-line field
	}{
		{"newline", "a\nb", true},
		{"tab", "a\tb", true},
		{"NUL", "a\x00b", false},
		{"carriage return", "a\rb", false},
		{"bell", "a\ab", false},
		{"ANSI colour", "a\x1b[31mred\x1b[0m", false},
		{"ANSI clear screen", "\x1b[2J", false},
		{"DEL", "a\x7fb", false},
		{"C1 CSI", "a\u009b31m", false},
		{"C1 NEL", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"truncated UTF-8", "字"[:2], false},
		{"replacement character", "a\ufffdb", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// symptoms is multi-line, customer.name is not.
			r := goodRequest()
			r.Symptoms = tc.v
			r.Customer.Name = tc.v
			f := r.Validate(limitNow, limitNow.Location())
			if got := f["symptoms"] == ""; got != tc.lines {
				t.Errorf("symptoms %q: refused %q", tc.v, f["symptoms"])
			}
			if f["customer.name"] == "" {
				t.Errorf("customer.name %q taken", tc.v)
			}
			e := goodEvent()
			e.Note, e.Engineer = tc.v, tc.v
			f = e.Validate()
			if got := f["note"] == ""; got != tc.lines {
				t.Errorf("note %q: refused %q", tc.v, f["note"])
			}
			if f["engineer"] == "" {
				t.Errorf("engineer %q taken", tc.v)
			}
		})
	}
	if msg := TextProblem("note", "\x1b[31m"); !strings.Contains(msg, "ANSI") {
		t.Errorf("ANSI escape: %q", msg)
	}
}

func TestNumberLimits(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	for _, tc := range []struct {
		name  string
		field string
		set   func(*Event)
		ok    bool
	}{
		{"charge 0", "record.charge", func(e *Event) { e.Record.Charge = 0 }, true},
		{"charge max", "record.charge", func(e *Event) { e.Record.Charge = MaxMoney }, true},
		{"charge max+0.01", "record.charge", func(e *Event) { e.Record.Charge = MaxMoney + 0.01 }, false},
		{"charge 2 decimals", "record.charge", func(e *Event) { e.Record.Charge = 19.99 }, true},
		{"charge 3 decimals", "record.charge", func(e *Event) { e.Record.Charge = 19.999 }, false},
		{"charge negative", "record.charge", func(e *Event) { e.Record.Charge = -0.01 }, false},
		{"charge 1e308", "record.charge", func(e *Event) { e.Record.Charge = 1e308 }, false},
		{"amount 0", "amount", func(e *Event) { e.Amount = f64(0) }, true},
		{"amount max", "amount", func(e *Event) { e.Amount = f64(MaxMoney) }, true},
		{"amount max+0.01", "amount", func(e *Event) { e.Amount = f64(MaxMoney + 0.01) }, false},
		{"amount 1e308", "amount", func(e *Event) { e.Amount = f64(1e308) }, false},
		{"amount infinity", "amount", func(e *Event) { e.Amount = f64(math.Inf(1)) }, false},
		{"minutes 1", "minutes", func(e *Event) { e.Minutes = i(1) }, true},
		{"minutes 1440", "minutes", func(e *Event) { e.Minutes = i(MaxDelayMinutes) }, true},
		{"minutes 1441", "minutes", func(e *Event) { e.Minutes = i(MaxDelayMinutes + 1) }, false},
		{"minutes 0", "minutes", func(e *Event) { e.Minutes = i(0) }, false},
		{"minutes 1e9", "minutes", func(e *Event) { e.Minutes = i(1e9) }, false},
		{"rating 1", "quality_rating", func(e *Event) { e.QualityRating = i(1) }, true},
		{"rating 5", "quality_rating", func(e *Event) { e.QualityRating = i(5) }, true},
		{"rating 0", "quality_rating", func(e *Event) { e.QualityRating = i(0) }, false},
		{"rating 6", "attitude_rating", func(e *Event) { e.AttitudeRating = i(6) }, false},
	} {
		e := goodEvent()
		tc.set(&e)
		f := e.Validate()
		if (f[tc.field] == "") != tc.ok {
			t.Errorf("%s: %s %q (taken: want %v)", tc.name, tc.field, f[tc.field], tc.ok)
		}
	}
	r := goodRequest()
	r.Kind, r.Return = KindReturn, &ReturnInfo{AreaM2: MaxAreaM2}
	if f := r.Validate(limitNow, time.UTC); len(f) != 0 {
		t.Errorf("area at its limit: %v", f)
	}
	r.Return.AreaM2 = 1e308
	if f := r.Validate(limitNow, time.UTC); f["return.area_m2"] == "" {
		t.Errorf("area 1e308 taken")
	}
}

func TestDateAndTimeLimits(t *testing.T) {
	loc := limitNow.Location()
	for _, tc := range []struct {
		date string
		ok   bool // at the door; a malformed or future date is left to R1.2
	}{
		{"1990-01-01", true},
		{"1989-12-31", false},
		{"0001-01-01", false},
		{"2026-03-02", true},
		{"2099-01-01", true},
		{"01/02/2026", true},
	} {
		r := goodRequest()
		r.Product.PurchaseDate = tc.date
		if f := r.Validate(limitNow, loc); (f["product.purchase_date"] == "") != tc.ok {
			t.Errorf("purchase date %s: %q", tc.date, f["product.purchase_date"])
		}
	}
	// info_verified: a date that is in the future in every zone (after
	// the event's UTC date + 1) is refused; limitNow is 2026-03-01 in UTC.
	e := Event{Type: EvInfoVerified, At: limitNow, Product: &Product{PurchaseDate: "2026-03-02"}}
	if f := e.Validate(); len(f) != 0 {
		t.Errorf("today at UTC+8 refused: %v", f)
	}
	e.Product.PurchaseDate = "2026-03-03"
	if f := e.Validate(); f["product.purchase_date"] == "" {
		t.Errorf("a date in the future everywhere taken")
	}
	e.Product.PurchaseDate = "0001-01-01"
	if f := e.Validate(); f["product.purchase_date"] == "" {
		t.Errorf("year 1 taken")
	}

	ahead, before := limitNow.Add(TimesAhead), limitNow.Add(-TimesBefore)
	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{ahead, true}, {ahead.Add(time.Second), false}, {before, true}, {before.Add(-time.Second), false},
		{time.Time{}, false}, {time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		end := tc.at.Add(time.Hour)
		e := Event{Type: EvAppointmentRequested, At: limitNow, Start: &tc.at, End: &end}
		if f := e.Validate(); (f["start"] == "") != tc.ok {
			t.Errorf("start %s: %q", tc.at, f["start"])
		}
		e = Event{Type: EvDeparted, At: limitNow, ETA: &tc.at}
		if f := e.Validate(); (f["eta"] == "") != tc.ok {
			t.Errorf("eta %s: %q", tc.at, f["eta"])
		}
		r := goodRequest()
		r.Preferred = &Window{Start: tc.at, End: ahead}
		if f := r.Validate(limitNow, loc); (f["preferred.start"] == "") != tc.ok {
			t.Errorf("preferred.start %s: %q", tc.at, f["preferred.start"])
		}
		r = goodRequest()
		r.Kind, r.Guidance = KindInstallationGuidance, &Guidance{InstallationAt: tc.at}
		if f := r.Validate(limitNow, loc); (f["guidance.installation_at"] == "") != (tc.ok || tc.at.IsZero()) {
			t.Errorf("installation_at %s: %q", tc.at, f["guidance.installation_at"])
		}
	}
	// Without the time it was received (a client of the workflow itself),
	// the absolute window applies.
	year1 := time.Time{}
	if f := (Event{Type: EvDeparted, ETA: &year1}).Validate(); f["eta"] == "" {
		t.Error("year 1 ETA taken without At")
	}
}

// R1.2: a purchase made today is today, whatever the hour in the service
// zone (it was "in the future" before 08:00 at UTC+8).
func TestR1_2_PurchasedToday(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	r := goodRequest()
	for _, now := range []time.Time{
		time.Date(2026, 3, 2, 0, 30, 0, 0, loc), time.Date(2026, 3, 2, 7, 59, 0, 0, loc), time.Date(2026, 3, 2, 23, 59, 0, 0, loc),
	} {
		r.Product.PurchaseDate = "2026-03-02"
		if p := r.Problems(now); len(p) != 0 {
			t.Errorf("bought today, at %s: %v", now, p)
		}
		r.Product.PurchaseDate = "2026-03-03"
		if p := r.Problems(now).Map(); p["product.purchase_date"] != "in the future" {
			t.Errorf("bought tomorrow, at %s: %v", now, p)
		}
	}
	r.Product.PurchaseDate = "0001-01-01"
	if p := r.Problems(limitNow).Map(); p["product.purchase_date"] == "" {
		t.Error("year 1 purchase is plausible")
	}
}

// MaximalRequest and MaximalEvent have every field at its limit, in 3-byte
// characters, and every list full: the worst cases of the size bound
// (workflows.TestStateSizeBound).
func TestMaximalSizes(t *testing.T) {
	r, e := MaximalRequest(), MaximalEvent()
	if f := r.Validate(limitNow, time.UTC); len(f) != 0 {
		t.Fatalf("maximal request refused: %v", f)
	}
	if f := e.Validate(); len(f) != 0 {
		t.Fatalf("maximal event refused: %v", f)
	}
	rb, _ := json.Marshal(r)
	eb, _ := json.Marshal(e)
	t.Logf("maximal request %d bytes, maximal event %d bytes of JSON", len(rb), len(eb))
	if len(rb) > 64<<10 || len(eb) > 128<<10 {
		t.Fatalf("maximal request %d bytes, event %d bytes: limits grew too large", len(rb), len(eb))
	}
}

// Requests begun before the calendar-date rule keep the old judgement when
// their workflows replay: bought today, before 08:00 at UTC+8, "in the
// future"; no earliest purchase date.
func TestR1_2_ProblemsBeforeDec2026(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	r := goodRequest()
	r.Product.PurchaseDate = "2026-03-02"
	if p := r.ProblemsBeforeDec2026(time.Date(2026, 3, 2, 7, 59, 0, 0, loc)).Map(); p["product.purchase_date"] != "in the future" {
		t.Errorf("old rule, bought today at 07:59: %v", p)
	}
	if p := r.ProblemsBeforeDec2026(time.Date(2026, 3, 2, 8, 0, 0, 0, loc)); len(p) != 0 {
		t.Errorf("old rule, bought today at 08:00: %v", p)
	}
	r.Product.PurchaseDate = "1985-01-01"
	if p := r.ProblemsBeforeDec2026(time.Date(2026, 3, 2, 9, 0, 0, 0, loc)); len(p) != 0 {
		t.Errorf("old rule, bought in 1985: %v", p)
	}
}
