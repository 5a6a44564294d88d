package sop

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limit bounds one field a caller sends. Text is measured in characters
// (Unicode code points), lists in items.
type Limit struct {
	Field string // as named in error answers: "customer.name", "parts[]"
	Max   int    // characters, or items for a list
	// Lines: multi-line text, where "\n" and "\t" are allowed. Every other
	// control character (C0, DEL, C1), and so every ANSI escape sequence,
	// is refused in every field.
	Lines bool
	List  bool // Max counts items; the items are bounded by the field + "[]"
}

// Limits is the one table of input bounds: the API refuses at the door, and
// the workflow's update validator refuses again (Event.Validate), anything
// beyond them. README.md lists the same table; TestStateSizeBound keeps a
// request with every field at its limit far below Temporal's 2 MB payload
// limit.
var Limits = []Limit{
	{Field: "id", Max: 64},
	{Field: "customer.name", Max: 100},
	{Field: "customer.phone", Max: 32},
	{Field: "customer.address", Max: 300},
	{Field: "customer.region", Max: 64},
	{Field: "customer.lang", Max: 8},
	{Field: "product.model", Max: 100},
	{Field: "product.spec", Max: 100},
	{Field: "product.colour", Max: 50},
	{Field: "product.serial", Max: 100},
	{Field: "product.purchase_date", Max: 32},
	{Field: "symptoms", Max: 2000, Lines: true},
	{Field: "customer_requests", Max: 2000, Lines: true},
	{Field: "skill", Max: 64},
	{Field: "return.sale_date", Max: 32},
	{Field: "type", Max: 64},
	{Field: "category", Max: 64},
	{Field: "parts", Max: 50, List: true},
	{Field: "parts[]", Max: 100},
	{Field: "reason", Max: 500, Lines: true},
	{Field: "address", Max: 300},
	{Field: "engineer", Max: 64},
	{Field: "cause", Max: 2000, Lines: true},
	{Field: "description", Max: 2000, Lines: true},
	{Field: "answer", Max: 2000, Lines: true},
	{Field: "text", Max: 2000, Lines: true},
	{Field: "resolution", Max: 2000, Lines: true},
	{Field: "note", Max: 2000, Lines: true},
	{Field: "record.cause", Max: 2000, Lines: true},
	{Field: "record.measures", Max: 2000, Lines: true},
	{Field: "record.parts_used", Max: 50, List: true},
	{Field: "record.parts_used[]", Max: 100},
}

// Bounds of numbers and dates (the columns they go to: service_records.charge
// is numeric(12,2); the SOP's own ranges for the rest).
const (
	MaxMoney        = 1_000_000 // record.charge, compensation amount: 0–MaxMoney, at most 2 decimals
	MaxDelayMinutes = 24 * 60   // delayed.minutes: 1–1440
	MaxVisit        = 1000      // ext: R10.2: satisfaction_confirmed.visit: 1–1000
	MaxAreaM2       = 100_000   // return.area_m2
	MinRating       = 1
	MaxRating       = 5
)

// EarliestPurchase is the earliest plausible purchase (or sale) date.
var EarliestPurchase = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// Times callers give (appointments, preferred windows, ETAs, installation
// times) lie within [now - TimesBefore, now + TimesAhead].
const (
	TimesBefore = 7 * 24 * time.Hour
	TimesAhead  = 366 * 24 * time.Hour
)

var limitOf = func() map[string]Limit {
	m := make(map[string]Limit, len(Limits))
	for _, l := range Limits {
		m[l.Field] = l
	}
	return m
}()

// LimitOf returns the limit of a field of Limits (panics on a name not in
// the table: a programming error).
func LimitOf(field string) Limit {
	l, ok := limitOf[field]
	if !ok {
		panic("sop: no limit for " + field)
	}
	return l
}

