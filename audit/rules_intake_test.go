package audit_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
	"github.com/housecall/housecall/workflows/wftest"
)

// Rule cases of intake, triage, warranty and returns: R1.1, R1.2, R1.3,
// R2.1, R2.3, R2.4, R3.1, R3.2, R3.3, R12.6, R12.7, R12.8.

const (
	inMin  = time.Minute
	inHour = time.Hour
)

// Values of the keys these rules read, unlike any key's default, so that a
// clock reading the wrong key fails.
const (
	inVerifyTimeout  = 43 * inMin // sop.verify_timeout (default 2h)
	inHQWithin       = 7 * inHour // sop.hq_answer_within (default 24h)
	inConsultFollow  = 37 * inMin // sop.consultation_followup (default 2h)
	inWarrantyMonths = 7          // sop.warranty_months (default 12)
	inReturnWindow   = 17 * 24 * inHour
	inAreaLimit      = 3.7 // sop.return_area_limit_m2 (default 2)
)

func inTriage(category string, parts ...string) sop.Event {
	return sop.Event{Type: sop.EvTriaged, Category: category, Parts: parts}
}

func inConsulted(b bool) sop.Event {
	return sop.Event{Type: sop.EvConsultationGiven, Accepted: wftest.Ptr(b)}
}

// inVisit takes engineer E-1 through the booked slot (wftest.SlotStart, 14:00
// in the service area) to the door: departed at 13:20, arrived 13:52, door
// answered at 14:00, the cause found (R7.1) and the work explained and
// agreed (R12.2) by 14:10. Offsets are from T0.
func inVisit(h *wftest.Harness) {
	h.Eng(4*inHour+20*inMin, sop.Event{Type: sop.EvDeparted, Checklist: wftest.Checklist(sop.EvDeparted)})
	h.Eng(4*inHour+52*inMin, sop.Event{Type: sop.EvArrived, Checklist: wftest.Checklist(sop.EvArrived)})
	h.Eng(5*inHour, sop.Event{Type: sop.EvKnocked, Answered: wftest.Ptr(true), Checklist: wftest.Checklist(sop.EvKnocked)})
	h.Eng(5*inHour+5*inMin, sop.Event{Type: sop.EvDiagnosed, Cause: "glaze defect", Onsite: wftest.Ptr(true)})
	h.Eng(5*inHour+10*inMin, sop.Event{Type: sop.EvWorkExplained, Accepted: wftest.Ptr(true), Minutes: wftest.Ptr(40), Fee: wftest.Ptr(200.0)})
}

// inCompleted is the engineer's completion with a charge on the record.
func inCompleted(charge float64) sop.Event {
	return sop.Event{
		Type: sop.EvCompleted, QualityRating: wftest.Ptr(5), AttitudeRating: wftest.Ptr(5),
		Satisfied: wftest.Ptr(true), SignedByCustomer: wftest.Ptr(true), FixCertain: wftest.Ptr(true),
		Record:    &sop.ServiceRecord{Cause: "glaze defect", Measures: "tile replaced", Charge: charge},
		Checklist: wftest.Checklist(sop.EvCompleted),
	}
}

// inReturnRequest is a return of goods sold on the day of T0's request (in
// the service area), with receipt and packaging intact.
func inReturnRequest(area float64) sop.Request {
	r := wftest.Request()
	r.ID = "SR-RETURN-1"
	r.Kind = sop.KindReturn
	r.Symptoms = ""
	r.Return = &sop.ReturnInfo{SaleDate: "2026-02-20", HasReceipt: true, PackagingIntact: true, AreaM2: area}
	return r
}

func inReturnPolicy(h *wftest.Harness) {
	h.Policy.ReturnAreaLimitM2 = inAreaLimit
	h.Policy.ReturnWindow = sop.D(inReturnWindow)
}

// notes asserts exactly one notification of m and returns it.
func inNote(t *testing.T, h *wftest.Harness, m sop.Message) wftest.Sent {
	t.Helper()
	ns := h.Notes(m)
	if len(ns) != 1 {
		t.Fatalf("%d %s notifications, want 1: %+v; timeline:%s", len(ns), m, ns, h.Timeline())
	}
	return ns[0]
}

