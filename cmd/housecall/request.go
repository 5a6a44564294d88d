package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

func apiClient(cmd *cobra.Command) (*starter.Client, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	tok, err := clientToken(cfg)
	if err != nil {
		return nil, err
	}
	return &starter.Client{BaseURL: cfg.ClientURL, Token: tok}, nil
}

func cmdContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), 2*time.Minute)
}

// answer prints an API answer: raw JSON with --json, else a summary made by human.
func answer(cmd *cobra.Command, res starter.Response, human func(io.Writer) error) error {
	if err := res.Err(); err != nil {
		return &exitError{code: 2, err: err}
	}
	asJSON, _ := cmd.Flags().GetBool("json")
	out := cmd.OutOrStdout()
	if asJSON || human == nil {
		var buf bytes.Buffer
		if json.Indent(&buf, res.Body, "", "  ") != nil {
			buf.Write(res.Body)
		}
		buf.WriteByte('\n')
		_, err := out.Write(buf.Bytes())
		return err
	}
	return human(out)
}

// callAPI is every client command: a client for the configured API and
// token, one call, and its answer printed (raw with --json, else by human).
func callAPI(cmd *cobra.Command, call func(context.Context, *starter.Client) (starter.Response, error), human func(io.Writer, starter.Response) error) error {
	c, err := apiClient(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := cmdContext(cmd)
	defer cancel()
	res, err := call(ctx, c)
	if err != nil {
		return err
	}
	var print func(io.Writer) error
	if human != nil {
		print = func(w io.Writer) error { return human(w, res) }
	}
	return answer(cmd, res, print)
}

// showView prints a request's state answered by the API, after a lead line.
func showView(lead func(workflows.View, starter.Response) string) func(io.Writer, starter.Response) error {
	return func(w io.Writer, res starter.Response) error {
		var v workflows.View
		if err := json.Unmarshal(res.Body, &v); err != nil {
			return err
		}
		if lead != nil {
			fmt.Fprintln(w, lead(v, res))
		}
		printView(w, v)
		return nil
	}
}

func newRequestCmd() *cobra.Command {
	req := &cobra.Command{
		Use:   "request",
		Short: "The call centre's and engineers' client: create, show, list requests and send events",
	}
	req.PersistentFlags().Bool("json", false, "print the API's JSON answer")

	create := &cobra.Command{
		Use:   "create -f FILE.json",
		Short: "Start a service request (R1); FILE '-' reads standard input",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, _ := cmd.Flags().GetString("file")
			if file == "" {
				return fmt.Errorf("-f FILE.json is required (see examples/request.json)")
			}
			var (
				b   []byte
				err error
			)
			if file == "-" {
				b, err = io.ReadAll(cmd.InOrStdin())
			} else {
				b, err = os.ReadFile(file)
			}
			if err != nil {
				return err
			}
			return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) { return c.CreateRequest(ctx, b) },
				showView(func(v workflows.View, res starter.Response) string {
					if res.Status == 200 {
						return fmt.Sprintf("request %s exists already (one request, one workflow: R1.3)", v.ID)
					}
					return "created request " + v.ID
				}))
		},
	}
	create.Flags().StringP("file", "f", "", "request body (JSON, contract.md R1.1)")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a request's live state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) {
				return c.GetRequest(ctx, args[0])
			}, showView(nil))
		},
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List requests, most recently changed first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for _, f := range []string{"status", "engineer", "region"} {
				if v, _ := cmd.Flags().GetString(f); v != "" {
					q.Set(f, v)
				}
			}
			if n, _ := cmd.Flags().GetInt("limit"); n > 0 {
				q.Set("limit", strconv.Itoa(n))
			}
			return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) { return c.ListRequests(ctx, q) }, func(w io.Writer, res starter.Response) error {
				var l struct {
					Requests []store.RequestRow `json:"requests"`
				}
				if err := json.Unmarshal(res.Body, &l); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tREGION\tENGINEER\tAPPOINTMENT\tVISITS\tUPDATED\tCUSTOMER")
				for _, r := range l.Requests {
					appt := "-"
					if r.Appointment != nil {
						appt = r.Appointment.Start.Local().Format("01-02 15:04")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Status, r.Customer.Region, dash(r.Engineer), appt,
						r.Visits, r.UpdatedAt.Local().Format("01-02 15:04:05"), r.Customer.Name)
				}
				if len(l.Requests) == 0 {
					fmt.Fprintln(tw, "(none)")
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().String("status", "", "only requests with this status")
	list.Flags().String("engineer", "", "only requests of this engineer")
	list.Flags().String("region", "", "only requests of this region")
	list.Flags().Int("limit", 50, "at most this many")

	event := &cobra.Command{
		Use:   "event ID TYPE [-d JSON]",
		Short: "Send an event (contract.md, Events) to a request",
		Example: `  housecall request event SR-20261123-ABC123 triaged -d '{"category":"misuse"}'
  housecall request event SR-20261123-ABC123 consultation_given -d '{"accepted":true}'
  housecall --client.as engineer:E-1 request event SR-20261123-ABC123 knocked -d '{"answered":false}'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, _ := cmd.Flags().GetString("data")
			fields := map[string]any{}
			if data != "" {
				if strings.HasPrefix(data, "@") {
					b, err := os.ReadFile(data[1:])
					if err != nil {
						return err
					}
					data = string(b)
				}
				if err := json.Unmarshal([]byte(data), &fields); err != nil {
					return fmt.Errorf("-d must be a JSON object: %w", err)
				}
			}
			fields["type"] = args[1]
			b, _ := json.Marshal(fields)
			key, _ := cmd.Flags().GetString("idempotency-key")
			return callAPI(cmd, func(ctx context.Context, c *starter.Client) (starter.Response, error) {
				return c.SendEvent(ctx, args[0], b, key)
			},
				showView(func(workflows.View, starter.Response) string { return args[1] + " taken" }))
		},
	}
	event.Flags().StringP("data", "d", "", "event fields as a JSON object, or @FILE")
	event.Flags().String("idempotency-key", "", "send the same key when retrying, so the event is applied once")

	req.AddCommand(create, show, list, event)
	return req
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printView writes a request's live state for people.
func printView(w io.Writer, v workflows.View) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  id\t%s (%s)\n", v.ID, v.Kind)
	fmt.Fprintf(tw, "  status\t%s\n", v.Status)
	fmt.Fprintf(tw, "  customer\t%s, %s, %s (%s)\n", v.Customer.Name, v.Customer.Phone, v.Customer.Address, v.Customer.Region)
	fmt.Fprintf(tw, "  product\t%s, bought %s\n", v.Product.Model, v.Product.PurchaseDate)
	if v.Warranty != "" {
		fmt.Fprintf(tw, "  warranty\t%s%s\n", v.Warranty, map[bool]string{true: " (chargeable)", false: ""}[v.Chargeable])
	}
	for k, p := range v.Problems {
		fmt.Fprintf(tw, "  problem\t%s: %s\n", k, p)
	}
	if v.Engineer != "" {
		fmt.Fprintf(tw, "  engineer\t%s\n", v.Engineer)
	}
	if a := v.Appointment; a != nil {
		fmt.Fprintf(tw, "  appointment\t%s – %s\n", a.Start.Local().Format("2006-01-02 15:04"), a.End.Local().Format("15:04"))
	}
	if p := v.Proposed; p != nil {
		fmt.Fprintf(tw, "  proposed\t%s – %s\n", p.Start.Local().Format("2006-01-02 15:04"), p.End.Local().Format("15:04"))
	}
	fmt.Fprintf(tw, "  visits\t%d\n", v.Visits)
	for _, c := range v.Complaints {
		state := "open"
		if c.AnsweredAt != nil {
			state = "answered"
		} else if c.Overdue {
			state = "OVERDUE"
		}
		fmt.Fprintf(tw, "  complaint #%d\t%s, due %s\n", c.N, state, c.Due.Local().Format("2006-01-02 15:04"))
	}
	for _, p := range v.Pending {
		if p.Event != "" {
			fmt.Fprintf(tw, "  waits for\tevent %s (%s)\n", p.Event, p.Rule)
		} else {
			fmt.Fprintf(tw, "  waits for\t%s at %s (%s)\n", p.Clock, p.At.Local().Format("2006-01-02 15:04:05"), p.Rule)
		}
	}
	_ = tw.Flush()
}
