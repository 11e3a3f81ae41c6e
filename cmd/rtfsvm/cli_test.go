package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm"
)

// testStore is the store of every command the tests run: never the source tree.
var testStore string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rtfsvm-cli-test")
	if err != nil {
		panic(err)
	}
	testStore = dir
	// The process's MicroVM engine keeps its compilation cache under the first store it
	// is given: make that the shared one, not a test's own store that is removed when
	// the test ends.
	rtfsvm.UseStore(testStore)
	if _, err := rtfsvm.Engine(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if !slices.Contains(args, "--store") {
		args = append(args, "--store", testStore)
	}
	var out, errOut bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunContract(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.rtfs")
	if err := os.WriteFile(plan, []byte("(step \"s\" (call :ccos.echo (str \"hi \" who)))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.rtfs")
	if err := os.WriteFile(bad, []byte("(let [x 1]\n  (/ x 0))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		stdout    string
		stderrHas []string
		stderrNot string
	}{
		{name: "expression", args: []string{"run", "-e", "(+ 1 2)"}, code: 0, stdout: "3\n"},
		{name: "stdin", stdin: "[1 2.0 \"x\"]", args: []string{"run", "-"}, code: 0, stdout: "[1 2.0 \"x\"]\n"},
		{name: "file with env and steps", args: []string{"run", plan, "--env", `{:who "Ada"}`}, code: 0,
			stdout: "\"hi Ada\"\n", stderrHas: []string{"step started: s", "step completed: s"}},
		{name: "unbound input", args: []string{"run", plan}, code: 2,
			stderrHas: []string{plan + ":1:39: who is not defined"}},
		{name: "uncaught error", args: []string{"run", bad}, code: 1,
			stderrHas: []string{"error: :error/division-by-zero: ", "  at " + bad + ":2:3"}},
		{name: "read error", args: []string{"run", "-e", "(+ 1"}, code: 2, stderrHas: []string{"-e:1:1: unclosed"}},
		{name: "compile error", args: []string{"run", "-e", "(loop [x 1] (+ 1 (recur x)))"}, code: 2,
			stderrHas: []string{"-e:1:18: recur must be in tail position"}},
		{name: "fuel", args: []string{"run", "-e", "(loop [] (recur))", "--fuel", "1000"}, code: 3,
			stderrHas: []string{"error: :limit/fuel"}},
		{name: "stack", args: []string{"run", "-e", "(defn f [n] (+ 1 (f n))) (f 1)"}, code: 3,
			stderrHas: []string{"error: :limit/stack"}},
		{name: "timeout", args: []string{"run", "-e", "(loop [] (recur))", "--timeout", "20ms"}, code: 3,
			stderrHas: []string{"error: :limit/timeout"}},
		{name: "thrown custom error", args: []string{"run", "-e", `(throw :my/oops "it broke" {:n 1})`}, code: 1,
			stderrHas: []string{"error: :my/oops: it broke", "  at -e:1:1"}},
		{name: "wasm engine", args: []string{"run", "-e", "(- 50 8)", "--engine", "wasm"}, code: 0, stdout: "42\n"},
		{name: "no file", args: []string{"run"}, code: 2, stderrHas: []string{"run needs a FILE"}},
		{name: "missing file", args: []string{"run", filepath.Join(dir, "none.rtfs")}, code: 2, stderrHas: []string{"cannot read"}},
		{name: "bad env", args: []string{"run", "-e", "1", "--env", "[1]"}, code: 2, stderrHas: []string{"--env must be a map"}},
		{name: "bad memory", args: []string{"run", "-e", "1", "--memory", "lots"}, code: 2, stderrHas: []string{"--memory"}},
		{name: "unknown flag", args: []string{"run", "-e", "1", "--nope"}, code: 2, stderrHas: []string{"unknown flag"}},
		{name: "store and run id accepted", args: []string{"run", "-e", "1", "--store", dir, "--run-id", "r1"}, code: 0, stdout: "1\n"},
		{name: "stdout holds only the value", args: []string{"run", "-e", `(step "x" 5)`}, code: 0, stdout: "5\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if tt.code == 0 && stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			if tt.code != 0 && stdout != "" {
				t.Errorf("stdout %q, want nothing on failure", stdout)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q does not contain %q", stderr, s)
				}
			}
		})
	}
}

