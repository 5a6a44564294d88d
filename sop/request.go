package sop

import (
	"fmt"
	"strings"
	"time"
)

// RequestKind says which procedure a request follows.
type RequestKind string

// Request kinds. A repair is the on-site service of R1–R11; returns (R3.3)
// and installation guidance (R4.6) have procedures of their own.
const (
	KindRepair               RequestKind = "repair"
	KindReturn               RequestKind = "return"
	KindInstallationGuidance RequestKind = "installation_guidance"
)

// Customer is who called and where the product is (R1.1).
type Customer struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
	Region  string `json:"region"`
	Lang    string `json:"lang,omitempty"` // "zh" (default) or "en": language of customer-facing texts
}

// Product is what is faulty (R1.1).
type Product struct {
	Model        string `json:"model"`
	Spec         string `json:"spec,omitempty"`
	Colour       string `json:"colour,omitempty"`
	Serial       string `json:"serial,omitempty"`
	PurchaseDate string `json:"purchase_date"` // YYYY-MM-DD, purchase or acceptance date (R3.1)
}

// Window is a time range, e.g. an appointment.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Request is the body of POST /v1/requests (R1.1).
type Request struct {
	ID               string      `json:"id,omitempty"`
	Kind             RequestKind `json:"kind,omitempty"`
	Customer         Customer    `json:"customer"`
	Product          Product     `json:"product"`
	Symptoms         string      `json:"symptoms"`
	CustomerRequests string      `json:"customer_requests,omitempty"`
	Preferred        *Window     `json:"preferred,omitempty"`
	Skill            string      `json:"skill,omitempty"` // skill the engineer needs, if any (R4.1)
	Return           *ReturnInfo `json:"return,omitempty"`
	Guidance         *Guidance   `json:"guidance,omitempty"`
}

// KindOrRepair is the request's kind, a repair when none is given (R1.1).
func (r Request) KindOrRepair() RequestKind {
	if r.Kind == "" {
		return KindRepair
	}
	return r.Kind
}

// ReturnInfo describes a return or exchange (R3.3).
type ReturnInfo struct {
	Exchange        bool    `json:"exchange"`          // exchange rather than refund
	SaleDate        string  `json:"sale_date"`         // YYYY-MM-DD; defaults to the purchase date
	HasReceipt      bool    `json:"has_receipt"`       // receipt or invoice shown
	QualityProblem  bool    `json:"quality_problem"`   // the reason is a quality fault
	PackagingIntact bool    `json:"packaging_intact"`  // goods and packaging intact
	SpecialPrice    bool    `json:"special_price"`     // special-price or clearance goods
	Installed       bool    `json:"installed"`         // already installed (tiled): counts as accepted
	AreaM2          float64 `json:"area_m2,omitempty"` // quantity, for the store/warehouse decision

	// ext: R12.8: custom-ordered goods, not returnable without a quality problem.
	CustomMade bool `json:"custom_made,omitempty"`
}

// Guidance describes a registration for technical guidance before installation (R4.6).
type Guidance struct {
	InstallationAt time.Time `json:"installation_at"`
}

// DatePattern is the layout of dates in requests.
const DatePattern = "2006-01-02"

// ParseDate reads a YYYY-MM-DD date.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DatePattern, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return t, nil
}

// Problem is one missing or implausible field of a request (R1.2).
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problems are a request's problems, in a fixed order (workflow code never
// iterates a map).
type Problems []Problem

// Map returns field → reason, for JSON answers.
func (ps Problems) Map() map[string]string {
	if len(ps) == 0 {
		return nil
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Field] = p.Reason
	}
	return m
}

func (ps Problems) String() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Field + " " + p.Reason
	}
	return strings.Join(parts, "; ")
}

// Problems lists what is missing or implausible in the request's data (R1.2).
// An empty result means the data can be acted on. today is the request's
// current date (workflow time), so a purchase date in the future counts as
// implausible. today's date is taken in today's own location: pass the
// current time in the service area's zone.
func (r Request) Problems(today time.Time) Problems { return r.problems(today, true) }

// ProblemsBeforeDec2026 is Problems as requests begun before 2026-12 judged
// the purchase date: no earliest date, and the date (at UTC midnight)
// compared with the current instant, so that a purchase made today looked
// "in the future" before 08:00 at UTC+8. Their workflows replay with it
// (workflows/versions.go).
func (r Request) ProblemsBeforeDec2026(today time.Time) Problems { return r.problems(today, false) }

func (r Request) problems(today time.Time, calendar bool) Problems {
	var p Problems
	add := func(field, reason string) { p = append(p, Problem{field, reason}) }
	if strings.TrimSpace(r.Customer.Name) == "" {
		add("customer.name", "missing")
	}
	if strings.TrimSpace(r.Customer.Address) == "" {
		add("customer.address", "missing")
	}
	if msg := PhoneProblem(r.Customer.Phone); msg != "" {
		add("customer.phone", msg)
	}
	if strings.TrimSpace(r.Product.Model) == "" {
		add("product.model", "missing")
	}
	switch d, err := ParseDate(r.Product.PurchaseDate); {
	case strings.TrimSpace(r.Product.PurchaseDate) == "":
		add("product.purchase_date", "missing")
	case err != nil:
		add("product.purchase_date", err.Error())
	case !calendar:
		if d.After(today) {
			add("product.purchase_date", "in the future")
		}
	case d.Before(EarliestPurchase):
		add("product.purchase_date", "before "+EarliestPurchase.Format(DatePattern))
	case d.After(calendarDate(today)):
		// Calendar dates in today's zone (the service area's): a purchase
		// made today is not "in the future" before 08:00 at UTC+8.
		add("product.purchase_date", "in the future")
	}
	if strings.TrimSpace(r.Symptoms) == "" && r.Kind != KindInstallationGuidance && r.Kind != KindReturn {
		add("symptoms", "missing")
	}
	return p
}

// PhoneProblem says what is wrong with a phone number, or "" if it looks dialable.
func PhoneProblem(phone string) string {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "missing"
	}
	digits := 0
	for _, c := range phone {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' || c == '-' || c == ' ' || c == '(' || c == ')':
		default:
			return fmt.Sprintf("not a phone number (%q)", c)
		}
	}
	if digits < 7 || digits > 15 {
		return fmt.Sprintf("has %d digits (want 7–15)", digits)
	}
	return ""
}

// Merge applies corrections (non-empty fields of c and p) to the request (R1.2, R4.2).
// It returns the names of the fields that changed.
func (r *Request) Merge(c *Customer, p *Product, symptoms string) []string {
	var changed []string
	set := func(name string, dst *string, v string) {
		if v != "" && *dst != v {
			*dst = v
			changed = append(changed, name)
		}
	}
	if c != nil {
		set("customer.name", &r.Customer.Name, c.Name)
		set("customer.phone", &r.Customer.Phone, c.Phone)
		set("customer.address", &r.Customer.Address, c.Address)
		set("customer.region", &r.Customer.Region, c.Region)
		set("customer.lang", &r.Customer.Lang, c.Lang)
	}
	if p != nil {
		set("product.model", &r.Product.Model, p.Model)
		set("product.spec", &r.Product.Spec, p.Spec)
		set("product.colour", &r.Product.Colour, p.Colour)
		set("product.serial", &r.Product.Serial, p.Serial)
		set("product.purchase_date", &r.Product.PurchaseDate, p.PurchaseDate)
	}
	set("symptoms", &r.Symptoms, symptoms)
	return changed
}
