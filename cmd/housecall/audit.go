package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/starter"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit ID",
		Short: "The auditor's view: the SOP timeline with compliance per rule (--json: the raw history)",
		Long: `Rebuilds the request's SOP timeline from its Temporal history alone — every entry with its
time, kind, actor and rule — and judges each rule met, breached or not applicable.
--json prints the raw Temporal event history. Uses the auditor's token (client.as auditor in dev).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asAuditor(cmd)
			asJSON, _ := cmd.Flags().GetBool("json")
			path := "/v1/requests/" + url.PathEscape(args[0])
			if asJSON {
				return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) {
					return c.Get(ctx, path+"/history")
				}, nil)
			}
			return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) {
				return c.Get(ctx, path+"/timeline")
			}, func(w io.Writer, res starter.Response) error {
				var tl audit.Report
				if err := json.Unmarshal(res.Body, &tl); err != nil {
					return err
				}
				printReport(w, args[0], tl)
				return nil
			})
		},
	}
	cmd.Flags().Bool("json", false, "print the raw Temporal event history")
	cmd.AddCommand(newCheckCmd())
	cmd.AddCommand(&cobra.Command{
		Use:   "verify ID",
		Short: "Replay the request's recorded history against this build's workflow code",
		Long: `Fetches the histories of all the request's runs and replays them against the workflow code
compiled into this housecall. "replays" means a worker of this version can carry the request on;
otherwise a rule was changed without workflow.GetVersion and running requests would break.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asAuditor(cmd)
			c, err := apiClient(cmd)
			if err != nil {
				return err
			}
			ctx, cancel := cmdContext(cmd)
			defer cancel()
			res, err := c.Get(ctx, "/v1/requests/"+url.PathEscape(args[0])+"/history?runs=all")
			if err != nil {
				return err
			}
			if err := res.Err(); err != nil {
				return &exitError{code: 2, err: err}
			}
			var body struct {
				Runs []audit.JSONRun `json:"runs"`
			}
			if err := json.Unmarshal(res.Body, &body); err != nil {
				return err
			}
			// The API answers the histories decrypted; the converters of
			// this configuration read them either way (plaintext passes
			// through the codec).
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			dc, fc := codec.Converters(cfg.Codec)
			out := cmd.OutOrStdout()
			v, err := audit.Verify(body.Runs, dc, fc)
			if err != nil {
				return err
			}
			for _, run := range v.Runs {
				if run.Err != nil {
					fmt.Fprintf(out, "run %s (%d events): %v\n", run.RunID, run.Events, run.Err)
					continue
				}
				fmt.Fprintf(out, "run %s (%d events): replays\n", run.RunID, run.Events)
			}
			if v.Failed > 0 {
				return &exitError{code: 3, err: fmt.Errorf("%s: %d of %d run(s) do not replay against this build", args[0], v.Failed, len(v.Runs))}
			}
			fmt.Fprintf(out, "%s replays against this build: %d run(s), %d events\n", args[0], len(v.Runs), v.Events)
			return nil
		},
	})
	return cmd
}

// asAuditor makes the dev client act as the auditor unless told otherwise.
func asAuditor(cmd *cobra.Command) {
	if !cmd.Flags().Changed("client.as") {
		_ = cmd.Flags().Set("client.as", "auditor")
	}
}

func printReport(w io.Writer, id string, r audit.Report) {
	fmt.Fprintf(w, "SOP timeline of %s\n\n", id)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tRULE\tKIND\tACTOR\tDETAIL")
	for _, e := range r.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), dash(string(e.Rule)), e.Kind, e.Actor, e.Detail)
	}
	_ = tw.Flush()
	if len(r.Compliance) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCompliance\n\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSTATUS\tDETAIL")
	for _, c := range r.Compliance {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Rule, c.Status, c.Detail)
	}
	_ = tw.Flush()
}
