package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
)

// Returns and exchanges (R3.3) and technical guidance before installation
// (R4.6) are request kinds of their own.

// returnAreaLimit is the quantity (m²) up to which goods are brought to the
// store at any time; above it the return is booked by phone and handled at
// the warehouse (R3.3).
const returnAreaLimit = 2.0

// ReturnProblems says why a return or exchange cannot be taken (R3.3), or
// nothing when it can. today is the request's date in the service area.
func ReturnProblems(r sop.ReturnInfo, purchaseDate string, window time.Duration, today time.Time) []string {
	var why []string
	sale := r.SaleDate
	if sale == "" {
		sale = purchaseDate
	}
	if d, err := sop.ParseDate(sale); err != nil {
		why = append(why, "no valid sale date")
	} else {
		last := d.Add(window)
		day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		if day.After(last) {
			why = append(why, fmt.Sprintf("sold %s: the %s window ended %s", sale, human(window), last.Format(sop.DatePattern)))
		}
	}
	if !r.HasReceipt {
		why = append(why, "no receipt or invoice of the company shown")
	}
	if r.SpecialPrice {
		why = append(why, "special-price or clearance goods are not returnable")
	}
	if r.Installed {
		why = append(why, "goods already installed (tiled) count as accepted")
	}
	if !r.QualityProblem && !r.PackagingIntact {
		why = append(why, "goods without a quality problem are taken back only with goods and packaging intact")
	}
	return why
}

// kindStart begins the procedure of the request's kind once its data is verified.
func (s *State) kindStart(st *step) {
	switch s.Request.Kind {
	case sop.KindReturn:
		s.decideReturn(st)
	case sop.KindInstallationGuidance:
		s.registerGuidance(st)
	default:
		s.enterTriage(st)
	}
}

// decideReturn applies R3.3 and explains a refusal.
func (s *State) decideReturn(st *step) {
	r := *s.Request.Return
	what := yesNo(r.Exchange, "exchange", "return")
	today := st.now.In(s.Policy.Location())
	why := ReturnProblems(r, s.Request.Product.PurchaseDate, s.Policy.ReturnWindow.Std(), today)
	why = append(why, s.customMadeProblem(r)...) // R12.8 (intake.go)
	if len(why) > 0 {
		reason := strings.Join(why, "; ")
		e := st.system(sop.KindReturnDecided, sop.R3_3, "%s refused: %s", what, reason)
		st.outcome(e, sop.OutRefused)
		st.notify(sop.ToCustomer, sop.MsgReturnDecision, sop.R3_3, map[string]string{"approved": "false", "decision": what, "reason": reason})
		s.close(st, sop.R3_3, what+" refused")
		return
	}
	limit := s.returnAreaLimitOf()
	where := "the customer may bring the goods to the store at any time; staff handle the paperwork"
	if r.AreaM2 > limit {
		where = fmt.Sprintf("%.1f m² (over %.0f m²): booked by phone and handled at the warehouse, taken there by staff", r.AreaM2, limit)
		if s.Rules >= rulesComplete {
			where = fmt.Sprintf("%g m² (over %g m²): booked by phone and handled at the warehouse, taken there by staff", r.AreaM2, limit)
		}
	}
	e := st.system(sop.KindReturnDecided, sop.R3_3, "%s accepted within the %s window: %s", what, human(s.Policy.ReturnWindow.Std()), where)
	st.outcome(e, sop.OutApproved)
	params := map[string]string{"approved": "true", "decision": what, "reason": where}
	if s.Rules >= rulesComplete {
		params["place"] = returnPlace(r.AreaM2, limit) // R3.3
		params["area_m2"] = fmt.Sprintf("%g", r.AreaM2)
	}
	st.notify(sop.ToCustomer, sop.MsgReturnDecision, sop.R3_3, params)
	s.Status = sop.StatusAwaitingCustomer
}

