// Command housecall runs the after-sales on-site service procedure as durable
// Temporal workflows: `housecall dev` runs everything on one machine; `worker`,
// `api` and `migrate` are the production pieces; `request …` and `audit …`
// are the call centre's, engineers' and auditors' client.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/housecall/housecall/config"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	root := newRoot()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "housecall:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "housecall",
		Short: "After-sales on-site service requests as durable Temporal workflows",
		Long: `housecall turns the after-sales on-site service procedure (售后上门服务规范) into one
durable Temporal workflow per service request: its timers and events are the SOP.

Configuration: flags > HOUSECALL_* environment variables (key with . → _) >
housecall.yaml > defaults. Every key is listed under "Global Flags".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	config.AddFlags(root.PersistentFlags())
	root.AddCommand(newDevCmd(), newWorkerCmd(), newAPICmd(), newMigrateCmd(), newRequestCmd(), newAuditCmd(), newBenchCmd(), newBenchWorkerCmd(), newRulesCmd())
	return root
}
