package audit

import (
	"fmt"
	"slices"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func init() {
	register(sop.R12_9, judgeSuggestions)
}

// judgeSuggestions (R12.9): at every completed visit the engineer asked the
// customer for suggestions (checklist item asked_suggestions), and every
// suggestion heard was recorded against the product model and reported to
// production in the same step. Breached where the engineer did not ask, or
// a suggestion was recorded without a model or not reported.
func judgeSuggestions(f *facts) (string, string) {
	c, _ := sop.ChecklistOf(sop.R12_9)
	asked := judgeChecklist(c)
	status, detail := asked(f)
	var heard, unreported int
	for _, s := range f.steps {
		if !slices.ContainsFunc(s.Entries, func(e workflows.Entry) bool { return e.Kind == sop.KindSuggestion }) {
			continue
		}
		heard++
		reported := slices.ContainsFunc(s.Notifications, func(n workflows.Notification) bool {
			return n.To == sop.ToProduction && n.Message == sop.MsgSuggestion && n.Params["model"] != ""
		})
		if s.Suggestion == nil || s.Suggestion.Model == "" || !reported {
			unreported++
		}
	}
	switch {
	case unreported > 0:
		return Breached, fmt.Sprintf("%d of %d suggestion(s) not recorded against the model or not reported to production", unreported, heard)
	case status == Breached:
		return Breached, "the customer was not asked for suggestions: " + detail
	case heard > 0:
		return Met, fmt.Sprintf("%d suggestion(s) recorded against model %s and reported to production; %s", heard, f.req.Product.Model, detail)
	}
	return status, detail
}
