// Package sop is the vocabulary of the after-sales on-site service procedure
// (售后上门服务规范): the numbered rules of ../shared/docs/sop-rules.md, the
// request data, the events callers send, the statuses a request passes
// through, the timeline kinds an auditor reads and the policy values (the
// "sop.*" configuration keys) a request is started with.
//
// Every other package speaks in these terms; the names here are the public
// contract (contract.md) and must not be renamed silently.
package sop

// Rule is the ID of one rule of the SOP, e.g. "R6.3".
type Rule string

// The rules, as numbered in sop-rules.md.
const (
	R1_1 Rule = "R1.1" // request data
	R1_2 Rule = "R1.2" // verification of incomplete data, verify timeout
	R1_3 Rule = "R1.3" // one request, one workflow

	R2_1 Rule = "R2.1" // triage: cause, remedy, parts
	R2_2 Rule = "R2.2" // misuse: phone consultation, call-back 2 h later
	R2_3 Rule = "R2.3" // parts requisition before the visit
	R2_4 Rule = "R2.4" // unknown fault: consult HQ technical before the visit
	R2_5 Rule = "R2.5" // workshop repair with a loaner

	R3_1 Rule = "R3.1" // warranty from the purchase date
	R3_2 Rule = "R3.2" // out of warranty: fee standard quoted before the visit
	R3_3 Rule = "R3.3" // returns and exchanges

	R4_1 Rule = "R4.1" // booking, conflicts, reassignment
	R4_2 Rule = "R4.2" // confirmation call, mismatched data
	R4_3 Rule = "R4.3" // phone not answered
	R4_4 Rule = "R4.4" // angry customer refusing a visit
	R4_5 Rule = "R4.5" // customer never reachable
	R4_6 Rule = "R4.6" // technical guidance before installation

	R5_1 Rule = "R5.1" // toolkit self-check
	R5_2 Rule = "R5.2" // departure so as to arrive early
	R5_3 Rule = "R5.3" // delays on the way

	R6_1 Rule = "R6.1" // appearance self-check
	R6_2 Rule = "R6.2" // bell, then two rounds of three knocks
	R6_3 Rule = "R6.3" // the door protocol
	R6_4 Rule = "R6.4" // on time or up to 5 min early, ID badge
	R6_5 Rule = "R6.5" // lateness tiers, apology, manager visit
	R6_6 Rule = "R6.6" // not home, helper refuses entry
	R6_7 Rule = "R6.7" // customer doubts the engineer
	R6_8 Rule = "R6.8" // product elsewhere, power cut, going out, eating
	R6_9 Rule = "R6.9" // shoe covers

	R7_1 Rule = "R7.1" // diagnosis, on-site or workshop repair
	R7_2 Rule = "R7.2" // new problem: HQ, answer by the next day
	R7_3 Rule = "R7.3" // compensation only by the centre's decision
	R7_4 Rule = "R7.4" // another urgent job: the centre decides
	R7_5 Rule = "R7.5" // incidents go to the centre
	R7_6 Rule = "R7.6" // conduct in the customer's home

	R8_1 Rule = "R8.1" // service record, ratings, signature
	R8_2 Rule = "R8.2" // a signature is never forced
	R8_3 Rule = "R8.3" // re-visits until satisfied, manager after N visits
	R8_4 Rule = "R8.4" // service card left with the customer

	R9_1 Rule = "R9.1" // follow-up of an uncertain fix
	R9_2 Rule = "R9.2" // every consultation gets its call-back

	R10_1 Rule = "R10.1" // card returned the same day
	R10_2 Rule = "R10.2" // daily reconciliation, suspected falsification

	R11_1 Rule = "R11.1" // complaints answered within 12 h
	R11_2 Rule = "R11.2" // every step recorded and auditable

	R12_1 Rule = "R12.1" // departure confirmed 1 h ahead
	R12_2 Rule = "R12.2" // work and fee explained, agreed before it starts
	R12_3 Rule = "R12.3" // refusal of the repair: persuade, else the returns procedure
	R12_4 Rule = "R12.4" // pauses stop the clocks, with a maximum
	R12_5 Rule = "R12.5" // leaving: covers off outside, thanks and goodbye
	R12_6 Rule = "R12.6" // installation damage under warranty
	R12_7 Rule = "R12.7" // remote resolution for any fault
	R12_8 Rule = "R12.8" // custom goods not returnable
	R12_9 Rule = "R12.9" // customers' suggestions per model
)

// AllRules lists every rule in document order.
var AllRules = []Rule{
	R1_1, R1_2, R1_3,
	R2_1, R2_2, R2_3, R2_4, R2_5,
	R3_1, R3_2, R3_3,
	R4_1, R4_2, R4_3, R4_4, R4_5, R4_6,
	R5_1, R5_2, R5_3,
	R6_1, R6_2, R6_3, R6_4, R6_5, R6_6, R6_7, R6_8, R6_9,
	R7_1, R7_2, R7_3, R7_4, R7_5, R7_6,
	R8_1, R8_2, R8_3, R8_4,
	R9_1, R9_2,
	R10_1, R10_2,
	R11_1, R11_2,
	R12_1, R12_2, R12_3, R12_4, R12_5, R12_6, R12_7, R12_8, R12_9,
}
