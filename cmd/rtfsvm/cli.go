package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/orchestrator"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Exit statuses of the command's contract.
const (
	exitOK        = 0
	exitError     = 1 // an uncaught RTFS error
	exitUsage     = 2 // bad usage, read or compile error, unbound input
	exitLimit     = 3 // a resource limit stopped the VM
	exitDenied    = 4 // an uncaught policy denial
	exitSuspended = 5
)

// usageError is bad usage: exit 2 with the message alone.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Main runs the command and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	status := exitOK
	root := &cobra.Command{
		Use:           "rtfsvm",
		Short:         "Run RTFS plans in a sandbox",
		Long:          "rtfsvm runs plans written in RTFS 2.0: every effect is a host call that the host may grant, refuse, record and replay.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("store", "./.rtfsvm", "directory of runs, the causal chain, checkpoints and caches")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if store, err := cmd.Flags().GetString("store"); err == nil && store != "" {
			rtfsvm.UseStore(store)
		}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(runCommand(stdin, stdout, stderr, &status))
	root.AddCommand(compileCommand(stdin, stderr, &status))
	root.AddCommand(chainCommand(stdout, stderr, &status))
	root.AddCommand(runsCommand(stdout, stderr, &status))
	root.AddCommand(resumeCommand(stdout, stderr, &status))
	root.AddCommand(forkCommand(stdout, stderr, &status))
	root.AddCommand(approvalsCommand(stdout, stderr, &status))
	root.AddCommand(approveCommand(stdout, stderr, &status))
	root.AddCommand(completeCommand(stdout, stderr, &status))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "%s\n", err)
		if status == exitOK {
			status = exitUsage
		}
	}
	return status
}

type runFlags struct {
	engine, env, config, runID, memory string
	store                              string
	expr                               string
	fuel                               int64
	timeout                            time.Duration
}

