package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/consistency"
)

// newCheckCmd is `housecall audit check [ID|--all]`: PostgreSQL against the
// Temporal history, request by request.
func newCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [ID|--all]",
		Short: "Compare PostgreSQL's records of requests with their Temporal histories and report every divergence",
		Long: `For each request, every step the Temporal history records must be in PostgreSQL with the same
time, timeline entries and notifications, and PostgreSQL must hold no step, timeline entry,
notification, booking or service record the history never recorded. Steps the history scheduled
whose write has not finished (the database is down or slow) are listed as pending, not as
divergences. Reads temporal.address and database.url directly (an operator's tool).
Exit status 0: all agree; 3: divergences found.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, _ := cmd.Flags().GetBool("all")
			asJSON, _ := cmd.Flags().GetBool("json")
			if all == (len(args) == 1) {
				return fmt.Errorf("give a request ID or --all")
			}
			return runService(cmd, nil, func(s service) error {
				dc, err := dataConverter(s)
				if err != nil {
					return err
				}
				src := consistency.Live{Temporal: s.c, Store: s.st, DataConverter: dc}
				ids := args
				if all {
					var err error
					if ids, err = src.AllIDs(s.ctx); err != nil {
						return err
					}
				}
				out := cmd.OutOrStdout()
				diverged, pending := 0, 0
				for i, id := range ids {
					rep, err := consistency.Check(s.ctx, src, id)
					if err != nil {
						return err
					}
					if !rep.OK() {
						diverged++
					}
					if len(rep.Pending) > 0 {
						pending++
					}
					if asJSON {
						b, _ := json.Marshal(rep)
						fmt.Fprintln(out, string(b))
						continue
					}
					printCheck(out, rep, i+1, len(ids))
				}
				if !asJSON {
					fmt.Fprintf(out, "%d request(s) checked: %d agree, %d diverge, %d with steps still being written\n", len(ids), len(ids)-diverged, diverged, pending)
				}
				if diverged > 0 {
					return &exitError{code: 3, err: fmt.Errorf("%d request(s) where PostgreSQL and the history disagree", diverged)}
				}
				return nil
			})
		},
	}
	cmd.Flags().Bool("all", false, "check every request PostgreSQL or Temporal knows of")
	cmd.Flags().Bool("json", false, "one JSON report per line")
	return cmd
}

func printCheck(w io.Writer, r consistency.Report, n, of int) {
	state := "agree"
	if !r.OK() {
		state = fmt.Sprintf("%d divergence(s)", len(r.Divergences))
	}
	fmt.Fprintf(w, "[%d/%d] %s: %d steps, %s", n, of, r.RequestID, r.Steps, state)
	if len(r.Pending) > 0 {
		fmt.Fprintf(w, "; steps %v still being written", r.Pending)
	}
	fmt.Fprintln(w)
	for _, d := range r.Divergences {
		fmt.Fprintf(w, "  %-8s %-15s %s\n", d.What, d.Table, d.Detail)
	}
}

// dataConverter is the converter the service's Temporal client uses, to
// decode the histories it reads: temporal.codec_keys, or, when none are
// configured, the dev key `housecall dev` keeps in dev.data_dir (as the
// client commands use its dev tokens).
func dataConverter(s service) (converter.DataConverter, error) {
	c := s.cfg.Codec
	if c == nil {
		var err error
		if c, _, err = devCodecKey(s.cfg.DevDataDir, false); err != nil {
			return nil, err
		}
	}
	dc, _ := codec.Converters(c)
	return dc, nil
}
