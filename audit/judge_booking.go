package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
)

func init() {
	register(sop.R4_1, judgeBooking)
	register(sop.R4_2, judgeConfirmation)
	register(sop.R4_3, recorded(sop.KindCustomerContact, sop.R4_3, "customer unreachable: called again, centre told"))
	register(sop.R4_4, recorded(sop.KindCustomerContact, sop.R4_4, "angry customer heard and the outcome recorded"))
	register(sop.R4_5, recorded(sop.KindCustomerContact, sop.R4_5, "customer never reachable: engineer went to the address"))
	register(sop.R4_6, judgeGuidance)
	register(sop.R5_2, judgeDeparture)
	register(sop.R5_3, judgeDelay)
}

func judgeBooking(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	proposed := f.all(sop.KindAppointmentProposed)
	if len(booked) == 0 && len(proposed) == 0 {
		return NotApplicable, "no appointment asked for"
	}
	d := fmt.Sprintf("%d booking(s)", len(booked))
	if len(proposed) > 0 {
		d += fmt.Sprintf(", %d other slot(s) proposed with an apology", len(proposed))
	}
	if n := len(f.all(sop.KindReassigned)); n > 0 {
		d += fmt.Sprintf(", %d reassignment(s)", n)
	}
	return Met, d
}

func judgeConfirmation(f *facts) (string, string) {
	booked := f.all(sop.KindAppointmentBooked)
	if len(booked) == 0 {
		return NotApplicable, "no appointment booked"
	}
	confirmed := f.all(sop.KindCustomerNotified, sop.R4_2)
	if len(confirmed) < len(booked) {
		return Breached, fmt.Sprintf("%d booking(s), %d confirmation(s) to the customer", len(booked), len(confirmed))
	}
	d := fmt.Sprintf("every booking confirmed to the customer (%d)", len(booked))
	if n := len(f.all(sop.KindVerified, sop.R4_2)); n > 0 {
		d += fmt.Sprintf("; mismatched data re-confirmed %d time(s)", n)
	}
	return Met, d
}

func judgeGuidance(f *facts) (string, string) {
	es := f.all(sop.KindGuidanceCall, sop.R4_6)
	if len(es) == 0 {
		return NotApplicable, "not a technical guidance request"
	}
	if esc := f.first(sop.KindEscalated, sop.R4_6); esc != nil {
		return Breached, "no call-back before the installation: " + esc.Detail
	}
	last := es[len(es)-1]
	if strings.Contains(last.Detail, "refused") {
		return Met, last.Detail
	}
	calls := f.events(sop.EvGuidanceCall)
	if len(calls) == 0 {
		return NotApplicable, "call-back pending: " + last.Detail
	}
	before := f.req.Guidance.InstallationAt.Sub(calls[0].At)
	if before > f.p.GuidanceCallWithin.Std()+slack || before < 0 {
		return Breached, "call-back outside the window before the installation"
	}
	return Met, fmt.Sprintf("registered in time; call-back %s before the installation fixed the engineer's arrival", span(before))
}

func judgeDeparture(f *facts) (string, string) {
	rems := f.all(sop.KindDepartureReminder, sop.R5_2)
	if len(rems) == 0 {
		return NotApplicable, "no departure due yet"
	}
	return Met, fmt.Sprintf("engineer reminded to leave so as to arrive %s early (%d time(s))", span(f.p.ArriveEarly.Std()), len(rems))
}

// lateArrivals returns, for every arrival after the appointment, how late.
func (f *facts) arrivals() (late []time.Duration, onTime []time.Duration) {
	for _, s := range f.events(sop.EvArrived) {
		a := s.Projection.Appointment
		if a == nil {
			continue
		}
		if d := s.At.Sub(a.Start); d > 0 {
			late = append(late, d)
		} else {
			onTime = append(onTime, -d)
		}
	}
	return late, onTime
}

func judgeDelay(f *facts) (string, string) {
	told := f.all(sop.KindCustomerNotified, sop.R5_3)
	late, _ := f.arrivals()
	switch {
	case len(late) > 0 && len(told) == 0:
		return Breached, fmt.Sprintf("arrived %s late without telling the customer in advance", span(late[0]))
	case len(told) > 0:
		return Met, fmt.Sprintf("customer told in advance of %d delay(s)", len(told))
	}
	return NotApplicable, "no delay on the way"
}