func runCommand(stdin io.Reader, stdout, stderr io.Writer, status *int) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE.rtfs | - | -e EXPR",
		Short: "Run a plan and print its value",
		Long: `Run a plan and print its final value, in canonical form, on standard output.
Progress and step events go to standard error.

Exit status: 0 finished, 1 uncaught RTFS error, 2 usage, read or compile error,
3 resource limit, 4 policy denial, 5 suspended waiting for a human.`,
		Example: `  rtfsvm run examples/hello.rtfs
  rtfsvm run -e '(+ 1 2)'
  echo '(call :ccos.echo "hi")' | rtfsvm run -
  rtfsvm run plan.rtfs --env '{:intent "summarise"}'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.expr != "" && len(args) > 0 {
				return usagef("run takes either a FILE or -e EXPR, not both")
			}
			if f.expr == "" && len(args) != 1 {
				return usagef("run needs a FILE (or - for standard input) or -e EXPR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.store, _ = cmd.Flags().GetString("store")
			*status = runPlan(cmd.Context(), f, args, stdin, stdout, stderr)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.expr, "expr", "e", "", "run this expression instead of a file")
	fl.StringVar(&f.engine, "engine", rtfsvm.DefaultEngine, "engine: wasm (the MicroVM) or interp (the reference interpreter)")
	fl.StringVar(&f.env, "env", "{}", "initial environment, an RTFS map binding the plan's inputs")
	fl.StringVar(&f.config, "config", "", "capabilities and policy file")
	fl.StringVar(&f.runID, "run-id", "", "name of the run (generated when empty)")
	fl.Int64Var(&f.fuel, "fuel", 1_000_000_000, "deterministic CPU budget")
	fl.StringVar(&f.memory, "memory", "64MB", "linear-memory limit (64MB, 512KB)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "wall-clock limit (1s, 500ms)")
	return cmd
}

func runPlan(ctx context.Context, f runFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	file, src, err := readSource(f, args, stdin)
	if err != nil {
		return report(stderr, err)
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return report(stderr, err)
	}
	memory, err := parseSize(f.memory)
	if err != nil {
		return report(stderr, err)
	}
	if f.fuel <= 0 {
		return report(stderr, usagef("--fuel must be positive"))
	}
	if f.timeout <= 0 {
		return report(stderr, usagef("--timeout must be positive"))
	}
	kernel, caps, err := loadPolicy(f.config)
	if err != nil {
		return report(stderr, err)
	}
	var plan *rtfsvm.Prepared
	if strings.HasPrefix(src, "\x00asm") {
		// A module written by rtfsvm compile.
		if f.engine != rtfsvm.EngineWasm {
			return report(stderr, usagef("%s is a compiled module: it runs on --engine wasm only", file))
		}
		plan, err = rtfsvm.LoadWasm(ctx, []byte(src))
	} else {
		plan, err = rtfsvm.PrepareSource(ctx, file, src, f.engine)
	}
	if err != nil {
		return report(stderr, err)
	}
	// One process runs one plan: it should run on the optimized code, not on wazero's
	// interpreter, which the process engine starts new plans on (RATIONALE.md).
	if err := plan.WaitOptimized(ctx); err != nil {
		return report(stderr, err)
	}
	runID := f.runID
	if runID == "" {
		runID = orchestrator.NewRunID()
	}
	return orchestrate(ctx, f.store, kernel, caps, stdout, stderr, func(o *orchestrator.Orchestrator) (value.Value, error) {
		v, err := o.Run(ctx, orchestrator.Plan{Name: file, Prepared: plan}, orchestrator.RunOptions{
			ID: runID, Env: env, Fuel: f.fuel, Memory: memory, Timeout: f.timeout,
		})
		if errors.Is(err, store.ErrRunExists) {
			return nil, usagef("run %s exists already: choose another --run-id (or resume it)", runID)
		}
		return v, err
	})
}

// orchestrate opens the store, serves the configured capabilities and runs f with an
// orchestrator over them; it prints the value or reports the error as run does.
func orchestrate(ctx context.Context, dir string, kernel *policy.Kernel, caps []policy.CapabilitySpec, stdout, stderr io.Writer,
	f func(*orchestrator.Orchestrator) (value.Value, error)) int {
	st, err := store.Open(dir)
	if err != nil {
		return report(stderr, err)
	}
	defer st.Close()
	local := host.NewLocal(stderr)
	if err := serve(local, caps, stderr); err != nil {
		return report(stderr, err)
	}
	o, err := orchestrator.New(orchestrator.Config{Store: st, Kernel: kernel, Registry: local})
	if err != nil {
		return report(stderr, err)
	}
	v, err := f(o)
	if errors.Is(err, store.ErrRunLocked) {
		return report(stderr, usagef("%v", err))
	}
	if err != nil {
		return report(stderr, err)
	}
	fmt.Fprintln(stdout, value.Print(v))
	return exitOK
}

func resumeCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "resume RUN-ID",
		Short: "Continue a run that stopped before it ended",
		Long: `Continue a run whose process stopped (killed, or the machine went down): the plan
runs again in the module it started with, and every host call whose result is on the
causal chain is answered from the chain without running again; the first call without a
result runs live, with the same idempotency key. A run that ended prints its recorded
value (or error) and exits with its recorded status. Output and exit statuses are those
of run.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("resume needs one RUN-ID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, _ := cmd.Flags().GetString("store")
			*status = resumeRun(cmd.Context(), dir, config, args[0], stdout, stderr)
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "capabilities and policy file")
	return cmd
}

