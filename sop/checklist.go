package sop

import (
	"fmt"
	"slices"
	"strings"
)

// The conduct rules only the engineer on site can keep (sop-rules.md,
// "Checklists"): the system cannot see them, so the engineer confirms each
// item with the event it belongs to ("checklist": [item ids]). What was
// confirmed and what was not is recorded (timeline kind "checklist"), and an
// item not confirmed is a breach of its rule for the auditor.

// ChecklistItem is one thing the engineer confirms.
type ChecklistItem struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Checklist is the list of one rule, confirmed with the events of Events.
type Checklist struct {
	Rule   Rule            `json:"rule"`
	Events []EventType     `json:"events"`
	When   string          `json:"when"`
	Items  []ChecklistItem `json:"items"`
}

// Checklists are the conduct rules as checklists, in document order.
var Checklists = []Checklist{
	{Rule: R5_1, Events: []EventType{EvDeparted}, When: "on leaving for the customer", Items: []ChecklistItem{
		{"tools", "tools"},
		{"parts", "parts, or the loaner unit"},
		{"spare_covers", "spare shoe covers"},
		{"note_slips", "note slips"},
		{"id_badge", "ID badge"},
		{"record_sheet", "service record sheet"},
		{"receipt", "receipt and fee standard"},
		{"floor_cloth", "floor cloth"},
	}},
	{Rule: R6_1, Events: []EventType{EvArrived}, When: "on arriving, before knocking", Items: []ChecklistItem{
		{"appearance", "appearance checked: uniform clean and tidy"},
		{"badge_worn", "ID badge worn"},
	}},
	{Rule: R6_9, Events: []EventType{EvDoorAnswered, EvKnocked}, When: "on entering the home", Items: []ChecklistItem{
		{"covers_on", "shoe covers on: one foot, step in, the other"},
		{"spare_pair", "a spare pair at hand"},
	}},
	{Rule: R7_6, Events: []EventType{EvCompleted}, When: "on completing the visit", Items: []ChecklistItem{
		{"taught_use", "customer taught use and maintenance"},
		{"cleaned_up", "work area cleaned up"},
		{"no_smoking_eating", "no smoking, eating or drinking in the home"},
		{"no_gifts", "no gifts accepted"},
		{"no_phone_toilet", "customer's phone and toilet not used"},
	}},
	{Rule: R8_4, Events: []EventType{EvCompleted}, When: "on completing the visit", Items: []ChecklistItem{
		{"card_left", "service card with the service number left"},
	}},
	{Rule: R12_5, Events: []EventType{EvCompleted}, When: "on leaving the home", Items: []ChecklistItem{
		{"covers_off_outside", "shoe covers off outside the door, one foot at a time"},
		{"thanked", "customer thanked, goodbye said"},
	}},
	// R12.9 (001 §二.2(4) 征求客户的意见和建议): the engineer asks; what the
	// customer suggests is recorded with a "suggestion" event.
	{Rule: R12_9, Events: []EventType{EvCompleted}, When: "on completing the visit", Items: []ChecklistItem{
		{"asked_suggestions", "customer asked for opinions and suggestions on the product"},
	}},
}

// ChecklistOf returns the checklist of a rule.
func ChecklistOf(r Rule) (Checklist, bool) {
	for _, c := range Checklists {
		if c.Rule == r {
			return c, true
		}
	}
	return Checklist{}, false
}

// ChecklistsFor returns the checklists confirmed with an event type.
func ChecklistsFor(t EventType) []Checklist {
	var out []Checklist
	for _, c := range Checklists {
		if slices.Contains(c.Events, t) {
			out = append(out, c)
		}
	}
	return out
}

// Missing returns the items of c not among confirmed, in the list's order.
func (c Checklist) Missing(confirmed []string) []string {
	var out []string
	for _, it := range c.Items {
		if !slices.Contains(confirmed, it.ID) {
			out = append(out, it.ID)
		}
	}
	return out
}

// checklistProblem says why a list of confirmed items does not fit the
// event's checklists, or "".
func checklistProblem(t EventType, items []string) string {
	lists := ChecklistsFor(t)
	if len(items) > 0 && len(lists) == 0 {
		return fmt.Sprintf("%s has no checklist", t)
	}
	var unknown []string
	for i, id := range items {
		if slices.Contains(items[:i], id) {
			return fmt.Sprintf("item %q given twice", id)
		}
		if !slices.ContainsFunc(lists, func(c Checklist) bool {
			return slices.ContainsFunc(c.Items, func(it ChecklistItem) bool { return it.ID == id })
		}) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		var known []string
		for _, c := range lists {
			for _, it := range c.Items {
				known = append(known, it.ID)
			}
		}
		return fmt.Sprintf("unknown item(s) %s; the items of %s are %s", strings.Join(unknown, ", "), t, strings.Join(known, ", "))
	}
	return ""
}
