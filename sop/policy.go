package sop

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration that reads and writes as "2h0m0s" in JSON, so
// workflow inputs and histories stay legible to auditors.
type Duration time.Duration

// D is shorthand for Duration(d).
func D(d time.Duration) Duration { return Duration(d) }

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string ("90m") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q", s)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("invalid duration %s", b)
	}
	*d = Duration(n)
	return nil
}

// Policy holds the SOP values in force ("sop.*" configuration keys). A copy is
// put into each workflow's input when the request starts, so a request keeps
// the policy it began with and replays deterministically.
type Policy struct {
	VerifyTimeout          Duration `json:"verify_timeout"`            // R1.2
	ConsultationFollowup   Duration `json:"consultation_followup"`     // R2.2
	WarrantyMonths         int      `json:"warranty_months"`           // R3.1
	ReturnWindow           Duration `json:"return_window"`             // R3.3
	ArriveEarly            Duration `json:"arrive_early"`              // R5.2
	KnockInterval          Duration `json:"knock_interval"`            // R6.3
	CallAfter              Duration `json:"call_after"`                // R6.3
	LateNotice             Duration `json:"late_notice"`               // R6.5: call the customer this long before the start when not there
	LateMajor              Duration `json:"late_major"`                // R6.5
	HQAnswerWithin         Duration `json:"hq_answer_within"`          // R7.2
	MaxVisitsBeforeManager int      `json:"max_visits_before_manager"` // R8.3
	UncertainFixFollowup   Duration `json:"uncertain_fix_followup"`    // R9.1
	ReconcileAt            string   `json:"reconcile_at"`              // R10.2, "HH:MM" local time
	ComplaintResponse      Duration `json:"complaint_response"`        // R11.1
	GuidanceNotice         Duration `json:"guidance_notice"`           // R4.6: register this long before installation
	GuidanceCallWithin     Duration `json:"guidance_call_within"`      // R4.6: call back within this before installation
	UTCOffsetSeconds       int      `json:"utc_offset_seconds"`        // local time of the service area (same-day rules)
	DefaultTravel          Duration `json:"default_travel"`            // R5.2 when the engineer has no travel time
	HistoryLimit           int      `json:"history_limit,omitempty"`   // continue-as-new after this many history events

	// Keys of the complete SOP (requests begun with workflows' rulesComplete;
	// zero in the inputs of older requests, which never read them).
	ReturnAreaLimitM2    float64  `json:"return_area_limit_m2,omitempty"`   // R3.3: up to this many m² brought to the store
	GuidanceVisit        Duration `json:"guidance_visit,omitempty"`         // R4.6: length of the engineer's guidance visit
	CallAgainAfter       Duration `json:"call_again_after,omitempty"`       // R4.3: try an unanswered phone again after this
	DoorEarly            Duration `json:"door_early,omitempty"`             // R6.4: at the door on time or up to this early
	DeparturePlanAhead   Duration `json:"departure_plan_ahead,omitempty"`   // R12.1: departure confirmed this long ahead
	PauseMax             Duration `json:"pause_max,omitempty"`              // R12.4: a pause longer than this goes back to booking
	CallbackWithin       Duration `json:"callback_within,omitempty"`        // R2.2, R9.1, R10.2: a due call-back is made within this
	ManagerAfter         Duration `json:"manager_after,omitempty"`          // an escalation to the centre left this long goes to the manager
	RevisitBookingWithin Duration `json:"revisit_booking_within,omitempty"` // R8.3: a re-visit is booked within this
	ReconcileGrace       Duration `json:"reconcile_grace,omitempty"`        // R10.2: a card not reconciled this long after the run is escalated
}

// DefaultPolicy is the SOP as written (sop-rules.md, contract.md defaults).
func DefaultPolicy() Policy {
	return Policy{
		VerifyTimeout:          D(2 * time.Hour),
		ConsultationFollowup:   D(2 * time.Hour),
		WarrantyMonths:         12,
		ReturnWindow:           D(720 * time.Hour),
		ArriveEarly:            D(10 * time.Minute),
		KnockInterval:          D(30 * time.Second),
		CallAfter:              D(5 * time.Minute),
		LateNotice:             D(2 * time.Minute),
		LateMajor:              D(15 * time.Minute),
		HQAnswerWithin:         D(24 * time.Hour),
		MaxVisitsBeforeManager: 3,
		UncertainFixFollowup:   D(168 * time.Hour),
		ReconcileAt:            "18:00",
		ComplaintResponse:      D(12 * time.Hour),
		GuidanceNotice:         D(72 * time.Hour),
		GuidanceCallWithin:     D(12 * time.Hour),
		DefaultTravel:          D(30 * time.Minute),
		HistoryLimit:           4000,
		ReturnAreaLimitM2:      2,
		GuidanceVisit:          D(2 * time.Hour),
		CallAgainAfter:         D(30 * time.Minute),
		DoorEarly:              D(5 * time.Minute),
		DeparturePlanAhead:     D(time.Hour),
		PauseMax:               D(30 * time.Minute),
		CallbackWithin:         D(time.Hour),
		ManagerAfter:           D(4 * time.Hour),
		RevisitBookingWithin:   D(24 * time.Hour),
		ReconcileGrace:         D(time.Hour),
	}
}

// Location is the fixed zone of the service area, used for "same day" rules.
func (p Policy) Location() *time.Location {
	if p.UTCOffsetSeconds == 0 {
		return time.UTC
	}
	return time.FixedZone(fmt.Sprintf("UTC%+03d:%02d", p.UTCOffsetSeconds/3600, abs(p.UTCOffsetSeconds%3600)/60), p.UTCOffsetSeconds)
}

// ReconcileClock returns the hour and minute of sop.reconcile_at.
func (p Policy) ReconcileClock() (hour, minute int, err error) {
	return ParseClock(p.ReconcileAt)
}

// ParseClock reads "HH:MM" (24-hour).
func ParseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid time of day %q (want HH:MM)", s)
	}
	return t.Hour(), t.Minute(), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// CardDue is when the service task card of a visit completed at t must be
// back (R10.1): the last second of the visit's day in the service area. The
// workflow's card clock and the daily reconciliation (R10.2) both use it.
func CardDue(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 23, 59, 59, 0, loc)
}
