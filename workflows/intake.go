package workflows

import (
	"slices"

	"github.com/housecall/housecall/sop"
)

// The rules of intake, triage, warranty and returns that issue 10 completed
// (R2.1, R2.3, R3.1, R3.2, R3.3, R12.6, R12.7, R12.8). Each applies to
// requests begun with rulesComplete only: older requests replay as they ran.

// intakeCheck is the state-dependent check of this group's rules for an
// event the request expects now.
func (s *State) intakeCheck(ev sop.Event) error {
	if s.Rules < rulesComplete {
		return nil
	}
	switch ev.Type {
	case sop.EvCompleted:
		// R3.1: quality faults in warranty are repaired free of charge;
		// R12.6: so is damage caused by installation.
		if ev.Record != nil && ev.Record.Charge > 0 && !s.Chargeable && s.Request.Kind == sop.KindRepair && s.Warranty == "in" {
			if s.Category == sop.CategoryInstallation {
				return notValid("R12.6: installation damage is covered by the warranty (until %s) like a quality fault and repaired free of charge (R3.1): no charge may be recorded (got %.2f)",
					s.WarrantyUntil, ev.Record.Charge)
			}
			return notValid("R3.1: in warranty (until %s) a %s fault is repaired free of charge: no charge may be recorded (got %.2f)",
				s.WarrantyUntil, yesNo(s.Category == "", "quality", s.Category), ev.Record.Charge)
		}
	case sop.EvTriaged:
		// R12.7: remote guidance needs a known cause; a fault never
		// repaired before goes to HQ first (R2.4).
		if sop.Bool(ev.Remote, false) && ev.Category == sop.CategoryUnknown {
			return notValid("R12.7: remote guidance needs a known cause; a fault of unknown cause is taken to HQ before anything else (R2.4): triage it as unknown without remote, or name its category")
		}
	}
	return nil
}

// partsFirst requisitions the parts named at triage before any visit is
// planned (R2.3), on every path to a visit: also after a consultation the
// customer did not accept or that did not solve the problem (R2.2, R12.7).
// Requests begun before rulesComplete planned the visit at once there and
// never requisitioned the parts.
func (s *State) partsFirst(st *step) bool {
	if s.Rules < rulesComplete || len(s.Parts) == 0 || s.PartsRequisitioned {
		return false
	}
	s.afterTriage(st)
	return true
}

// quoteFee tells the customer the fee standard of a charged visit before the
// visit (R3.2); the engineer brings a receipt.
func (s *State) quoteFee(st *step) {
	s.FeeQuoted = true
	why := "out of warranty"
	if s.Warranty == "in" {
		why = "not a quality fault (misuse)"
	}
	e := st.system(sop.KindFeeQuoted, sop.R3_2, "%s: actual cost of parts and labour is charged; customer told the fee standard before the visit; engineer brings a receipt", why)
	st.outcome(e, sop.OutCharged)
	st.notify(sop.ToCustomer, sop.MsgFeeStandard, sop.R3_2, map[string]string{"reason": why})
}

// afterCorrection applies the rules of this group to a correction confirmed
// with the customer after verification (R4.2): a purchase date that moves
// the warranty changes what is charged (R3.1) and a visit that becomes
// charged is quoted its fee at once (R3.2); symptoms that change after the
// triage send the request back to triage (R2.1).
func (s *State) afterCorrection(st *step, changed []string) {
	if s.Rules < rulesComplete || s.Request.Kind != sop.KindRepair {
		return
	}
	if slices.Contains(changed, "product.purchase_date") {
		s.Chargeable = s.Warranty == "out" || s.Category == sop.CategoryMisuse
		switch s.Status {
		case sop.StatusScheduling, sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute:
			// The visit is planned already: enterScheduling will not quote.
			if s.Chargeable && !s.FeeQuoted {
				s.quoteFee(st)
				if s.Engineer != "" {
					st.notify(sop.ToEngineer, sop.MsgNewJob, sop.R3_2, s.jobParams())
				}
			}
		}
	}
	if slices.Contains(changed, "symptoms") && s.Category != "" {
		s.retriage(st)
	}
}

