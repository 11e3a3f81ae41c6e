package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rtfsvm/rtfsvm/orchestrator"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// withOrchestrator opens the store of a command that works on recorded runs and gives
// f an orchestrator over it.
func withOrchestrator(cmd *cobra.Command, stderr io.Writer, f func(*orchestrator.Orchestrator) error) int {
	st, err := openStore(cmd)
	if err != nil {
		return report(stderr, err)
	}
	defer st.Close()
	o, err := orchestrator.New(orchestrator.Config{Store: st})
	if err != nil {
		return report(stderr, err)
	}
	err = f(o)
	switch {
	case errors.Is(err, orchestrator.ErrNotWaiting), errors.Is(err, store.ErrRunLocked), errors.Is(err, store.ErrNoRun):
		return report(stderr, usagef("%v", err))
	case err != nil:
		return report(stderr, err)
	}
	return exitOK
}

func approvalsCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	return &cobra.Command{
		Use:   "approvals",
		Short: "List the runs waiting for a person",
		Long: `List what every suspended run waits for, one line each: the run id, "approval" or
"input", the capability, then the arguments (for an approval) or the question (for
input).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			*status = withOrchestrator(cmd, stderr, func(o *orchestrator.Orchestrator) error {
				pending, err := o.Approvals()
				for _, p := range pending {
					what := p.Args
					if p.Waiting == "input" {
						what = p.Question
					}
					if what == nil {
						what = value.Nil
					}
					fmt.Fprintf(stdout, "%s %s %s %s\n", p.RunID, p.Waiting, p.Capability, value.Print(what))
				}
				return err
			})
			return nil
		},
	}
}

func approveCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	var deny bool
	var reason string
	cmd := &cobra.Command{
		Use:   "approve RUN-ID [--deny] [--reason TEXT]",
		Short: "Approve (or deny) the call a suspended run waits for",
		Long: `Record a person's decision on the call a suspended run waits for. The run continues
with rtfsvm resume: an approved call runs; a denied one reaches the plan as a catchable
:error/denied carrying the reason.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("approve needs one RUN-ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			*status = withOrchestrator(cmd, stderr, func(o *orchestrator.Orchestrator) error {
				if err := o.Approve(args[0], !deny, reason); err != nil {
					return err
				}
				verb := "approved"
				if deny {
					verb = "denied"
				}
				fmt.Fprintf(stdout, "%s: run %s continues with rtfsvm resume %s\n", verb, args[0], args[0])
				return nil
			})
			return nil
		},
	}
	cmd.Flags().BoolVar(&deny, "deny", false, "deny the call instead")
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded on the chain and given to the plan on a denial")
	return cmd
}

func completeCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	var answer string
	cmd := &cobra.Command{
		Use:   "complete RUN-ID --value 'RTFS VALUE'",
		Short: "Answer the question a suspended run waits for",
		Long: `Record a person's answer to the :human call (such as ccos.user.ask) a suspended run
waits for: the value, written as RTFS data, becomes the call's result when the run
continues with rtfsvm resume.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("complete needs one RUN-ID")
			}
			if !cmd.Flags().Changed("value") {
				return usagef("complete needs --value 'RTFS VALUE'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := syntax.ReadOne("--value", answer)
			if err != nil {
				*status = report(stderr, err)
				return nil
			}
			*status = withOrchestrator(cmd, stderr, func(o *orchestrator.Orchestrator) error {
				if err := o.Complete(args[0], syntax.Datum(n)); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "answered: run %s continues with rtfsvm resume %s\n", args[0], args[0])
				return nil
			})
			return nil
		},
	}
	cmd.Flags().StringVar(&answer, "value", "", "the answer, as RTFS data")
	return cmd
}
