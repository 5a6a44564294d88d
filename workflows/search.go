package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// Search attributes, so that the Temporal UI's operators can filter
// requests: HousecallRegion = 'north' AND HousecallKind = 'repair' AND
// ExecutionStatus = 'Running'. They serve the people who run the system;
// the call centre's and the auditors' lists come from PostgreSQL
// (store.Queue, GET /v1/requests), which has every status, engineer and
// warranty, current to the step.
//
// A request is started with the attributes that never change (its region
// and kind: StartSearchAttributes), and since stepsStartAttributes the
// workflow upserts none of its own: each upsert is a visibility write, the
// embedded server's most expensive, and one per change of status made a
// request's life cost about 1.6 times a bare workflow's of the same shape
// (make bench; README, Performance). Requests begun before it set the
// exact status, engineer and warranty after every change.
var (
	SARegion = temporal.NewSearchAttributeKeyKeyword("HousecallRegion")
	SAKind   = temporal.NewSearchAttributeKeyKeyword("HousecallKind")
	// Set only by runs before stepsStartAttributes.
	SAStatus   = temporal.NewSearchAttributeKeyKeyword("HousecallStatus")
	SAEngineer = temporal.NewSearchAttributeKeyKeyword("HousecallEngineer")
	SAWarranty = temporal.NewSearchAttributeKeyKeyword("HousecallWarranty")
)

// SearchAttributeTypes lists the custom search attributes the namespace
// needs: the ones requests start with, and the ones older runs still set.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{SAStatus, SAEngineer, SARegion, SAWarranty, SAKind} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// StartSearchAttributes are the attributes a request is started with: its
// region and kind, which never change.
func StartSearchAttributes(req sop.Request) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(SARegion.ValueSet(req.Customer.Region), SAKind.ValueSet(string(req.KindOrRepair())))
}

// searchAttributes are the values for the request's current state, in runs
// before stepsStartAttributes.
func (s *State) searchAttributes() []temporal.SearchAttributeUpdate {
	return []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(string(s.Status)),
		SAEngineer.ValueSet(s.Engineer),
		SARegion.ValueSet(s.Request.Customer.Region),
		SAWarranty.ValueSet(s.Warranty),
		SAKind.ValueSet(string(s.Request.Kind)),
	}
}

// saKey is what the search attributes were last set from (runs before
// stepsStartAttributes).
type saKey struct{ status, engineer, warranty string }

func (s *State) saKey() saKey { return saKey{string(s.Status), s.Engineer, s.Warranty} }

// upsertSearchAttributes updates the search attributes when they changed.
func (r *run) upsertSearchAttributes(ctx workflow.Context) error {
	if r.steps >= stepsStartAttributes {
		return r.mendStartAttributes(ctx)
	}
	k := r.s.saKey()
	if k == r.lastSA {
		return nil
	}
	r.lastSA = k
	return workflow.UpsertTypedSearchAttributes(ctx, r.s.searchAttributes()...)
}

// mendStartAttributes (stepsStartAttributes) upserts, once, what is wrong
// with the attributes the run has (attributeFixes). A request started by
// the API upserts nothing.
func (r *run) mendStartAttributes(ctx workflow.Context) error {
	if r.mended {
		return nil
	}
	r.mended = true
	fixes := r.s.attributeFixes(workflow.GetTypedSearchAttributes(ctx))
	if len(fixes) == 0 {
		return nil
	}
	ups := make([]temporal.SearchAttributeUpdate, len(fixes))
	for i, f := range fixes {
		ups[i] = f.update()
	}
	return workflow.UpsertTypedSearchAttributes(ctx, ups...)
}

// saFix is one search attribute to set, or to remove (value "").
type saFix struct {
	key   temporal.SearchAttributeKeyKeyword
	value string
}

func (f saFix) update() temporal.SearchAttributeUpdate {
	if f.value == "" {
		return f.key.ValueUnset()
	}
	return f.key.ValueSet(f.value)
}

// attributeFixes compares the attributes a run has — those it was started
// with, or carried over from its previous run — with what they should be:
// a region or kind missing or wrong (a request started other than through
// the API) is set; an older run's status, engineer and warranty, which
// this run would leave stale, are removed.
func (s *State) attributeFixes(have temporal.SearchAttributes) []saFix {
	var fixes []saFix
	for _, want := range []saFix{{SARegion, s.Request.Customer.Region}, {SAKind, string(s.Request.Kind)}} {
		if got, ok := have.GetKeyword(want.key); want.value != "" && (!ok || got != want.value) {
			fixes = append(fixes, want)
		}
	}
	for _, k := range []temporal.SearchAttributeKeyKeyword{SAStatus, SAEngineer, SAWarranty} {
		if have.ContainsKey(k) {
			fixes = append(fixes, saFix{key: k})
		}
	}
	return fixes
}
