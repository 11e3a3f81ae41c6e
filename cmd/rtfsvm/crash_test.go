package main

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildCommand builds the rtfsvm command once for the tests that need a real process.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtfsvm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// A run killed with SIGKILL in the middle of a host call (after the effect, before its
// result is recorded: the worst moment) resumes with rtfsvm resume: the calls with a
// recorded result are not run again, the one in flight runs again with the same
// idempotency key (which the capability uses to apply its effect once), the value is
// right, and the chain verifies.
func TestKilledRunResumes(t *testing.T) {
	bin := buildCommand(t)
	for _, killAt := range []int{1, 7, 12} {
		t.Run(fmt.Sprint("kill at call ", killAt), func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "effects.log")
			calls := filepath.Join(dir, "calls.log")
			// The capability records every execution, applies its effect once per
			// idempotency key, and at the killAt-th execution kills rtfsvm (its parent).
			script := fmt.Sprintf(`echo "$RTFSVM_IDEMPOTENCY_KEY" >> %[1]q
grep -qx "$RTFSVM_IDEMPOTENCY_KEY" %[2]q || echo "$RTFSVM_IDEMPOTENCY_KEY" >> %[2]q
if [ "$(wc -l < %[1]q)" -eq %[3]d ]; then kill -9 $PPID; fi
echo 1`, calls, log, killAt)
			cfg := filepath.Join(dir, "config.rtfs")
			os.WriteFile(cfg, []byte(fmt.Sprintf(`{:capabilities [{:id "files.append" :provider :exec :command ["sh" "-c" %q]}]
 :policy {:default :allow}}`, script)), 0o644)
			plan := `(step "append" (reduce + 0 (map (fn [i] (call :files.append i)) (range 15))))`
			run := exec.Command(bin, "run", "--store", dir, "--config", cfg, "--run-id", "job", "-e", plan)
			err := run.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != -1 {
				t.Fatalf("the run was not killed: %v", err)
			}
			out, err := exec.Command(bin, "resume", "job", "--store", dir, "--config", cfg).Output()
			if err != nil || string(out) != "15\n" {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			effects := lines(t, log)
			if len(effects) != 15 {
				t.Fatalf("%d effects, want 15 (each once): %v", len(effects), effects)
			}
			executions := lines(t, calls)
			if len(executions) != 16 || executions[killAt-1] != executions[killAt] {
				t.Fatalf("executions %v: want 16, the killed call run twice", executions)
			}
			out, err = exec.Command(bin, "chain", "verify", "--store", dir).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "ok: ") {
				t.Fatalf("chain verify: %v\n%s", err, out)
			}
			out, err = exec.Command(bin, "resume", "job", "--store", dir, "--config", cfg).Output()
			if err != nil || string(out) != "15\n" || len(lines(t, calls)) != 16 {
				t.Fatalf("resuming the finished run: %v\n%s", err, out)
			}
		})
	}
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// The crash test of durable runs: a plan of 200 effectful host calls (an :exec
// capability that appends to a file, once per idempotency key) is killed with SIGKILL
// at least 30 times, at moments drawn at random (some inside a capability, after its
// effect and before its result is recorded; the others at a random time, wherever the
// process is), and resumed after each kill. At the end the value is right, every
// effect happened exactly once, and the chain verifies.
func TestCrashAndResume200(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and kills it 30 times")
	}
	bin := buildCommand(t)
	dir := t.TempDir()
	log, calls, killAt := filepath.Join(dir, "effects.log"), filepath.Join(dir, "calls.log"), filepath.Join(dir, "kill-at")
	// kill-at holds the execution number at which the capability kills rtfsvm (0: never).
	script := fmt.Sprintf(`echo "$RTFSVM_IDEMPOTENCY_KEY" >> %[1]q
grep -qx "$RTFSVM_IDEMPOTENCY_KEY" %[2]q || echo "$RTFSVM_IDEMPOTENCY_KEY" >> %[2]q
if [ "$(wc -l < %[1]q)" -eq "$(cat %[3]q)" ]; then kill -9 $PPID; fi
echo 1`, calls, log, killAt)
	cfg := filepath.Join(dir, "config.rtfs")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`{:capabilities [{:id "files.append" :provider :exec :command ["sh" "-c" %q]}]
 :policy {:default :allow :checkpoints {:every-calls 10}}}`, script)), 0o644)
	plan := `(step "append" (reduce + 0 (map (fn [i] (call :files.append i)) (range 200))))`
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 27))
	kills, fresh := 0, true // fresh: the run has recorded nothing yet, so run it
	for attempt := 0; ; attempt++ {
		if attempt > 200 {
			t.Fatalf("the run did not finish after %d attempts", attempt)
		}
		executed := len(linesOrNone(calls))
		arm := "0"
		if kills < 30 && rng.IntN(2) == 0 {
			arm = fmt.Sprint(executed + 1 + rng.IntN(6)) // inside one of the next few calls
		}
		os.WriteFile(killAt, []byte(arm), 0o644)
		args := []string{"resume", "job", "--store", dir, "--config", cfg}
		if fresh {
			args = []string{"run", "--store", dir, "--config", cfg, "--run-id", "job", "--timeout", "10m", "-e", plan} // a loaded CI machine runs the 200 subprocesses slowly
		}
		fresh = false
		cmd := exec.Command(bin, args...)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if kills < 30 && arm == "0" {
			// Anywhere: while it starts, replays, runs a call or commits.
			delay := time.Duration(rng.IntN(40_000)) * time.Microsecond
			timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
			defer timer.Stop()
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == -1 {
			kills++
			t.Logf("attempt %d: killed (armed at execution %s, %d executions so far)", attempt, arm, len(linesOrNone(calls)))
			continue
		}
		if errors.As(err, &exit) && exit.ExitCode() == 2 && (strings.Contains(errOut.String(), "recorded nothing") || strings.Contains(errOut.String(), "no run job") || strings.Contains(errOut.String(), "no store")) {
			fresh = true // killed before it recorded its start
			continue
		}
		if err != nil {
			t.Fatalf("attempt %d: %v\n%s%s", attempt, err, out.String(), errOut.String())
		}
		if out.String() != "200\n" {
			t.Fatalf("attempt %d: value %q", attempt, out.String())
		}
		if kills < 30 {
			t.Fatalf("the run finished after only %d kills: the plan is too short for this test", kills)
		}
		break
	}
	effects := linesOrNone(log)
	seen := map[string]bool{}
	for _, e := range effects {
		if seen[e] {
			t.Fatalf("effect %s happened twice", e)
		}
		seen[e] = true
	}
	if len(effects) != 200 {
		t.Fatalf("%d effects, want 200", len(effects))
	}
	// Resumes go on from the newest snapshot (one every 10 calls) rather than replaying.
	show, err := exec.Command(bin, "chain", "show", "job", "--store", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	fromSnapshot := 0
	for _, line := range strings.Split(string(show), "\n") {
		if strings.Contains(line, "run-resumed") && strings.Contains(line, ":from :snapshot") {
			fromSnapshot++
		}
	}
	if fromSnapshot < 3 { // most kills land early, some before a resume records anything
		t.Fatalf("only %d resumes went on from a snapshot", fromSnapshot)
	}
	out, err := exec.Command(bin, "chain", "verify", "--store", dir).Output()
	if err != nil || !strings.HasPrefix(string(out), "ok: ") {
		t.Fatalf("chain verify: %v\n%s", err, out)
	}
	t.Logf("%d kills; %d executions for 200 effects; %s", kills, len(linesOrNone(calls)), out)
}

func linesOrNone(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}