func forkCommand(stdout, stderr io.Writer, status *int) *cobra.Command {
	var config, at, runID string
	cmd := &cobra.Command{
		Use:   "fork RUN-ID --at CHECKPOINT [--run-id ID]",
		Short: "Start a new run from a checkpoint of an old one",
		Long: `Start a new run from a checkpoint, (checkpoint :name), of an old run: the new run
runs the same module with the same environment; the host calls the old run made before
the checkpoint are answered from its chain, and from there on the new run is live, on a
chain branch of its own that names the old run. Output and exit statuses are those of
run.`,
		Example: "  rtfsvm fork run-20261127T120000-1a2b3c4d --at fetched --run-id retry-1",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("fork needs one RUN-ID")
			}
			if at == "" {
				return usagef("fork needs --at CHECKPOINT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, _ := cmd.Flags().GetString("store")
			id := runID
			if id == "" {
				id = orchestrator.NewRunID()
			}
			*status = orchestrateRecorded(cmd.Context(), dir, config, stdout, stderr, func(ctx context.Context, o *orchestrator.Orchestrator) (value.Value, error) {
				v, err := o.Fork(ctx, args[0], at, orchestrator.RunOptions{ID: id})
				switch {
				case errors.Is(err, store.ErrRunExists):
					return nil, usagef("run %s exists already: choose another --run-id", id)
				case errors.Is(err, store.ErrNoRun), errors.Is(err, orchestrator.ErrNoCheckpoint):
					return nil, usagef("%v", err)
				}
				if err == nil {
					fmt.Fprintf(stderr, "forked: run %s\n", id)
				}
				return v, err
			})
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the checkpoint's name")
	cmd.Flags().StringVar(&runID, "run-id", "", "name of the new run (generated when empty)")
	cmd.Flags().StringVar(&config, "config", "", "capabilities and policy file")
	return cmd
}

func resumeRun(ctx context.Context, dir, config, id string, stdout, stderr io.Writer) int {
	return orchestrateRecorded(ctx, dir, config, stdout, stderr, func(ctx context.Context, o *orchestrator.Orchestrator) (value.Value, error) {
		v, err := o.Resume(ctx, id)
		if errors.Is(err, store.ErrNoRun) {
			return nil, usagef("no run %s in this store", id)
		}
		return v, err
	})
}

// orchestrateRecorded is orchestrate for a command that continues recorded runs (resume,
// fork): the store must exist, and the --config file gives the policy and capabilities.
func orchestrateRecorded(ctx context.Context, dir, config string, stdout, stderr io.Writer,
	f func(context.Context, *orchestrator.Orchestrator) (value.Value, error)) int {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if err := storeExists(dir); err != nil {
		return report(stderr, err)
	}
	kernel, caps, err := loadPolicy(config)
	if err != nil {
		return report(stderr, err)
	}
	return orchestrate(ctx, dir, kernel, caps, stdout, stderr, func(o *orchestrator.Orchestrator) (value.Value, error) {
		return f(ctx, o)
	})
}

func readSource(f runFlags, args []string, stdin io.Reader) (file, src string, err error) {
	if f.expr != "" {
		return "-e", f.expr, nil
	}
	file = args[0]
	var data []byte
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return "", "", usagef("cannot read %s: %v", file, errors.Unwrap(err))
	}
	return file, string(data), nil
}

// parseEnv reads --env: an RTFS map of keyword to value, taken as data.
func parseEnv(text string) (*value.Map, error) {
	n, err := syntax.ReadOne("--env", text)
	if err != nil {
		return nil, err
	}
	m, ok := syntax.Datum(n).(*value.Map)
	if !ok {
		return nil, usagef("--env must be a map such as {:intent \"x\"}, got %s", syntax.Print(n))
	}
	for _, e := range m.Entries() {
		if _, ok := e.Key.(value.Keyword); !ok {
			return nil, usagef("--env keys must be keywords, got %s", value.Print(e.Key))
		}
	}
	return m, nil
}

// parseSize reads 64MB, 512KB, 1GB or a number of bytes.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, usagef("--memory: %q is not a size such as 64MB or 512KB", s)
	}
	return n * mult, nil
}