// onReturnHandled records the goods taken back (or the customer not coming).
func (s *State) onReturnHandled(st *step, ev sop.Event) {
	what := yesNo(s.Request.Return.Exchange, "exchange", "return")
	if *ev.Accepted {
		st.add(sop.KindReturnDecided, sop.R3_3, "%s done: goods received%s", what, note(ev))
		s.close(st, sop.R3_3, what+" done")
		return
	}
	st.add(sop.KindReturnDecided, sop.R3_3, "%s not completed%s", what, note(ev))
	s.close(st, sop.R3_3, what+" not completed")
}

// Clock names of technical guidance (R4.6).
const (
	clkGuidanceCall     = "guidance_call_due"
	clkGuidanceDeadline = "guidance_deadline"
)

// registerGuidance applies R4.6: registered at least sop.guidance_notice
// before the installation; the company calls back within
// sop.guidance_call_within before it to fix the engineer's arrival.
func (s *State) registerGuidance(st *step) {
	at := s.Request.Guidance.InstallationAt
	ahead := at.Sub(st.now)
	if ahead < s.Policy.GuidanceNotice.Std() {
		why := fmt.Sprintf("registered %s before the installation at %s; at least %s is needed", human(ahead.Round(time.Hour)), s.clock(at), human(s.Policy.GuidanceNotice.Std()))
		if ahead <= 0 {
			why = fmt.Sprintf("the installation at %s is not in the future", s.clock(at))
		}
		e := st.system(sop.KindGuidanceCall, sop.R4_6, "technical guidance refused: %s", why)
		st.outcome(e, sop.OutRefused)
		st.notify(sop.ToCustomer, sop.MsgReturnDecision, sop.R4_6, map[string]string{"approved": "false", "decision": "technical guidance", "reason": why})
		s.close(st, sop.R4_6, "technical guidance refused")
		return
	}
	opens := at.Add(-s.Policy.GuidanceCallWithin.Std())
	e := st.system(sop.KindGuidanceCall, sop.R4_6, "technical guidance registered %s before the installation at %s; the call-back to fix the engineer's arrival is due from %s",
		human(ahead.Round(time.Hour)), s.clock(at), s.clock(opens))
	st.outcome(e, sop.OutPlanned)
	s.Status = sop.StatusScheduling
	s.setClock(clkGuidanceCall, opens, sop.R4_6, 0)
	s.setClock(clkGuidanceDeadline, at, sop.R4_6, 0)
}

// onGuidanceCall books the engineer's arrival agreed on the call-back (R4.6).
func (s *State) onGuidanceCall(st *step, ev sop.Event) {
	s.clearClock(clkGuidanceDeadline, -1)
	s.FollowupDue = false
	inst := s.Request.Guidance.InstallationAt
	e := st.add(sop.KindGuidanceCall, sop.R4_6, "call-back made %s before the installation: engineer to arrive %s", human(inst.Sub(st.now).Round(time.Minute)), s.clock(*ev.Start))
	st.outcome(e, sop.OutDone)
	end := inst
	if s.Rules >= rulesComplete {
		// R4.6: the guidance visit lasts sop.guidance_visit from the
		// engineer's arrival.
		end = ev.Start.Add(s.Policy.GuidanceVisit.Std())
	} else if !end.After(*ev.Start) {
		end = ev.Start.Add(2 * time.Hour)
	}
	s.askBooking(st, *ev.Start, end, bookRequested)
}

// guidanceCheck is the state-dependent check of guidance_call.
func (s *State) guidanceCheck(ev sop.Event, now time.Time) error {
	if s.Request.Kind != sop.KindInstallationGuidance || s.Status != sop.StatusScheduling || s.Appointment != nil {
		return notValid("request %s takes no guidance call now (%s)", s.ID, s.Status)
	}
	inst := s.Request.Guidance.InstallationAt
	opens := inst.Add(-s.Policy.GuidanceCallWithin.Std())
	if now.Before(opens) {
		return notValid("the call-back is made within %s before the installation: from %s, not before (R4.6)", human(s.Policy.GuidanceCallWithin.Std()), s.clock(opens))
	}
	if !ev.Start.After(now) || ev.Start.After(inst) {
		return notValid("the engineer's arrival %s must be between now and the installation at %s", s.clock(*ev.Start), s.clock(inst))
	}
	return nil
}