// TextProblem says what is wrong with a text for the field's limit — too
// long, invalid UTF-8, a control character or an ANSI escape — or "".
func TextProblem(field, v string) string {
	l := LimitOf(field)
	return textProblem(v, l.Max, l.Lines)
}

func textProblem(v string, max int, lines bool) string {
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	n := 0
	for _, r := range v {
		n++
		switch {
		case r == 0:
			return fmt.Sprintf("contains a NUL character at character %d", n)
		case r == 0x1b || r == 0x9b:
			return fmt.Sprintf("contains an ANSI escape sequence at character %d", n)
		case (r == '\n' || r == '\t') && lines:
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return fmt.Sprintf("contains the control character U+%04X at character %d", r, n)
		case r == utf8.RuneError:
			return fmt.Sprintf("contains U+FFFD at character %d (text that was not valid UTF-8)", n)
		}
	}
	if n > max {
		return fmt.Sprintf("longer than %d characters (got %d)", max, n)
	}
	return ""
}

// ControlFree reports whether s is valid UTF-8 without any control
// character but "\n" and "\t" (used by tests and fuzzers).
func ControlFree(s string) bool { return textProblem(s, math.MaxInt, true) == "" }

// problems collects field → reason.
type problems map[string]string

func (f problems) text(field, v string) {
	if _, done := f[field]; done {
		return
	}
	if msg := TextProblem(field, v); msg != "" {
		f[field] = msg
	}
}

func (f problems) list(field string, items []string) {
	l := LimitOf(field)
	if len(items) > l.Max {
		f[field] = fmt.Sprintf("more than %d items (got %d)", l.Max, len(items))
		return
	}
	il := LimitOf(field + "[]")
	for i, it := range items {
		if msg := textProblem(it, il.Max, il.Lines); msg != "" {
			f[fmt.Sprintf("%s[%d]", field, i)] = msg
		}
	}
}

func (f problems) money(field string, v float64) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > MaxMoney:
		f[field] = fmt.Sprintf("must be 0–%d", MaxMoney)
	case math.Abs(v*100-math.Round(v*100)) > 1e-6:
		f[field] = "at most 2 decimals"
	}
}

// at checks a time a caller gives against the window around ref (the time
// the API received the call). With no ref (zero), only the absolute window
// 2000–2100 is checked.
func (f problems) at(field string, t time.Time, ref time.Time) {
	if _, done := f[field]; done {
		return
	}
	lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if !ref.IsZero() {
		lo, hi = ref.Add(-TimesBefore), ref.Add(TimesAhead)
	}
	if t.Before(lo) || t.After(hi) {
		f[field] = fmt.Sprintf("%s is out of range: must lie between %s and %s",
			t.UTC().Format(time.RFC3339), lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339))
	}
}

// dateRange refuses a well-formed date out of the plausible range: before
// EarliestPurchase, or after latest (when not zero). A malformed date is
// left to R1.2 (Problems).
func (f problems) dateRange(field, v string, latest time.Time) {
	if _, done := f[field]; done || strings.TrimSpace(v) == "" {
		return
	}
	d, err := ParseDate(v)
	if err != nil {
		return
	}
	switch {
	case d.Before(EarliestPurchase):
		f[field] = fmt.Sprintf("%s is before %s: not a plausible date", d.Format(DatePattern), EarliestPurchase.Format(DatePattern))
	case !latest.IsZero() && d.After(latest):
		f[field] = fmt.Sprintf("%s is in the future", d.Format(DatePattern))
	}
}

// calendarDate is t's date in its own location, as UTC midnight (the form
// ParseDate returns), so dates compare as calendar days.
func calendarDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (f problems) customer(prefix string, c *Customer) {
	if c == nil {
		return
	}
	f.text(prefix+"name", c.Name)
	f.text(prefix+"phone", c.Phone)
	f.text(prefix+"address", c.Address)
	f.text(prefix+"region", c.Region)
	f.text(prefix+"lang", c.Lang)
}