// report prints an error as the contract says and returns the exit status.
func report(stderr io.Writer, err error) int {
	var se *syntax.Error
	var re *value.Error
	var le *value.LimitError
	var ue *usageError
	var susp *orchestrator.Suspended
	switch {
	case errors.As(err, &susp):
		fmt.Fprintf(stderr, "suspended: run %s waiting for %s\n", susp.RunID, susp.Capability)
		return exitSuspended
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "%s\n", se)
		return exitUsage
	case errors.As(err, &le):
		fmt.Fprintf(stderr, "error: %s\n", value.Print(le.Limit))
		return exitLimit
	case errors.As(err, &re):
		if re.ErrKind == value.ErrDenied {
			fmt.Fprintf(stderr, "error: %s: %s: %s\n", value.Print(re.ErrKind), re.Capability, re.Message)
			return exitDenied
		}
		fmt.Fprintf(stderr, "error: %s: %s\n", value.Print(re.ErrKind), re.Message)
		if re.At != "" {
			fmt.Fprintf(stderr, "  at %s\n", re.At)
		}
		return exitError
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s\n", ue)
		return exitUsage
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return exitUsage
}

func compileCommand(stdin io.Reader, stderr io.Writer, status *int) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "compile FILE.rtfs -o FILE.wasm",
		Short: "Compile a plan to the module the MicroVM runs",
		Long: `Compile a plan to a WebAssembly module that carries everything needed to run it
(rtfsvm run FILE.wasm). The plan's inputs are listed on standard error.`,
		Example: "  rtfsvm compile plan.rtfs -o plan.wasm && rtfsvm run plan.wasm --env '{:intent \"x\"}'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("compile needs one FILE (or - for standard input)")
			}
			if out == "" {
				return usagef("compile needs -o FILE.wasm")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			*status = compilePlan(cmd.Context(), args[0], out, stdin, stderr)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the module to write")
	return cmd
}

func compilePlan(ctx context.Context, file, out string, stdin io.Reader, stderr io.Writer) int {
	if ctx == nil {
		ctx = context.Background()
	}
	_, src, err := readSource(runFlags{}, []string{file}, stdin)
	if err != nil {
		return report(stderr, err)
	}
	plan, err := rtfsvm.PrepareSource(ctx, file, src, rtfsvm.EngineWasm)
	if err != nil {
		return report(stderr, err)
	}
	if err := os.WriteFile(out, plan.Binary(), 0o644); err != nil {
		return report(stderr, usagef("cannot write %s: %v", out, errors.Unwrap(err)))
	}
	if inputs := plan.Inputs(); len(inputs) > 0 {
		fmt.Fprintf(stderr, "inputs: %s\n", strings.Join(inputs, " "))
	} else {
		fmt.Fprintf(stderr, "inputs: none\n")
	}
	return exitOK
}

// loadPolicy reads the --config file: its policy (or the default one, which allows
// ccos.*) and its capabilities.
func loadPolicy(file string) (*policy.Kernel, []policy.CapabilitySpec, error) {
	p := policy.DefaultPolicy()
	var caps []policy.CapabilitySpec
	if file != "" {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, usagef("cannot read %s: %v", file, errors.Unwrap(err))
		}
		cfg, err := policy.ParseConfig(file, src)
		if err != nil {
			return nil, nil, err
		}
		p, caps = cfg.Policy, cfg.Capabilities
	}
	k, err := policy.NewKernel(p)
	return k, caps, err
}

// serve registers the configured capabilities with their providers and types.
func serve(h *host.Local, caps []policy.CapabilitySpec, stderr io.Writer) error {
	for _, c := range caps {
		if err := h.Declare(c.ID, host.Types{Args: c.Input, Result: c.Output}); err != nil {
			return err
		}
		timeout := time.Duration(c.TimeoutMs) * time.Millisecond
		switch c.Provider {
		case policy.ProviderExec:
			h.Provide(c.ID, host.Exec(c.Command, timeout))
		case policy.ProviderHTTP:
			h.Provide(c.ID, host.HTTP(&http.Client{}, c.URL, timeout))
		case policy.ProviderHuman:
			h.Provide(c.ID, host.Human)
		case policy.ProviderRTFS:
			h.Provide(c.ID, rtfsvm.RTFSProvider(c.Source, rtfsvm.Options{Timeout: timeout, Host: host.NewLocal(nil)}))
		default:
			fmt.Fprintf(stderr, "warning: capability %s (%s) is not served yet: calls to it fail\n", c.ID, value.Print(c.Provider))
		}
	}
	return nil
}
