package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes, so that the Temporal UI and auditors can filter
// requests: HousecallStatus = 'at_door' AND HousecallRegion = 'north'.
var (
	SAStatus   = temporal.NewSearchAttributeKeyKeyword("HousecallStatus")
	SAEngineer = temporal.NewSearchAttributeKeyKeyword("HousecallEngineer")
	SARegion   = temporal.NewSearchAttributeKeyKeyword("HousecallRegion")
	SAWarranty = temporal.NewSearchAttributeKeyKeyword("HousecallWarranty")
	SAKind     = temporal.NewSearchAttributeKeyKeyword("HousecallKind")
)

// SearchAttributeTypes lists the custom search attributes the namespace needs.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{SAStatus, SAEngineer, SARegion, SAWarranty, SAKind} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// searchAttributes are the values for the request's current state.
func (s *State) searchAttributes() []temporal.SearchAttributeUpdate {
	return []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(string(s.Status)),
		SAEngineer.ValueSet(s.Engineer),
		SARegion.ValueSet(s.Request.Customer.Region),
		SAWarranty.ValueSet(s.Warranty),
		SAKind.ValueSet(string(s.Request.Kind)),
	}
}

// saKey is what the search attributes were last set from.
type saKey struct{ status, engineer, warranty string }

func (s *State) saKey() saKey { return saKey{string(s.Status), s.Engineer, s.Warranty} }

// upsertSearchAttributes updates the search attributes when they changed.
func (r *run) upsertSearchAttributes(ctx workflow.Context) error {
	k := r.s.saKey()
	if k == r.lastSA {
		return nil
	}
	r.lastSA = k
	return workflow.UpsertTypedSearchAttributes(ctx, r.s.searchAttributes()...)
}
