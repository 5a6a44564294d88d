package console

import (
	"strings"
	"testing"

	"github.com/housecall/housecall/sop"
)

// Every word the centre's pages show has an English and a Chinese label:
// each event type, each input of its forms and their options.
func TestCentreLabelsInBothLanguages(t *testing.T) {
	need := func(key string) {
		t.Helper()
		l, ok := labels[key]
		if !ok || strings.TrimSpace(l[0]) == "" || strings.TrimSpace(l[1]) == "" {
			t.Errorf("label %q: %q", key, l)
		}
	}
	for _, e := range sop.EventTypes() {
		need("event." + string(e))
	}
	for _, s := range statuses {
		need("status." + string(s))
	}
	specs := append([]fieldSpec{noteField}, intakeFields...)
	for _, fs := range eventFields {
		specs = append(specs, fs...)
	}
	for _, f := range specs {
		need("field." + f.Name)
		for _, o := range f.Options {
			need("opt." + o)
		}
	}
	for _, k := range []sop.RequestKind{sop.KindRepair, sop.KindReturn, sop.KindInstallationGuidance} {
		need("reqkind." + string(k))
	}
	for k := range labels {
		for _, p := range []string{"centre.", "field.", "clock.", "kind.", "opt."} {
			if strings.HasPrefix(k, p) {
				need(k)
			}
		}
	}
}
