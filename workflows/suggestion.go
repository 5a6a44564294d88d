package workflows

import (
	"github.com/housecall/housecall/sop"
)

// R12.9: customers' suggestions heard at a visit (the engineer, while at
// the door or in the home) or at a follow-up (the call centre, at any time,
// a closed request included) are recorded against the product model and
// reported to production and the technical department at once (001 §二.2(4):
// 征求客户的意见和建议，迅速将客户信息反馈到生产及技术部门). PostgreSQL keeps them
// per model (table suggestions) for the after-sales manager.

// suggestionCheck is the state-dependent check of a suggestion.
func (s *State) suggestionCheck(ev sop.Event) error {
	if s.Rules < rulesComplete {
		return notValid("request %s began before suggestions were recorded (R12.9); record it on a newer request", s.ID)
	}
	if ev.Actor.Role == sop.RoleEngineer && s.Status != sop.StatusAtDoor && s.Status != sop.StatusInService {
		return notValid("an engineer records a suggestion heard at the visit, at the door or in the home; request %s is %s (R12.9)", s.ID, s.Status)
	}
	return nil
}

func (s *State) onSuggestion(st *step, ev sop.Event) {
	model := s.Request.Product.Model
	st.idea = &Suggestion{Model: model, Text: ev.Text, HeardBy: ev.Actor.String()}
	e := st.add(sop.KindSuggestion, sop.R12_9, "customer's suggestion on model %s: %q; reported to production and the technical department", model, ev.Text)
	st.outcome(e, sop.OutDone)
	st.notify(sop.ToProduction, sop.MsgSuggestion, sop.R12_9, map[string]string{"model": model, "text": ev.Text})
}
