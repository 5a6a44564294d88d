package consistency

import (
	"context"
	"fmt"
	"slices"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Live reads the running system: Temporal and PostgreSQL.
type Live struct {
	Temporal client.Client
	Store    *store.Store
	// DataConverter decodes the histories (the client's, with encryption;
	// nil: the SDK's default).
	DataConverter converter.DataConverter
}

// Runs implements Source.
func (l Live) Runs(ctx context.Context, id string) ([]audit.Run, error) {
	return audit.Runs(ctx, l.Temporal, id, l.DataConverter)
}

// Converter implements Source.
func (l Live) Converter() converter.DataConverter { return l.DataConverter }

// Records implements Source.
func (l Live) Records(ctx context.Context, id string) (store.Records, error) {
	return l.Store.Records(ctx, id)
}

// AllIDs lists every request either side knows of: PostgreSQL's, then the
// ServiceRequest workflows Temporal has that PostgreSQL lacks (a request
// whose first step was never written would be in no list otherwise).
func (l Live) AllIDs(ctx context.Context) ([]string, error) {
	ids, err := l.Store.RequestIDs(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	var extra []string
	var token []byte
	for {
		res, err := l.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         fmt.Sprintf("WorkflowType = '%s'", workflows.WorkflowName),
			NextPageToken: token,
			PageSize:      1000,
		})
		if err != nil {
			return nil, fmt.Errorf("list workflows: %w", err)
		}
		for _, e := range res.GetExecutions() {
			if id := e.GetExecution().GetWorkflowId(); !seen[id] {
				seen[id] = true
				extra = append(extra, id)
			}
		}
		if token = res.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	slices.Sort(extra)
	return append(ids, extra...), nil
}