func (f problems) product(p *Product, latest time.Time) {
	if p == nil {
		return
	}
	f.text("product.model", p.Model)
	f.text("product.spec", p.Spec)
	f.text("product.colour", p.Colour)
	f.text("product.serial", p.Serial)
	f.text("product.purchase_date", p.PurchaseDate)
	f.dateRange("product.purchase_date", p.PurchaseDate, latest)
}

// Validate checks a request body against the bounds (400 at the door):
// lengths, characters, numbers and times. now is when the API received it,
// loc the service area's zone (for "today"). Incomplete or implausible
// customer data that a person can fix — a missing phone, a malformed or
// future purchase date — is not refused here but verified (R1.2, Problems).
func (r Request) Validate(now time.Time, loc *time.Location) map[string]string {
	f := problems{}
	switch r.Kind {
	case "", KindRepair, KindReturn, KindInstallationGuidance:
	default:
		f["kind"] = "unknown kind (repair, return, installation_guidance)"
	}
	f.text("id", r.ID)
	f.customer("customer.", &r.Customer)
	f.product(&r.Product, time.Time{})
	f.text("symptoms", r.Symptoms)
	f.text("customer_requests", r.CustomerRequests)
	f.text("skill", r.Skill)
	if p := r.Preferred; p != nil {
		f.at("preferred.start", p.Start, now)
		f.at("preferred.end", p.End, now)
	}
	if rt := r.Return; rt != nil {
		f.text("return.sale_date", rt.SaleDate)
		f.dateRange("return.sale_date", rt.SaleDate, calendarDate(now.In(loc)))
		if math.IsNaN(rt.AreaM2) || rt.AreaM2 < 0 || rt.AreaM2 > MaxAreaM2 {
			f["return.area_m2"] = fmt.Sprintf("must be 0–%d", MaxAreaM2)
		}
	}
	if g := r.Guidance; g != nil && !g.InstallationAt.IsZero() {
		f.at("guidance.installation_at", g.InstallationAt, now)
	}
	if len(f) == 0 {
		return nil
	}
	return f
}

// bounds checks every field of an event against Limits, whatever its type:
// nothing unbounded reaches the workflow's history or PostgreSQL. Times are
// checked around e.At, the time the API received the event.
func (e Event) bounds(f problems) {
	f.text("type", string(e.Type))
	f.customer("customer.", e.Customer)
	// The service zone is not known here; a date after tomorrow (UTC) is in
	// the future anywhere. Today-or-tomorrow is left to R1.2.
	var latest time.Time
	if !e.At.IsZero() {
		latest = calendarDate(e.At.UTC()).AddDate(0, 0, 1)
	}
	f.product(e.Product, latest)
	f.text("symptoms", e.Symptoms)
	f.text("category", e.Category)
	f.list("parts", e.Parts)
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"start", e.Start}, {"end", e.End}, {"eta", e.ETA}, {"resume_at", e.ResumeAt}} {
		if t.at != nil {
			f.at(t.name, *t.at, e.At)
		}
	}
	if e.Visit != nil && (*e.Visit < 1 || *e.Visit > MaxVisit) { // ext: R10.2
		f["visit"] = fmt.Sprintf("must be 1–%d, got %d", MaxVisit, *e.Visit)
	}
	if e.Minutes != nil && (*e.Minutes < 1 || *e.Minutes > MaxDelayMinutes) {
		f["minutes"] = fmt.Sprintf("must be 1–%d, got %d", MaxDelayMinutes, *e.Minutes)
	}
	f.text("reason", e.Reason)
	f.text("address", e.Address)
	f.text("engineer", e.Engineer)
	f.text("cause", e.Cause)
	f.text("description", e.Description)
	f.text("answer", e.Answer)
	if e.Amount != nil {
		f.money("amount", *e.Amount)
	}
	for _, r := range []struct {
		name string
		v    *int
	}{{"quality_rating", e.QualityRating}, {"attitude_rating", e.AttitudeRating}} {
		if r.v != nil && (*r.v < MinRating || *r.v > MaxRating) {
			f[r.name] = fmt.Sprintf("must be %d–%d, got %d", MinRating, MaxRating, *r.v)
		}
	}
	if rec := e.Record; rec != nil {
		f.text("record.cause", rec.Cause)
		f.text("record.measures", rec.Measures)
		f.list("record.parts_used", rec.PartsUsed)
		f.money("record.charge", rec.Charge)
	}
	f.text("text", e.Text)
	f.text("resolution", e.Resolution)
	f.text("note", e.Note)
	if e.Fee != nil { // ext: R12.2
		f.money("fee", *e.Fee)
	}
	if rt := e.Return; rt != nil { // ext: R12.3
		f.text("return.sale_date", rt.SaleDate)
		if math.IsNaN(rt.AreaM2) || rt.AreaM2 < 0 || rt.AreaM2 > MaxAreaM2 {
			f["return.area_m2"] = fmt.Sprintf("must be 0–%d", MaxAreaM2)
		}
	}
}