func inWantNote(t *testing.T, n wftest.Sent, to sop.Audience, recipient string, at time.Time, params map[string]string) {
	t.Helper()
	if n.To != to || (recipient != "" && n.Recipient != recipient) {
		t.Errorf("%s to %s %q, want %s %q", n.Message, n.To, n.Recipient, to, recipient)
	}
	if !at.IsZero() && !n.At.Equal(at) {
		t.Errorf("%s sent at %s, want %s", n.Message, n.At, at)
	}
	for k, v := range params {
		if got := n.Params[k]; !strings.Contains(got, v) {
			t.Errorf("%s param %s = %q, want it to say %q", n.Message, k, got, v)
		}
	}
}

func inWantStatus(t *testing.T, v *workflows.View, want sop.Status) {
	t.Helper()
	if v.Status != want {
		t.Errorf("live status %s, want %s (pending %+v)", v.Status, want, v.Pending)
	}
}

func init() {
	phone := wftest.Request().Customer.Phone
	var (
		inView    *workflows.View
		inRefused *wftest.Result
		inEarly   *wftest.Result
	)
	cases(
		// R1.1
		ruleCase{rule: sop.R1_1, want: audit.Met, name: "intake_carries_every_field", evidence: `carrying name, address, phone, model, purchase date, symptoms; the customer asks: "replace the cracked tiles"`,
			run: func(h *wftest.Harness) {
				h.Request.CustomerRequests = "replace the cracked tiles"
				h.Run(inHour)
			}},
		ruleCase{rule: sop.R1_1, want: audit.Met, name: "implausible_purchase_date_sent_to_verification", evidence: "sent to verification at intake",
			run: func(h *wftest.Harness) {
				h.Request.Product.PurchaseDate = "1985-06-01"
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := inNote(t, h, sop.MsgVerifyData)
				inWantNote(t, n, sop.ToCentre, "", wftest.T0, map[string]string{"problems": "product.purchase_date before 1990-01-01"})
			}},
		ruleCase{rule: sop.R1_1, want: audit.Breached, name: "implausible_purchase_date_not_verified_before_calendar_rules", evidence: "not sent to verification",
			// Requests begun before stepsRecorded took a purchase date of
			// 1985 as plausible and went on to triage.
			run: func(h *wftest.Harness) {
				h.Env.OnGetVersion(workflows.ChangeLocalSteps, workflow.DefaultVersion, workflows.StepsVersionNow).Return(workflow.DefaultVersion)
				h.Request.Product.PurchaseDate = "1985-06-01"
				h.Run(inHour)
			}},

		// R1.2: verification within sop.verify_timeout (43m here).
		ruleCase{rule: sop.R1_2, want: audit.Met, name: "verified_exactly_at_verify_timeout", evidence: "verified 43 m after intake",
			run: func(h *wftest.Harness) {
				h.Policy.VerifyTimeout = sop.D(inVerifyTimeout)
				h.Request.Customer.Address = ""
				h.CC(inVerifyTimeout, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "北京市朝阳区建国路 88 号 5-501"}})
				inView = h.ViewAt(inVerifyTimeout + inMin)
				h.Run(2 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantStatus(t, inView, sop.StatusTriage)
				inWantNote(t, inNote(t, h, sop.MsgVerifyData), sop.ToCentre, "", wftest.T0, map[string]string{"problems": "customer.address missing"})
			}},
		ruleCase{rule: sop.R1_2, want: audit.Breached, name: "verified_one_second_after_verify_timeout_escalated", evidence: "over the 43 m limit",
			run: func(h *wftest.Harness) {
				h.Policy.VerifyTimeout = sop.D(inVerifyTimeout)
				h.Request.Customer.Address = ""
				h.CC(inVerifyTimeout+time.Second, sop.Event{Type: sop.EvInfoVerified, Customer: &sop.Customer{Address: "北京市朝阳区建国路 88 号 5-501"}})
				h.Run(2 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := inNote(t, h, sop.MsgVerifyOverdue)
				inWantNote(t, n, sop.ToCentre, "", wftest.T0.Add(inVerifyTimeout), map[string]string{"problems": "customer.address"})
				if !n.Urgent {
					t.Error("the escalation of R1.2 is not urgent")
				}
			}},

		// R1.3
		ruleCase{rule: sop.R1_3, want: audit.Met, name: "one_request_one_workflow", evidence: "one workflow for request SR-RULE-1",
			run: func(h *wftest.Harness) { h.Run(inHour) }},
		ruleCase{rule: sop.R1_3, want: audit.Breached, name: "same_request_started_again", evidence: "started 2 times",
			run: func(h *wftest.Harness) {
				first := wftest.New(h.T)
				first.Run(inHour)
				h.Env.SetStartTime(wftest.T0.Add(48 * inHour))
				h.Run(inHour)
				h.Prepend(first)
			}},
		ruleCase{rule: sop.R1_3, want: audit.Breached, name: "steps_of_another_request", evidence: "belong to 2 requests (SR-RULE-0, SR-RULE-1)",
			run: func(h *wftest.Harness) {
				other := wftest.New(h.T)
				other.Request.ID = "SR-RULE-0"
				other.Run(inHour)
				h.Run(inHour)
				h.Prepend(other)
			}},

		// R2.1
		ruleCase{rule: sop.R2_1, want: audit.Met, name: "triaged_before_the_visit", evidence: "triaged at",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.Run(3 * inHour)
			}},
		ruleCase{rule: sop.R2_1, want: audit.Met, name: "symptoms_corrected_after_triage_triaged_again",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.CC(10*inMin, sop.Event{Type: sop.EvInfoVerified, Symptoms: "tiles lifting off the floor"})
				inEarly = h.Book(15 * inMin)
				inView = h.ViewAt(16 * inMin)
				h.CC(20*inMin, inTriage(sop.CategoryInstallation))
				h.Book(25 * inMin)
				inVisit(h)
				h.Run(5*inHour + 10*inMin)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantStatus(t, inView, sop.StatusTriage)
				wftest.MustReject(t, inEarly, workflows.ErrNotValidNow, "triaged")
				re := h.Only(sop.KindTriageReopened)
				if len(re) != 1 || re[0].Rule != sop.R2_1 || re[0].Outcome != sop.OutPlanned {
					t.Fatalf("triage_reopened entries %+v", re)
				}
				var withdrawn []wftest.Sent
				for _, n := range h.Notes(sop.MsgJobWithdrawn) {
					if n.Rule == sop.R2_1 {
						withdrawn = append(withdrawn, n)
					}
				}
				if len(withdrawn) != 1 {
					t.Fatalf("job withdrawn (R2.1) %d times: %+v", len(withdrawn), withdrawn)
				}
				inWantNote(t, withdrawn[0], sop.ToEngineer, "E-1", wftest.T0.Add(10*inMin), map[string]string{"reason": "symptoms changed"})
				if n := len(h.Only(sop.KindAppointmentBooked)); n != 2 {
					t.Errorf("%d bookings, want 2 (the first withdrawn)", n)
				}
			}},
		ruleCase{rule: sop.R2_1, want: audit.Met, name: "symptoms_corrected_during_the_consultation_triaged_again_call_back_dropped",
			run: func(h *wftest.Harness) {
				h.Policy.ConsultationFollowup = sop.D(inConsultFollow)
				h.CC(inMin, inTriage(sop.CategoryMisuse))
				h.CC(5*inMin, inConsulted(true))
				h.CC(10*inMin, sop.Event{Type: sop.EvInfoVerified, Symptoms: "tiles lifting off the floor"})
				inView = h.ViewAt(11 * inMin)
				h.CC(20*inMin, inTriage(sop.CategoryQuality))
				h.Book(25 * inMin)
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantStatus(t, inView, sop.StatusTriage)
				for _, p := range inView.Pending {
					if p.Clock != "" {
						t.Errorf("clock %s still runs after the symptoms changed", p.Clock)
					}
				}
				if len(inView.Pending) != 1 || inView.Pending[0].Event != sop.EvTriaged {
					t.Errorf("pending %+v, want triaged", inView.Pending)
				}
				if n := len(h.Notes(sop.MsgConsultationCallback)); n != 0 {
					t.Errorf("%d call-backs of a consultation on symptoms that changed", n)
				}
				if inView.Chargeable {
					t.Error("still charged as misuse after the symptoms changed")
				}
			}},
		ruleCase{rule: sop.R2_1, want: audit.Breached, name: "symptoms_corrected_after_triage_visit_made_on_old_triage", evidence: "not triaged again",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.CC(10*inMin, sop.Event{Type: sop.EvInfoVerified, Symptoms: "tiles lifting off the floor"})
				inVisit(h)
				h.Run(5*inHour + 10*inMin)
			}},

		// R2.3
		ruleCase{rule: sop.R2_3, want: audit.Met, name: "parts_reserved_before_the_visit_was_booked", evidence: "reserved 1 h 00 m later",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality, "glaze repair kit", "edge tile"))
				inEarly = h.Book(5 * inMin)
				h.CC(inHour+inMin, sop.Event{Type: sop.EvPartsReserved})
				h.Book(inHour + 2*inMin)
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, inEarly, workflows.ErrNotValidNow, "parts_reserved")
				inWantNote(t, inNote(t, h, sop.MsgPartsRequisition), sop.ToWarehouse, "", wftest.T0.Add(inMin), map[string]string{"parts": "glaze repair kit, edge tile"})
			}},
		ruleCase{rule: sop.R2_3, want: audit.Met, name: "misuse_consultation_declined_parts_requisitioned",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryMisuse, "sealant"))
				h.CC(5*inMin, inConsulted(false))
				inEarly = h.Book(6 * inMin)
				inView = h.ViewAt(7 * inMin)
				h.CC(inHour, sop.Event{Type: sop.EvPartsReserved})
				h.Book(inHour + inMin)
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantStatus(t, inView, sop.StatusAwaitingParts)
				wftest.MustReject(t, inEarly, workflows.ErrNotValidNow, "parts_reserved")
				inWantNote(t, inNote(t, h, sop.MsgPartsRequisition), sop.ToWarehouse, "", wftest.T0.Add(5*inMin), map[string]string{"parts": "sealant"})
			}},
		ruleCase{rule: sop.R2_3, want: audit.Met, name: "misuse_problem_persists_parts_requisitioned",
			run: func(h *wftest.Harness) {
				h.Policy.ConsultationFollowup = sop.D(inConsultFollow)
				h.CC(inMin, inTriage(sop.CategoryMisuse, "sealant"))
				h.CC(5*inMin, inConsulted(true))
				h.CC(5*inMin+inConsultFollow+inMin, sop.Event{Type: sop.EvFollowupResult, Resolved: wftest.Ptr(false)})
				h.CC(2*inHour, sop.Event{Type: sop.EvPartsReserved})
				h.Book(2*inHour + inMin)
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgPartsRequisition), sop.ToWarehouse, "", wftest.T0.Add(6*inMin+inConsultFollow), map[string]string{"parts": "sealant"})
			}},
		ruleCase{rule: sop.R2_3, want: audit.Breached, name: "misuse_consultation_declined_visit_booked_parts_never_requisitioned", evidence: "never requisitioned",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, inTriage(sop.CategoryMisuse, "sealant"))
				h.CC(5*inMin, inConsulted(false))
				h.Book(6 * inMin)
				h.Run(3 * inHour)
			}},

		// R2.4: HQ answers within sop.hq_answer_within (7h here).
		ruleCase{rule: sop.R2_4, want: audit.Met, name: "hq_answered_exactly_at_hq_answer_within", evidence: "HQ answered 7 h 00 m after",
			run: func(h *wftest.Harness) {
				h.Policy.HQAnswerWithin = sop.D(inHQWithin)
				h.CC(inMin, inTriage(sop.CategoryUnknown))
				h.CC(inMin+inHQWithin, sop.Event{Type: sop.EvHQAnswer, Answer: "re-glaze with kit B"})
				inView = h.ViewAt(inMin + inHQWithin + inMin)
				h.Run(9 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgHQConsultation), sop.ToHQ, "", wftest.T0.Add(inMin), map[string]string{"model": "CT-800", "symptoms": "glaze cracking"})
				inWantStatus(t, inView, sop.StatusScheduling)
			}},
		ruleCase{rule: sop.R2_4, want: audit.Breached, name: "hq_answered_one_second_late_manager_told", evidence: "over the 7 h 00 m limit",
			run: func(h *wftest.Harness) {
				h.Policy.HQAnswerWithin = sop.D(inHQWithin)
				h.CC(inMin, inTriage(sop.CategoryUnknown))
				h.CC(inMin+inHQWithin+time.Second, sop.Event{Type: sop.EvHQAnswer, Answer: "re-glaze with kit B"})
				h.Run(9 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				n := inNote(t, h, sop.MsgHQOverdue)
				inWantNote(t, n, sop.ToManager, "", wftest.T0.Add(inMin+inHQWithin), map[string]string{"question": "glaze cracking"})
				if !n.Urgent {
					t.Error("the escalation of R2.4 is not urgent")
				}
			}},
		ruleCase{rule: sop.R2_4, want: audit.Breached, name: "hq_never_answered_escalated_to_manager", evidence: "escalated to the after-sales manager",
			run: func(h *wftest.Harness) {
				h.Policy.HQAnswerWithin = sop.D(inHQWithin)
				h.CC(inMin, inTriage(sop.CategoryUnknown))
				h.Run(8 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgHQOverdue), sop.ToManager, "", wftest.T0.Add(inMin+inHQWithin), nil)
			}},

		// R3.1: sop.warranty_months (7 here), in the service area's calendar.
		ruleCase{rule: sop.R3_1, want: audit.Met, name: "in_warranty_quality_fault_free_charge_refused", evidence: "in warranty",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				inVisit(h)
				inRefused = h.Eng(6*inHour, inCompleted(120))
				h.Eng(6*inHour+inMin, inCompleted(0))
				h.Run(7 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, inRefused, workflows.ErrNotValidNow, "R3.1")
				if len(h.Only(sop.KindFeeQuoted)) != 0 {
					t.Error("a fee was quoted for a free repair")
				}
			}},
		ruleCase{rule: sop.R3_1, want: audit.Met, name: "last_day_of_7_month_warranty_just_after_midnight_free",
			// 00:30 on 2 March in the service area (16:30 UTC on 1 March):
			// bought 3 August, 7 months: in warranty until 3 March.
			run: func(h *wftest.Harness) {
				h.Env.SetStartTime(wftest.T0.Add(-8*inHour - 30*inMin))
				h.Policy.WarrantyMonths = inWarrantyMonths
				h.Request.Product.PurchaseDate = "2025-08-03"
				inView = h.ViewAt(inMin)
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if inView.Warranty != "in" || inView.Chargeable {
					t.Errorf("warranty %q chargeable %v, want in and free", inView.Warranty, inView.Chargeable)
				}
			}},
		ruleCase{rule: sop.R3_1, want: audit.Met, name: "7_month_warranty_ended_at_midnight_charged",
			// 00:30 on 2 March in the service area: bought 2 August, the 7
			// months ended on 2 March (still 1 March in UTC).
			run: func(h *wftest.Harness) {
				start := wftest.T0.Add(-8*inHour - 30*inMin)
				h.Env.SetStartTime(start)
				h.Policy.WarrantyMonths = inWarrantyMonths
				h.Request.Product.PurchaseDate = "2025-08-02"
				h.CC(inMin, inTriage(sop.CategoryQuality))
				inView = h.ViewAt(2 * inMin)
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if inView.Warranty != "out" || !inView.Chargeable {
					t.Errorf("warranty %q chargeable %v, want out and charged", inView.Warranty, inView.Chargeable)
				}
				inWantNote(t, inNote(t, h, sop.MsgFeeStandard), sop.ToCustomer, phone, time.Time{}, map[string]string{"reason": "out of warranty"})
			}},
		ruleCase{rule: sop.R3_1, want: audit.Breached, name: "charged_on_a_free_repair_before_issue_10", evidence: "charged 120.00",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				inVisit(h)
				h.Eng(6*inHour, inCompleted(120))
				h.Run(7 * inHour)
			}},

		// R3.2: a correction that ends the warranty quotes the fee at once.
		ruleCase{rule: sop.R3_2, want: audit.Met, name: "purchase_date_corrected_fee_quoted_before_the_visit", evidence: "fee standard quoted 4 h 22 m before the visit",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.CC(30*inMin, sop.Event{Type: sop.EvInfoVerified, Product: &sop.Product{PurchaseDate: "2024-01-10"}})
				inView = h.ViewAt(31 * inMin)
				inVisit(h)
				h.Eng(6*inHour, inCompleted(150))
				h.Run(7 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				if inView.Warranty != "out" || !inView.Chargeable {
					t.Errorf("after the correction: warranty %q chargeable %v", inView.Warranty, inView.Chargeable)
				}
				inWantNote(t, inNote(t, h, sop.MsgFeeStandard), sop.ToCustomer, phone, wftest.T0.Add(30*inMin), map[string]string{"reason": "out of warranty"})
				var receipt bool
				for _, n := range h.Notes(sop.MsgNewJob) {
					if n.Rule == sop.R3_2 && n.Recipient == "E-1" && n.Params["receipt"] == "yes" {
						receipt = true
					}
				}
				if !receipt {
					t.Error("the engineer was not told to bring a receipt (R3.2)")
				}
				fee := h.Only(sop.KindFeeQuoted)
				if len(fee) != 1 || fee[0].Outcome != sop.OutCharged {
					t.Errorf("fee_quoted entries %+v", fee)
				}
			}},
		ruleCase{rule: sop.R3_1, want: audit.Met, name: "purchase_date_corrected_out_of_warranty_charge_accepted", evidence: "out of warranty: bought 2024-01-10",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.CC(30*inMin, sop.Event{Type: sop.EvInfoVerified, Product: &sop.Product{PurchaseDate: "2024-01-10"}})
				inVisit(h)
				inRefused = h.Eng(6*inHour, inCompleted(150))
				h.Run(7 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) { wftest.MustOK(t, inRefused) }},
		ruleCase{rule: sop.R3_2, want: audit.Breached, name: "purchase_date_corrected_visit_charged_without_fee_quoted", evidence: "without the fee standard quoted",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, inTriage(sop.CategoryQuality))
				h.Book(2 * inMin)
				h.CC(30*inMin, sop.Event{Type: sop.EvInfoVerified, Product: &sop.Product{PurchaseDate: "2024-01-10"}})
				inVisit(h)
				h.Eng(6*inHour, inCompleted(150))
				h.Run(7 * inHour)
			}},

		// R3.3: sop.return_area_limit_m2 (3.7 here) and sop.return_window (17 days).
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "area_exactly_at_the_limit_brought_to_the_store", evidence: "3.7 m² (limit 3.7 m²) handled at the store",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(inAreaLimit)
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0,
					map[string]string{"approved": "true", "decision": "return", "place": "store", "reason": "bring the goods to the store"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "area_just_above_the_limit_handled_at_the_warehouse", evidence: "handled at the warehouse",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(3.71)
				h.Request.Return.Exchange = true
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0,
					map[string]string{"approved": "true", "decision": "exchange", "place": "warehouse", "reason": "3.71 m² (over 3.7 m²): booked by phone"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "sold_on_the_last_day_of_the_17_day_window_accepted",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.SaleDate = "2026-02-13"
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0, map[string]string{"approved": "true"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "sold_one_day_before_the_17_day_window_refused", evidence: "refused",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.SaleDate = "2026-02-12"
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0,
					map[string]string{"approved": "false", "decision": "return", "reason": "the 408h window ended 2026-03-01"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "last_day_of_the_window_at_23_30_in_the_service_area_accepted", evidence: "accepted",
			// 23:30 on 1 March at UTC+8: sold 12 February, the 17 days end on 1 March.
			run: func(h *wftest.Harness) {
				h.Env.SetStartTime(time.Date(2026, 3, 1, 15, 30, 0, 0, time.UTC))
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.SaleDate = "2026-02-12"
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, time.Time{}, map[string]string{"approved": "true"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "window_ended_at_00_30_in_the_service_area_refused_though_still_1_march_in_utc", evidence: "window ended 2026-03-01",
			run: func(h *wftest.Harness) {
				h.Env.SetStartTime(time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC))
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.SaleDate = "2026-02-12"
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, time.Time{}, map[string]string{"approved": "false"})
			}},
		ruleCase{rule: sop.R3_3, want: audit.Breached, name: "area_within_the_limit_sent_to_the_warehouse_before_issue_10", evidence: "belongs at the store, but was sent to the warehouse",
			// Before issue 10 the limit was 2 m² whatever the policy said.
			run: func(h *wftest.Harness) {
				h.OldRules()
				inReturnPolicy(h)
				h.Request = inReturnRequest(3)
				h.Run(inHour)
			}},

		// R12.6: installation damage is covered like a quality fault.
		ruleCase{rule: sop.R12_6, want: audit.Met, name: "installation_damage_in_warranty_repaired_free", evidence: "free in warranty",
			run: func(h *wftest.Harness) {
				h.CC(inMin, inTriage(sop.CategoryInstallation))
				h.Book(2 * inMin)
				inVisit(h)
				inRefused = h.Eng(6*inHour, inCompleted(80))
				h.Eng(6*inHour+inMin, inCompleted(0))
				h.Run(7 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, inRefused, workflows.ErrNotValidNow, "R12.6")
				var e *workflows.Entry
				for _, w := range h.Only(sop.KindWarrantyDecided) {
					if w.Rule == sop.R12_6 {
						e = &w
					}
				}
				if e == nil || e.Outcome != sop.OutFree || e.At != wftest.T0.Add(inMin) {
					t.Fatalf("R12.6 warranty entry %+v", e)
				}
			}},
		ruleCase{rule: sop.R12_6, want: audit.Met, name: "installation_damage_out_of_warranty_charged", evidence: "out of warranty, charged 200.00",
			run: func(h *wftest.Harness) {
				h.Request.Product.PurchaseDate = "2024-05-01"
				h.CC(inMin, inTriage(sop.CategoryInstallation))
				h.Book(2 * inMin)
				inVisit(h)
				h.Eng(6*inHour, inCompleted(200))
				h.Run(7 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				var out bool
				for _, w := range h.Only(sop.KindWarrantyDecided) {
					out = out || (w.Rule == sop.R12_6 && w.Outcome == sop.OutCharged)
				}
				if !out {
					t.Errorf("no R12.6 entry charging out of warranty:%s", h.Timeline())
				}
				inWantNote(t, inNote(t, h, sop.MsgFeeStandard), sop.ToCustomer, phone, wftest.T0.Add(inMin), map[string]string{"reason": "out of warranty"})
			}},
		ruleCase{rule: sop.R12_6, want: audit.Breached, name: "installation_damage_in_warranty_charged_before_issue_10", evidence: "charged 80.00",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, inTriage(sop.CategoryInstallation))
				h.Book(2 * inMin)
				inVisit(h)
				h.Eng(6*inHour, inCompleted(80))
				h.Run(7 * inHour)
			}},

		// R12.7: any fault may be solved remotely, with the call-back of R2.2.
		ruleCase{rule: sop.R12_7, want: audit.Met, name: "quality_fault_solved_by_video_guidance", evidence: "quality fault: remote guidance given 9 m after triage (accepted",
			run: func(h *wftest.Harness) {
				h.Policy.ConsultationFollowup = sop.D(inConsultFollow)
				inRefused = h.CC(30*time.Second, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryUnknown, Remote: wftest.Ptr(true)})
				h.CC(inMin, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, Remote: wftest.Ptr(true)})
				inView = h.ViewAt(2 * inMin)
				h.CC(10*inMin, inConsulted(true))
				h.CC(10*inMin+inConsultFollow+inMin, sop.Event{Type: sop.EvFollowupResult, Resolved: wftest.Ptr(true)})
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				wftest.MustReject(t, inRefused, workflows.ErrNotValidNow, "R12.7")
				inWantStatus(t, inView, sop.StatusConsulting)
				if len(inView.Pending) == 0 || inView.Pending[0].Event != sop.EvConsultationGiven {
					t.Errorf("pending %+v, want consultation_given", inView.Pending)
				}
				var rec bool
				for _, e := range h.Only(sop.KindConsultation) {
					rec = rec || (e.Rule == sop.R12_7 && e.Outcome == sop.OutPlanned)
				}
				if !rec {
					t.Errorf("no R12.7 consultation entry:%s", h.Timeline())
				}
				inWantNote(t, inNote(t, h, sop.MsgConsultationCallback), sop.ToCentre, "", wftest.T0.Add(10*inMin+inConsultFollow), map[string]string{"phone": phone})
				if c := h.Only(sop.KindClosed); len(c) != 1 {
					t.Errorf("closed %d times", len(c))
				}
				if len(h.Only(sop.KindAppointmentBooked)) != 0 || len(h.Only(sop.KindFeeQuoted)) != 0 {
					t.Error("a visit or a fee for a fault solved remotely")
				}
			}},
		ruleCase{rule: sop.R12_7, want: audit.Met, name: "installation_fault_guidance_declined_visit_planned_after_parts", evidence: "not accepted by the customer",
			run: func(h *wftest.Harness) {
				h.CC(inMin, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryInstallation, Parts: []string{"edge trim"}, Remote: wftest.Ptr(true)})
				h.CC(10*inMin, inConsulted(false))
				inView = h.ViewAt(11 * inMin)
				h.CC(inHour, sop.Event{Type: sop.EvPartsReserved})
				h.Book(inHour + inMin)
				h.Run(3 * inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantStatus(t, inView, sop.StatusAwaitingParts)
				inWantNote(t, inNote(t, h, sop.MsgPartsRequisition), sop.ToWarehouse, "", wftest.T0.Add(10*inMin), map[string]string{"parts": "edge trim"})
			}},
		ruleCase{rule: sop.R12_7, want: audit.Breached, name: "remote_guidance_asked_visit_booked_without_it_before_issue_10", evidence: "without it",
			run: func(h *wftest.Harness) {
				h.OldRules()
				h.CC(inMin, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, Remote: wftest.Ptr(true)})
				h.Book(2 * inMin)
				h.Run(3 * inHour)
			}},

		// R12.8: custom-ordered goods without a quality problem.
		ruleCase{rule: sop.R12_8, want: audit.Met, name: "custom_ordered_goods_without_quality_problem_refused", evidence: "refused",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.CustomMade = true
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0,
					map[string]string{"approved": "false", "decision": "return", "reason": "custom-ordered goods without a quality problem are not returnable (R12.8)"})
				if v := verdictOf(h, sop.R3_3); v.Status != audit.Met {
					t.Errorf("R3.3 %s (%s) on a refusal under R12.8", v.Status, v.Detail)
				}
			}},
		ruleCase{rule: sop.R3_3, want: audit.Met, name: "custom_ordered_goods_with_a_quality_problem_accepted", evidence: "accepted: 1 m²",
			run: func(h *wftest.Harness) {
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.CustomMade = true
				h.Request.Return.QualityProblem = true
				h.Run(inHour)
			},
			check: func(t *testing.T, h *wftest.Harness) {
				inWantNote(t, inNote(t, h, sop.MsgReturnDecision), sop.ToCustomer, phone, wftest.T0, map[string]string{"approved": "true"})
				if v := verdictOf(h, sop.R12_8); v.Status != audit.NotApplicable {
					t.Errorf("R12.8 %s (%s) on custom-ordered goods with a quality problem", v.Status, v.Detail)
				}
			}},
		ruleCase{rule: sop.R12_8, want: audit.Breached, name: "custom_ordered_goods_accepted_before_issue_10", evidence: "accepted for return",
			run: func(h *wftest.Harness) {
				h.OldRules()
				inReturnPolicy(h)
				h.Request = inReturnRequest(1)
				h.Request.Return.CustomMade = true
				h.Run(inHour)
			}},
	)
}