func TestExamplesRun(t *testing.T) {
	code, stdout, stderr := run(t, "", "run", "../../examples/hello.rtfs", "--env", `{:who "Ada"}`)
	if code != 0 || stdout != "{:greeting \"Hello, Ada!\" :total 11}\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCompileThenRun(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.rtfs")
	mod := filepath.Join(dir, "plan.wasm")
	if err := os.WriteFile(plan, []byte("(step \"add\" (call :ccos.math.add x 2))"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "", "compile", plan, "-o", mod)
	if code != 0 || !strings.Contains(stderr, "inputs: x") {
		t.Fatalf("compile: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := run(t, "", "run", mod, "--engine", "wasm", "--env", "{:x 40}")
	if code != 0 || stdout != "42\n" {
		t.Fatalf("run of the module: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = run(t, "", "run", mod, "--engine", "wasm")
	if code != 2 || !strings.Contains(stderr, plan+":1:34: x is not defined") {
		t.Fatalf("unbound input: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "", "run", mod, "--engine", "interp")
	if code != 2 || !strings.Contains(stderr, "runs on --engine wasm only") {
		t.Fatalf("module on interp: exit %d, stderr %q", code, stderr)
	}
}

// Resource limits end the VM with their :limit/ kind and exit 3, on every engine; the
// process goes on (the next case runs in it).
func TestLimitsExitThree(t *testing.T) {
	bigLiteral := "[" + strings.Repeat("1 ", 300_000) + "]"
	tests := []struct {
		name, src string
		flags     []string
		want      string
	}{
		{"infinite loop", "(loop [] (recur))", []string{"--fuel", "100000"}, ":limit/fuel"},
		{"huge range", "(count (range 100000000))", nil, ":limit/memory"},
		{"string doubling", `(loop [s "ab"] (recur (str s s)))`, nil, ":limit/memory"},
		{"deep recursion", "(defn f [n] (+ 1 (f (inc n)))) (f 0)", nil, ":limit/stack"},
		{"wall clock", "(loop [i 0] (recur (inc i)))", []string{"--timeout", "50ms"}, ":limit/timeout"},
		{"literal over the memory limit", bigLiteral, []string{"--memory", "1MB"}, ":limit/memory"},
	}
	for _, engine := range []string{"wasm", "interp"} {
		for _, tt := range tests {
			if engine == "interp" && tt.name == "literal over the memory limit" {
				continue // the interpreter bounds single allocations, not what a literal holds
			}
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				args := append([]string{"run", "--engine", engine, "-e", tt.src}, tt.flags...)
				code, _, stderr := run(t, "", args...)
				if code != 3 || !strings.HasPrefix(stderr, "error: "+tt.want) {
					t.Fatalf("exit %d, stderr %q; want 3 and %s", code, stderr, tt.want)
				}
			})
		}
	}
}

// A literal of hundreds of thousands of elements compiles and runs.
func TestLargeLiteral(t *testing.T) {
	src := "(count [" + strings.Repeat("1 \"x\" ", 150_000) + "])"
	code, stdout, stderr := run(t, "", "run", "--engine", "wasm", "-e", src)
	if code != 0 || stdout != "300000\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.rtfs")
	if err := os.WriteFile(cfg, []byte(`{:policy
 {:default :deny
  :rules [{:capability "ccos.math.*" :effect :allow :when "args[0] < 100"}
          {:capability "ccos.echo" :effect :allow :max-calls 2}
          {:capability "secret.*" :effect :deny}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src string
		code      int
		stdout    string
		stderrHas string
	}{
		{"allowed by a condition", "(call :ccos.math.add 1 2)", 0, "3\n", ""},
		{"a false condition falls through to the default", "(call :ccos.math.add 500 2)", 4, "", "error: :error/denied: ccos.math.add: "},
		{"a denial can be caught", "(try (call :ccos.math.add 500 2) (catch :error/denied e (error-kind e)))", 0, ":error/denied\n", ""},
		{"max-calls", "[(call :ccos.echo 1) (call :ccos.echo 2) (try (call :ccos.echo 3) (catch e :third-denied))]", 0, "[1 2 :third-denied]\n", ""},
		{"an explicitly denied capability refuses the plan before it runs", `(step "never" (call :secret.read "k"))`, 4, "", "error: :error/denied: secret.read: "},
		{"batched calls are decided in order", "(try (parallel (call :ccos.echo 1) (call :ccos.echo 2) (call :ccos.echo 3)) (catch e (error-kind e)))", 0, ":error/denied\n", ""},
	}
	for _, engine := range []string{"wasm", "interp"} {
		for _, tt := range tests {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				code, stdout, stderr := run(t, "", "run", "--engine", engine, "--config", cfg, "-e", tt.src)
				if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderrHas) {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
				}
			})
		}
	}
	code, _, stderr := run(t, "", "run", "--config", filepath.Join(dir, "none.rtfs"), "-e", "1")
	if code != 2 || !strings.Contains(stderr, "cannot read") {
		t.Fatalf("missing config: exit %d, stderr %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad.rtfs")
	os.WriteFile(bad, []byte(`{:policy {:default :maybe}}`), 0o644)
	code, _, stderr = run(t, "", "run", "--config", bad, "-e", "1")
	if code != 2 || !strings.Contains(stderr, bad+":1:") {
		t.Fatalf("bad config: exit %d, stderr %q", code, stderr)
	}
}

// The :exec and :http providers, against a real local process and a real local server.
func TestProviders(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "effects.log")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Capability     string `json:"capability"`
			Args           []any  `json:"args"`
			IdempotencyKey string `json:"idempotency_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.IdempotencyKey == "" {
			http.Error(w, "bad request", 400)
			return
		}
		if req.Args[0] == "Mordor" {
			http.Error(w, "one does not simply", 503)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"city": req.Args[0], "temp": 21.5, "via": req.Capability})
	}))
	defer srv.Close()
	cfg := filepath.Join(dir, "config.rtfs")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`{:capabilities
 [{:id "files.append" :provider :exec :command ["sh" "-c" "cat >> %s; echo ok >> %s; printf '{\"key\":\"%%s\"}' \"$RTFSVM_IDEMPOTENCY_KEY\""] :timeout-ms 5000}
  {:id "slow" :provider :exec :command ["sleep" "5"] :timeout-ms 100}
  {:id "fails" :provider :exec :command ["sh" "-c" "echo broken >&2; exit 3"]}
  {:id "weather.get" :provider :http :url %q}
  {:id "math.double" :provider :rtfs :source "(fn [x] (* 2 x))"}
  {:id "math.loop" :provider :rtfs :source "(fn [] (loop [] (recur)))" :timeout-ms 50}]
 :policy {:default :deny :rules [{:capability "*" :effect :allow}]}}`, log, log, srv.URL)), 0o644)
	tests := []struct{ name, src, want string }{
		{"exec", `(call :files.append "line" 1)`, `{:key "providers-0:1"}`},
		{"exec with an explicit key", `^{:idempotency-key "k-7"} (call :files.append "x")`, `{:key "k-7"}`},
		{"exec timeout", `(try (call :slow) (catch e (error-kind e)))`, ":error/capability"},
		{"exec failure", `(try (call :fails) (catch e [(error-kind e) (includes? (error-message e) "broken")]))`, "[:error/capability true]"},
		{"http", `(call :weather.get "Paris")`, `{:city "Paris" :temp 21.5 :via "weather.get"}`},
		{"http error status", `(try (call :weather.get "Mordor") (catch e (error-kind e)))`, ":error/capability"},
		{"rtfs in its own VM", `(+ 1 (call :math.double 20))`, "41"},
		{"an rtfs error reaches the caller", `(try (call :math.double "x") (catch e [(error-kind e) (:error/capability e)]))`, `[:error/type "math.double"]`},
		{"the callee's limit does not stop the caller", `(try (call :math.loop) (catch e (error-kind e)))`, ":error/capability"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", "run", "--config", cfg, "--store", dir, "--run-id", fmt.Sprint("providers-", i), "-e", tt.src)
			if code != 0 || stdout != tt.want+"\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), `["line",1]`) {
		t.Errorf("the exec capability did not receive its arguments as JSON: %q", data)
	}
}

func TestBudgets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "budgets.rtfs")
	os.WriteFile(cfg, []byte(`{:policy {:default :deny :rules [{:capability "ccos.*" :effect :allow}]
  :budgets {:host-calls 2 :fuel 50000 :wall-ms 60000}}}`), 0o644)
	code, stdout, _ := run(t, "", "run", "--config", cfg, "-e", "[(call :ccos.echo 1) (call :ccos.echo 2) (try (call :ccos.echo 3) (catch :error/denied e :spent))]")
	if code != 0 || stdout != "[1 2 :spent]\n" {
		t.Fatalf("host-call budget: exit %d, stdout %q", code, stdout)
	}
	code, _, stderr := run(t, "", "run", "--config", cfg, "-e", "(loop [] (recur))")
	if code != 3 || !strings.HasPrefix(stderr, "error: :limit/fuel") {
		t.Fatalf("fuel budget: exit %d, stderr %q", code, stderr)
	}
}