// MaximalRequest is a valid request with every text at its limit (in 3-byte
// characters) and every list full: the worst case of the size bound.
func MaximalRequest() Request {
	fill := func(field string) string { return strings.Repeat("字", LimitOf(field).Max) }
	return Request{
		ID:               strings.Repeat("S", LimitOf("id").Max),
		Kind:             KindReturn,
		Customer:         Customer{Name: fill("customer.name"), Phone: fill("customer.phone"), Address: fill("customer.address"), Region: fill("customer.region"), Lang: fill("customer.lang")},
		Product:          Product{Model: fill("product.model"), Spec: fill("product.spec"), Colour: fill("product.colour"), Serial: fill("product.serial"), PurchaseDate: "2026-01-15"},
		Symptoms:         fill("symptoms"),
		CustomerRequests: fill("customer_requests"),
		Skill:            fill("skill"),
		Return:           &ReturnInfo{SaleDate: "2026-01-15", AreaM2: MaxAreaM2},
	}
}

// MaximalEvent is a valid event with every text at its limit (in 3-byte
// characters) and every list full.
func MaximalEvent() Event {
	fill := func(field string) string { return strings.Repeat("字", LimitOf(field).Max) }
	list := func(field string) []string {
		out := make([]string, LimitOf(field).Max)
		for i := range out {
			out[i] = fill(field + "[]")
		}
		return out
	}
	five, yes, amount := MaxRating, true, float64(MaxMoney)
	return Event{
		Type: EvCompleted, QualityRating: &five, AttitudeRating: &five, Satisfied: &yes, SignedByCustomer: &yes, FixCertain: &yes,
		Customer: &Customer{Name: fill("customer.name"), Address: fill("customer.address"), Region: fill("customer.region")},
		Product:  &Product{Model: fill("product.model"), Spec: fill("product.spec"), Colour: fill("product.colour"), Serial: fill("product.serial")},
		Symptoms: fill("symptoms"), Category: CategoryQuality, Parts: list("parts"),
		Reason: fill("reason"), Address: fill("address"), Engineer: fill("engineer"), Cause: fill("cause"),
		Description: fill("description"), Answer: fill("answer"), Amount: &amount,
		Record: &ServiceRecord{Cause: fill("record.cause"), Measures: fill("record.measures"), PartsUsed: list("record.parts_used"), Charge: MaxMoney},
		Text:   fill("text"), Resolution: fill("resolution"), Note: fill("note"),
		Checklist: allItems(EvCompleted),
	}
}

// allItems lists every item of the checklists of an event type.
func allItems(t EventType) []string {
	var out []string
	for _, c := range ChecklistsFor(t) {
		for _, it := range c.Items {
			out = append(out, it.ID)
		}
	}
	return out
}
