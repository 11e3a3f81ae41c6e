package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
