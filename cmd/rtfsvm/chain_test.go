package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/store"
)

// The chain commands through the command line: runs are recorded, listed and shown, a
// run id cannot be used twice, and chain verify passes, then names the action a
// flipped bit damaged.
func TestChainCommands(t *testing.T) {
	dir := t.TempDir()
	st := func(args ...string) []string { return append(args, "--store", dir) }
	if code, _, stderr := run(t, "", st("chain", "verify")...); code != 2 || !strings.Contains(stderr, "no store") {
		t.Fatalf("verify without a store: exit %d, %q", code, stderr)
	}
	plan := `(step "fetch" [(call :ccos.echo 1) (try (call :files.rm "x") (catch :error/denied e :no))])`
	if code, stdout, stderr := run(t, "", st("run", "--run-id", "c1", "-e", plan)...); code != 0 || stdout != "[1 :no]\n" {
		t.Fatalf("run: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, _, stderr := run(t, "", st("run", "--run-id", "c1", "-e", "1")...); code != 2 || !strings.Contains(stderr, "run c1 exists already") {
		t.Fatalf("a second run c1: exit %d, %q", code, stderr)
	}
	if code, _, _ := run(t, "", st("run", "--run-id", "c2", "-e", "(/ 1 0)")...); code != 1 {
		t.Fatalf("a failing run: exit %d", code)
	}
	code, stdout, _ := run(t, "", st("runs")...)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "c1 completed -e ") || !strings.HasPrefix(lines[1], "c2 failed -e ") {
		t.Fatalf("runs: exit %d, %q", code, stdout)
	}
	code, stdout, _ = run(t, "", st("chain", "show", "c1")...)
	for _, want := range []string{"run-started", "step-started", "capability-requested", ":effect :deny", "capability-result", "step-completed", "run-completed"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("chain show: exit %d, no %q in\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = run(t, "", st("chain", "show", "c1", "--json")...)
	var acts []struct {
		Seq       int64           `json:"seq"`
		Kind      string          `json:"kind"`
		Data      json.RawMessage `json:"data"`
		Hash      string          `json:"hash"`
		Signature string          `json:"signature"`
	}
	if err := json.Unmarshal([]byte(stdout), &acts); code != 0 || err != nil || len(acts) != 9 {
		t.Fatalf("chain show --json: exit %d, %v, %d actions:\n%s", code, err, len(acts), stdout)
	}
	if acts[0].Kind != "run-started" || acts[8].Kind != "run-completed" || len(acts[8].Hash) != 64 || acts[8].Signature == "" {
		t.Fatalf("chain show --json: %+v", acts)
	}
	if code, _, stderr := run(t, "", st("chain", "show", "nope")...); code != 2 || !strings.Contains(stderr, "no run nope") {
		t.Fatalf("chain show of an unknown run: exit %d, %q", code, stderr)
	}
	code, stdout, _ = run(t, "", st("chain", "verify")...)
	var total int
	if _, err := fmt.Sscanf(stdout, "ok: %d actions verified\n", &total); code != 0 || err != nil || total != 11 {
		t.Fatalf("chain verify: exit %d, %q", code, stdout)
	}

	// Flip the last bit of the first segment: the signature of its last action.
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var first, last int64
	var records []byte
	if err := db.QueryRow(`SELECT first, last, records FROM segments ORDER BY first LIMIT 1`).Scan(&first, &last, &records); err != nil {
		t.Fatal(err)
	}
	records[len(records)-1] ^= 1
	if _, err := db.Exec(`UPDATE segments SET records = ? WHERE first = ?`, records, first); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, stdout, stderr := run(t, "", st("chain", "verify")...)
	if want := fmt.Sprintf("broken at action %d: its signature does not verify", last); code != 1 || stdout != "" || !strings.Contains(stderr, want) {
		t.Fatalf("chain verify after tampering: exit %d, %q, %q (want %q)", code, stdout, stderr, want)
	}
}

// Capabilities may declare the types of their arguments and result in the config:
// arguments of another type never reach the provider.
func TestCapabilityTypes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.rtfs")
	os.WriteFile(cfg, []byte(`{:capabilities
 [{:id "math.twice" :provider :rtfs :source "(fn [x] (* 2 x))" :input [:tuple :int] :output :int}
  {:id "math.lie" :provider :rtfs :source "(fn [x] (str x))" :input [:tuple :int] :output :int}]
 :policy {:default :allow}}`), 0o644)
	for src, want := range map[string]string{
		`(call :math.twice 21)`: "42",
		`(try (call :math.twice "x") (catch e [(error-kind e) (:error/capability e)]))`: `[:error/type "math.twice"]`,
		`(try (call :math.lie 1) (catch e (error-kind e)))`:                             ":error/capability",
	} {
		if code, stdout, stderr := run(t, "", "run", "--config", cfg, "--store", dir, "-e", src); code != 0 || stdout != want+"\n" {
			t.Errorf("%s: exit %d, %q, %q; want %s", src, code, stdout, stderr, want)
		}
	}
	os.WriteFile(cfg, []byte(`{:capabilities [{:id "a" :provider :rtfs :source "(fn [] 1)" :output :integer}]}`), 0o644)
	if code, _, stderr := run(t, "", "run", "--config", cfg, "--store", dir, "-e", "1"); code != 2 || !strings.Contains(stderr, "config.rtfs:1:") || !strings.Contains(stderr, "not a type") {
		t.Fatalf("a bad type: exit %d, %q", code, stderr)
	}
}

// Approvals and human input through the command: the run suspends (exit 5), waits in
// rtfsvm approvals, and continues with rtfsvm resume after approve or complete; every
// command is a process of its own.
func TestSuspendApproveResume(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.rtfs")
	os.WriteFile(cfg, []byte(`{:capabilities [{:id "ops.deploy" :provider :rtfs :source "(fn [env] (str \"deployed to \" env))"}]
 :policy {:default :deny :rules [{:capability "ccos.*" :effect :allow} {:capability "ops.*" :effect :require-approval}]}}`), 0o644)
	st := func(args ...string) []string { return append(args, "--store", dir) }
	plan := `(let [who (call :ccos.user.ask "who approves?")] [who (try (call :ops.deploy "prod") (catch :error/denied e :refused))])`
	code, stdout, stderr := run(t, "", st("run", "--config", cfg, "--run-id", "d1", "-e", plan)...)
	if code != 5 || stdout != "" || stderr != "suspended: run d1 waiting for ccos.user.ask\n" {
		t.Fatalf("run: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, "", st("approvals")...); code != 0 || stdout != "d1 input ccos.user.ask \"who approves?\"\n" {
		t.Fatalf("approvals: exit %d, %q", code, stdout)
	}
	if code, _, stderr := run(t, "", st("approve", "d1")...); code != 2 || !strings.Contains(stderr, "waits for input, not approval") {
		t.Fatalf("approving a question: exit %d, %q", code, stderr)
	}
	if code, _, _ := run(t, "", st("complete", "d1", "--value", `"Grace"`)...); code != 0 {
		t.Fatalf("complete: exit %d", code)
	}
	code, stdout, stderr = run(t, "", st("resume", "d1", "--config", cfg)...)
	if code != 5 || stderr != "suspended: run d1 waiting for ops.deploy\n" {
		t.Fatalf("resume: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, "", st("approvals")...); code != 0 || stdout != "d1 approval ops.deploy [\"prod\"]\n" {
		t.Fatalf("approvals: exit %d, %q", code, stdout)
	}
	if code, _, _ := run(t, "", st("approve", "d1", "--reason", "ok by Grace")...); code != 0 {
		t.Fatalf("approve: exit %d", code)
	}
	code, stdout, stderr = run(t, "", st("resume", "d1", "--config", cfg)...)
	if code != 0 || stdout != "[\"Grace\" \"deployed to prod\"]\n" {
		t.Fatalf("resume after the approval: exit %d, %q, %q", code, stdout, stderr)
	}
	// A denial is catchable; resuming a finished run reprints its value.
	run(t, "", st("run", "--config", cfg, "--run-id", "d2", "-e", `(try (call :ops.deploy "prod") (catch :error/denied e :refused))`)...)
	run(t, "", st("approve", "d2", "--deny")...)
	if code, stdout, _ := run(t, "", st("resume", "d2", "--config", cfg)...); code != 0 || stdout != ":refused\n" {
		t.Fatalf("resume after a denial: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := run(t, "", st("resume", "d2")...); code != 0 || stdout != ":refused\n" {
		t.Fatalf("resuming a finished run: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := run(t, "", st("chain", "verify")...); code != 0 || !strings.HasPrefix(stdout, "ok: ") {
		t.Fatalf("chain verify: exit %d, %q", code, stdout)
	}
}

// rtfsvm fork starts a run from a checkpoint of another: the calls before it are not
// made again.
func TestForkCommand(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls.log")
	cfg := filepath.Join(dir, "config.rtfs")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`{:capabilities [{:id "log" :provider :exec :command ["sh" "-c" "echo $RTFSVM_IDEMPOTENCY_KEY >> %s; echo 1"]}]
 :policy {:default :allow}}`, log)), 0o644)
	st := func(args ...string) []string { return append(args, "--store", dir, "--config", cfg) }
	plan := `(let [a (call :log) _ (checkpoint :first) b (call :log)] (+ a b))`
	if code, stdout, _ := run(t, "", st("run", "--run-id", "p", "-e", plan)...); code != 0 || stdout != "2\n" {
		t.Fatalf("run: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := run(t, "", st("fork", "p", "--at", "first", "--run-id", "f")...); code != 0 || stdout != "2\n" {
		t.Fatalf("fork: exit %d, %q", code, stdout)
	}
	if got := strings.Join(lines(t, log), " "); got != "p:1 p:2 f:2" {
		t.Fatalf("calls: %s", got)
	}
	if code, _, stderr := run(t, "", st("fork", "p", "--at", "nowhere")...); code != 2 || !strings.Contains(stderr, "no such checkpoint") {
		t.Fatalf("an unknown checkpoint: exit %d, %q", code, stderr)
	}
}
