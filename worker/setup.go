package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/housecall/housecall/workflows"
)

// Setup prepares the namespace: it registers housecall's search attributes
// (idempotently). Without them the workflows could not record their status
// for the Temporal UI's filters.
func Setup(ctx context.Context, c client.Client, namespace string) error {
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]bool{}
	want := workflows.SearchAttributeTypes()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	req := &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: want}
	for name := range want {
		if !missing[name] {
			delete(req.SearchAttributes, name)
		}
	}
	if _, err := op.AddSearchAttributes(ctx, req); err != nil {
		var exists *serviceerror.AlreadyExists
		if !errors.As(err, &exists) {
			return fmt.Errorf("register search attributes %v in namespace %s: %w", slices.Sorted(maps.Keys(req.SearchAttributes)), namespace, err)
		}
	}
	return nil
}
