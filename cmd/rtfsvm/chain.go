package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// openStore opens the --store of a command that reads what earlier runs recorded: a
// store that does not exist is an error, not a new empty one.
func openStore(cmd *cobra.Command) (*store.SQLite, error) {
	dir, _ := cmd.Flags().GetString("store")
	if err := storeExists(dir); err != nil {
		return nil, err
	}
	return store.Open(dir)
}

// storeExists is the usage error of a command that needs recorded runs when dir holds
// no store.
func storeExists(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return usagef("no store in %s (run a plan first, or pass --store DIR)", dir)
	}
	return nil
}

func chainCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Inspect and verify the causal chain",
		Long: `The causal chain records every run, step, host call, policy decision and result,
each action hash-linked to the one before it and signed.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Check every action's hash link and signature",
		Long: `Check every action of the chain: its sequence number, its hash (which covers its
content and the previous action's hash) and its signature. Exit 0 prints
"ok: N actions verified"; exit 1 names the first bad action.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			*status = verifyChain(cmd, stdout, stderr)
			return nil
		},
	})
	var asJSON bool
	show := &cobra.Command{
		Use:   "show RUN-ID",
		Short: "Print a run's actions",
		Long: `Print the actions of one run in the order they were recorded: sequence number,
the action's number in the run, the action it belongs under, kind, time, duration and
data. --json prints a JSON array with hashes and signatures too.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("chain show needs one RUN-ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			*status = showRun(cmd, args[0], asJSON, stdout, stderr)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.AddCommand(show)
	return cmd
}

func verifyChain(cmd *cobra.Command, stdout, stderr io.Writer) int {
	st, err := openStore(cmd)
	if err != nil {
		return report(stderr, err)
	}
	defer st.Close()
	n, err := chain.Verify(st, st.Key().Public().(ed25519.PublicKey))
	var broken *chain.ErrBroken
	if errors.As(err, &broken) {
		fmt.Fprintf(stderr, "error: the chain is broken at action %d: %s (%d actions before it verified)\n", broken.Seq, broken.Reason, n)
		return exitError
	}
	if err != nil {
		return report(stderr, err)
	}
	fmt.Fprintf(stdout, "ok: %d actions verified\n", n)
	return exitOK
}

func showRun(cmd *cobra.Command, id string, asJSON bool, stdout, stderr io.Writer) int {
	st, err := openStore(cmd)
	if err != nil {
		return report(stderr, err)
	}
	defer st.Close()
	if _, err := st.Run(id); errors.Is(err, store.ErrNoRun) {
		return report(stderr, usagef("no run %s in this store", id))
	}
	actions, err := chain.Actions(st, id)
	if err != nil {
		return report(stderr, err)
	}
	if asJSON {
		return printJSON(actions, stdout, stderr)
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\t#\tUNDER\tKIND\tTIME\tDURATION\tDATA")
	for _, a := range actions {
		under := "-"
		if a.Parent != 0 {
			under = fmt.Sprint("#", a.Parent)
		}
		fmt.Fprintf(w, "%d\t#%d\t%s\t%s\t%s\t%s\t%s\n", a.Seq, a.Index, under, a.Kind,
			a.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), a.Duration, value.Print(a.Data))
	}
	w.Flush()
	return exitOK
}

// actionJSON is an action in chain show --json.
type actionJSON struct {
	Seq        int64           `json:"seq"`
	Run        string          `json:"run"`
	Index      int64           `json:"index"`
	Parent     int64           `json:"parent"`
	Kind       string          `json:"kind"`
	Time       string          `json:"time"`
	DurationNs int64           `json:"duration_ns"`
	Data       json.RawMessage `json:"data"`
	Hash       string          `json:"hash"`
	Signature  string          `json:"signature,omitempty"`
}

func printJSON(actions []*chain.Action, stdout, stderr io.Writer) int {
	out := make([]actionJSON, len(actions))
	for i, a := range actions {
		data, err := value.ToJSON(a.Data)
		if err != nil {
			// Data with no JSON form (such as a map with vector keys): its printed form.
			data, _ = value.ToJSON(value.String(value.Print(a.Data)))
		}
		out[i] = actionJSON{Seq: a.Seq, Run: a.RunID, Index: a.Index, Parent: a.Parent, Kind: string(a.Kind),
			Time: a.Time.UTC().Format(time.RFC3339Nano), DurationNs: a.Duration.Nanoseconds(), Data: json.RawMessage(data),
			Hash: hex.EncodeToString(a.Hash[:]), Signature: hex.EncodeToString(a.Signature)}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return report(stderr, err)
	}
	return exitOK
}

func runsCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	return &cobra.Command{
		Use:   "runs",
		Short: "List the runs of the store",
		Long:  "List the runs of the store, one line each: id, status, plan, started.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			*status = listRuns(cmd, stdout, stderr)
			return nil
		},
	}
}

func listRuns(cmd *cobra.Command, stdout, stderr io.Writer) int {
	st, err := openStore(cmd)
	if err != nil {
		return report(stderr, err)
	}
	defer st.Close()
	runs, err := st.Runs()
	if err != nil {
		return report(stderr, err)
	}
	for _, r := range runs {
		plan := r.Plan
		if strings.ContainsAny(plan, " \t\n") {
			plan = fmt.Sprintf("%q", plan)
		}
		fmt.Fprintf(stdout, "%s %s %s %s\n", r.ID, r.Status, plan, r.Started.UTC().Format(time.RFC3339))
	}
	return exitOK
}