// retriage sends a request whose symptoms changed after its triage back to
// triage: the likely cause, remedy and parts are decided from the symptoms
// (R2.1), so a visit planned on the old ones is withdrawn.
func (s *State) retriage(st *step) {
	was := s.Category
	if s.Appointment != nil {
		st.release = s.Appointment.ID
		st.notify(sop.ToEngineer, sop.MsgJobWithdrawn, sop.R2_1, map[string]string{"reason": "symptoms changed: triage again"})
		s.Appointment = nil
	}
	s.Proposed = nil
	s.Visit = nil
	s.clearVisitClocks()
	if s.HQ != nil && s.HQ.Rule == sop.R2_4 {
		s.HQ = nil
		s.clearClock(clkHQ, -1)
	}
	if s.Consulted || s.Status == sop.StatusConsulting {
		s.clearClock(clkFollowup, -1)
		s.Consulted = false
		s.FollowupDue = false
		s.FollowupWhy = ""
		s.ConsultedAt = nil
	}
	s.Category = ""
	s.Parts = nil
	s.PartsRequisitioned = false
	s.Chargeable = s.Warranty == "out"
	s.Status = sop.StatusTriage
	e := st.system(sop.KindTriageReopened, sop.R2_1, "symptoms changed after the triage (was %s): cause, remedy and parts are decided again from %q before any visit", was, s.Request.Symptoms)
	st.outcome(e, sop.OutPlanned)
}

// triageWarranty makes the warranty of installation damage explicit (R12.6):
// covered like a quality fault, free in warranty, charged out of it.
func (s *State) triageWarranty(st *step, ev sop.Event) {
	if s.Rules < rulesComplete || ev.Category != sop.CategoryInstallation || s.Warranty == "" {
		return
	}
	if s.Warranty == "in" {
		e := st.system(sop.KindWarrantyDecided, sop.R12_6, "damage caused by installation is covered by the warranty like a quality fault: in warranty until %s, repaired free of charge", s.WarrantyUntil)
		st.outcome(e, sop.OutFree)
		return
	}
	e := st.system(sop.KindWarrantyDecided, sop.R12_6, "damage caused by installation is covered by the warranty like a quality fault, but the warranty ended %s: served at actual cost (R3.2)", s.WarrantyUntil)
	st.outcome(e, sop.OutCharged)
}

// remoteFirst applies R12.7: any fault, not only misuse, may be solved
// remotely (phone or video guidance) when triage asks for it; the
// consultation and its call-back follow R2.2, and a visit is planned when
// the customer does not accept it or the problem persists.
func (s *State) remoteFirst(st *step, ev sop.Event) bool {
	if s.Rules < rulesComplete || !sop.Bool(ev.Remote, false) || ev.Category == sop.CategoryMisuse || ev.Category == sop.CategoryUnknown {
		return false
	}
	e := st.system(sop.KindConsultation, sop.R12_7, "%s fault: remote guidance (phone or video) is given before any visit, with a service record; a visit is planned if the customer does not accept it or the call-back finds the problem persists (R2.2)", ev.Category)
	st.outcome(e, sop.OutPlanned)
	s.Status = sop.StatusConsulting
	return true
}

// returnAreaLimitOf is the quantity up to which returned goods are brought to
// the store (R3.3): sop.return_area_limit_m2 for requests begun with
// rulesComplete, 2 m² before.
func (s *State) returnAreaLimitOf() float64 {
	if s.Rules >= rulesComplete {
		return s.Policy.ReturnAreaLimitM2
	}
	return returnAreaLimit
}

// customMadeProblem applies R12.8: custom-ordered goods without a quality
// problem are not returnable.
func (s *State) customMadeProblem(r sop.ReturnInfo) []string {
	if s.Rules >= rulesComplete && CustomMadeNotReturnable(r) {
		return []string{"custom-ordered goods without a quality problem are not returnable (R12.8)"}
	}
	return nil
}

// CustomMadeNotReturnable says whether R12.8 refuses a return: custom-ordered
// goods without a quality problem.
func CustomMadeNotReturnable(r sop.ReturnInfo) bool { return r.CustomMade && !r.QualityProblem }

// returnPlace says where accepted goods go (R3.3), for the decision's
// notification: "store" up to the area limit, "warehouse" above it.
func returnPlace(area, limit float64) string {
	if area > limit {
		return "warehouse"
	}
	return "store"
}
