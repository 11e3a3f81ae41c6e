package policy

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

const contractExample = `{:capabilities
 [{:id "files.append" :provider :exec :command ["sh" "-c" "cat >> out.txt"] :timeout-ms 5000}
  {:id "weather.get"  :provider :http :url "http://127.0.0.1:8080/weather"}
  {:id "math.double"  :provider :rtfs :source "(fn [x] (* 2 x))"}
  {:id "user.ask"     :provider :human}
  {:id "gh.search"    :provider :mcp :command ["some-mcp-server"] :tool "search"}]
 :policy
 {:default :deny
  :rules [{:capability "ccos.*"       :effect :allow}
          {:capability "files.append" :effect :require-approval}
          {:capability "weather.get"  :effect :allow :when "args[0] != 'Mordor'" :max-calls 10}]
  :budgets {:host-calls 10000 :fuel 1000000000 :wall-ms 60000}
  :checkpoints {:every-calls 100 :max-snapshot-bytes 16000000}
  :resume :allow}}`

func TestParseContractExample(t *testing.T) {
	cfg, err := ParseConfig("cfg.rtfs", []byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	caps := cfg.Capabilities
	if len(caps) != 5 {
		t.Fatalf("got %d capabilities", len(caps))
	}
	want := []CapabilitySpec{
		{ID: "files.append", Provider: ProviderExec, Command: []string{"sh", "-c", "cat >> out.txt"}, TimeoutMs: 5000},
		{ID: "weather.get", Provider: ProviderHTTP, URL: "http://127.0.0.1:8080/weather"},
		{ID: "math.double", Provider: ProviderRTFS, Source: "(fn [x] (* 2 x))"},
		{ID: "user.ask", Provider: ProviderHuman},
		{ID: "gh.search", Provider: ProviderMCP, Command: []string{"some-mcp-server"}, Tool: "search"},
	}
	for i := range want {
		got := caps[i]
		if got.Pos.Line != i+2 || got.Pos.File != "cfg.rtfs" {
			t.Errorf("capability %d at %v", i, got.Pos)
		}
		got.Pos = syntax.Pos{}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("capability %d: got %+v, want %+v", i, got, want[i])
		}
	}
	p := cfg.Policy
	if p.Default != Deny || p.Resume != Allow || len(p.Rules) != 3 {
		t.Fatalf("policy %+v", p)
	}
	r := p.Rules[2]
	if r.Capability != "weather.get" || r.Effect != Allow || r.When != "args[0] != 'Mordor'" || r.MaxCalls != 10 || r.Pos.Line != 11 || r.WhenPos.Line != 11 {
		t.Errorf("rule 3: %+v", r)
	}
	if p.Rules[1].Effect != RequireApproval {
		t.Errorf("rule 2: %+v", p.Rules[1])
	}
	if p.Budgets != (Budgets{10000, 1000000000, 60000}) {
		t.Errorf("budgets %+v", p.Budgets)
	}
	if p.Checkpoints != (Checkpoints{100, 16000000}) {
		t.Errorf("checkpoints %+v", p.Checkpoints)
	}
	if _, err := NewKernel(p); err != nil {
		t.Fatal(err)
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := ParseConfig("c", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Policy, DefaultPolicy()) {
		t.Errorf("no :policy: %+v", cfg.Policy)
	}
	k := mustKernel(t, cfg.Policy)
	if d := k.Decide(NewRunState("r"), "ccos.echo", nil); d.Effect != Allow {
		t.Errorf("ccos.echo: %+v", d)
	}
	if d := k.Decide(NewRunState("r"), "files.rm", nil); d.Effect != Deny || d.Rule != -1 {
		t.Errorf("files.rm: %+v", d)
	}
	cfg, err = ParseConfig("c", []byte(`{:policy {}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Policy.Default != Deny || len(cfg.Policy.Rules) != 0 || cfg.Policy.Resume != Allow {
		t.Errorf("empty :policy: %+v", cfg.Policy)
	}
	k = mustKernel(t, cfg.Policy)
	if d := k.Decide(NewRunState("r"), "ccos.echo", nil); d.Effect != Deny {
		t.Errorf("ccos.echo under an empty :policy: %+v", d)
	}
	cfg, err = ParseConfig("c", []byte(`{:policy {:default :allow :resume :require-approval}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Policy.Default != Allow || cfg.Policy.Resume != RequireApproval {
		t.Errorf("%+v", cfg.Policy)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src, pos, msg string
	}{
		{`[]`, "1:1", "the config must be a map, got vector []"},
		{``, "1:1", "expected one form, found 0"},
		{`{:polcy {}}`, "1:2", "unknown key :polcy in the config"},
		{`{"policy" {}}`, "1:2", "a key of the config must be a keyword, got string"},
		{`{:policy []}`, "1:10", ":policy must be a map, got vector"},
		{`{:policy {:defualt :allow}}`, "1:11", "unknown key :defualt in :policy"},
		{`{:policy {:default allow}}`, "1:20", ":default in :policy must be one of :allow, :deny, got symbol allow"},
		{`{:policy {:default :require-approval}}`, "1:20", ":default in :policy must be one of :allow, :deny"},
		{`{:policy {:resume :deny}}`, "1:19", ":resume in :policy must be one of :allow, :require-approval"},
		{`{:policy {:rules {}}}`, "1:18", ":rules must be a vector of maps"},
		{"{:policy {:rules [\n  {:capability \"a\" :effect :allow :whn \"true\"}]}}", "2:35", "unknown key :whn in rule 1"},
		{"{:policy {:rules [{:capability \"a\" :effect :allow}\n  {:effect :allow}]}}", "2:3", "rule 2 has no :capability"},
		{`{:policy {:rules [{:capability "a"}]}}`, "1:19", "rule 1 has no :effect"},
		{`{:policy {:rules [{:capability "" :effect :allow}]}}`, "1:32", ":capability in rule 1 must not be empty"},
		{`{:policy {:rules [{:capability a :effect :allow}]}}`, "1:32", ":capability in rule 1 must be a string, got symbol a"},
		{`{:policy {:rules [{:capability "a" :effect :permit}]}}`, "1:44", ":effect in rule 1 must be one of :allow, :deny, :require-approval, got keyword :permit"},
		{`{:policy {:rules [{:capability "a" :effect :allow :when true}]}}`, "1:57", ":when in rule 1 must be a string, got boolean true"},
		{`{:policy {:rules [{:capability "a" :effect :allow :when " "}]}}`, "1:57", ":when in rule 1 must not be empty"},
		{`{:policy {:rules [{:capability "a" :effect :allow :max-calls 0}]}}`, "1:62", ":max-calls in rule 1 must be between 1 and"},
		{`{:policy {:rules [{:capability "a" :effect :allow :max-calls 1.5}]}}`, "1:62", ":max-calls in rule 1 must be a positive integer, got float 1.5"},
		{`{:policy {:rules [{:capability "a" :effect :deny :max-calls 3}]}}`, "1:50", ":max-calls in rule 1: a :deny rule"},
		{`{:policy {:rules ["a"]}}`, "1:19", "rule 1 must be a map, got string"},
		{`{:policy {:budgets {:fuel -1}}}`, "1:27", ":fuel in :budgets must be between 1 and"},
		{`{:policy {:budgets {:host-calls "10"}}}`, "1:33", ":host-calls in :budgets must be a positive integer, got string"},
		{`{:policy {:budgets {:wall 5}}}`, "1:21", "unknown key :wall in :budgets (expected :host-calls, :fuel, :wall-ms)"},
		{`{:policy {:checkpoints {:every 5}}}`, "1:25", "unknown key :every in :checkpoints"},
		{`{:policy {:checkpoints {:every-calls 0}}}`, "1:38", ":every-calls in :checkpoints must be between 1 and"},
		{`{:capabilities {}}`, "1:16", ":capabilities must be a vector of maps"},
		{`{:capabilities [{:provider :human}]}`, "1:17", "capability 1 has no :id"},
		{`{:capabilities [{:id "x"}]}`, "1:17", `capability "x" has no :provider`},
		{`{:capabilities [{:id "x" :provider :ftp}]}`, "1:36", `:provider in capability "x" must be one of :exec, :http, :rtfs, :human, :mcp, got keyword :ftp`},
		{`{:capabilities [{:id "x" :provider :exec}]}`, "1:17", `capability "x" (provider :exec) has no :command`},
		{`{:capabilities [{:id "x" :provider :mcp :command ["s"]}]}`, "1:17", `capability "x" (provider :mcp) has no :tool`},
		{`{:capabilities [{:id "x" :provider :http :url "u" :command ["a"]}]}`, "1:51", `capability "x": provider :http takes no :command (it takes :url, :timeout-ms)`},
		{`{:capabilities [{:id "x" :provider :human :timeout-ms 5}]}`, "1:43", `provider :human takes no :timeout-ms`},
		{`{:capabilities [{:id "x" :provider :exec :command []}]}`, "1:51", `:command in capability "x" must not be empty`},
		{`{:capabilities [{:id "x" :provider :exec :command "ls"}]}`, "1:51", `:command in capability "x" must be a vector of strings, got string`},
		{`{:capabilities [{:id "x" :provider :exec :command ["ls" 1]}]}`, "1:57", `must be a vector of strings, got integer 1`},
		{`{:capabilities [{:id "x" :provider :exec :command ["ls"] :timeout-ms 0}]}`, "1:70", `:timeout-ms in capability "x" must be between 1`},
		{"{:capabilities [{:id \"x\" :provider :human}\n {:id \"x\" :provider :human}]}", "2:7", `duplicate capability "x" (first defined at c.rtfs:1:22)`},
		{`{:capabilities [{:id 1 :provider :human}]}`, "1:22", `:id in capability 1 must be a string, got integer 1`},
		{`{:policy {} :policy {}}`, "1:13", "duplicate"},
		{`{:policy {:rules [{:capability "a" :effect :allow}]} `, "1:1", ""},
	}
	for _, c := range cases {
		_, err := ParseConfig("c.rtfs", []byte(c.src))
		var se *syntax.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v (%T), want a *syntax.Error", c.src, err, err)
			continue
		}
		if se.Pos.File != "c.rtfs" {
			t.Errorf("%s: file %q", c.src, se.Pos.File)
		}
		if c.src == `{:policy {:rules [{:capability "a" :effect :allow}]} ` {
			continue // an unclosed map: the reader's error, wherever it puts it
		}
		if got := se.Pos.String(); got != "c.rtfs:"+c.pos {
			t.Errorf("%s: error at %s, want %s (%v)", c.src, got, c.pos, err)
		}
		if !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%s: message %q, want it to contain %q", c.src, se.Msg, c.msg)
		}
	}
}

func TestWhenCompileError(t *testing.T) {
	cfg, err := ParseConfig("c.rtfs", []byte("{:policy {:rules [{:capability \"a\" :effect :allow}\n {:capability \"b\" :effect :allow :when \"args[0] ==\"}]}}"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewKernel(cfg.Policy)
	var se *syntax.Error
	if !errors.As(err, &se) || se.Pos.String() != "c.rtfs:2:40" || !strings.Contains(se.Msg, ":when of rule 2 does not compile") {
		t.Errorf("got %v", err)
	}
	for _, when := range []string{"1 + 1", "'x'", "nosuchvar", "args.size() > 'a'"} {
		_, err = NewKernel(Policy{Rules: []Rule{{Capability: "a", Effect: Allow, When: when}}})
		if err == nil {
			t.Errorf("%q compiled", when)
		}
	}
	// A :when of dynamic type compiles; it must still yield a boolean when run.
	k := mustKernel(t, Policy{Rules: []Rule{{Capability: "a", Effect: Allow, When: "args[0]"}}})
	if d := k.Decide(NewRunState("r"), "a", []value.Value{value.True}); d.Effect != Allow {
		t.Errorf("args[0] = true: %+v", d)
	}
	if d := k.Decide(NewRunState("r"), "a", []value.Value{value.Int(1)}); d.Effect != Deny || d.Rule != 0 || !strings.Contains(d.Reason, "not a boolean") {
		t.Errorf("args[0] = 1: %+v", d)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		glob, id string
		want     bool
	}{
		{"ccos.*", "ccos.echo", true},
		{"ccos.*", "ccos.math.add", true}, // * crosses dots
		{"ccos.*", "ccos.", true},
		{"ccos.*", "ccos", false},
		{"ccos.*", "xccos.echo", false}, // the whole id
		{"*", "", true},
		{"*", "a.b.c", true},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"files.append", "files.append", true},
		{"files.append", "files.appendx", false},
		{"files.append", "files_append", false}, // . is literal
		{"?", "a", true},
		{"?", "", false},
		{"?", "ab", false},
		{"a?c", "abc", true},
		{"a?c", "a.c", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // one character, not one byte
		{"*.get", "weather.get", true},
		{"*.get", "weather.get.x", false},
		{"*.get", "a.get.get", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a**b", "ab", true},
		{"*?", "", false},
		{"*?", "x", true},
		{"[ab]", "a", false}, // no character classes
		{"[ab]", "[ab]", true},
		{`a\*`, `a\xyz`, true},
		{"weather.*.eu", "weather.paris.eu", true},
		{"weather.*.eu", "weather.eu", false},
	}
	for _, c := range cases {
		if got := Match(c.glob, c.id); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.glob, c.id, got, c.want)
		}
	}
}

func mustKernel(t *testing.T, p Policy) *Kernel {
	t.Helper()
	k, err := NewKernel(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func str(s string) value.Value { return value.String(s) }

func TestDecide(t *testing.T) {
	type call struct {
		cap    string
		args   []value.Value
		effect Effect
		rule   int
		reason string
	}
	cases := []struct {
		name  string
		p     Policy
		calls []call
	}{
		{"first matching rule decides, in order", Policy{Rules: []Rule{
			{Capability: "files.read", Effect: Allow},
			{Capability: "files.*", Effect: Deny},
			{Capability: "*", Effect: Allow},
		}}, []call{
			{"files.read", nil, Allow, 0, "allowed by policy rule 1"},
			{"files.write", nil, Deny, 1, `denied by policy rule 2 (:capability "files.*")`},
			{"net.get", nil, Allow, 2, ""},
		}},
		{"default deny and default allow", Policy{Rules: []Rule{{Capability: "a", Effect: Allow}}}, []call{
			{"b", nil, Deny, -1, "no rule allows it (the default is :deny)"},
			{"a", nil, Allow, 0, ""},
		}},
		{"default allow", Policy{Default: Allow, Rules: []Rule{{Capability: "x.*", Effect: Deny}}}, []call{
			{"b", nil, Allow, -1, "allowed by the default"},
			{"x.y", nil, Deny, 0, ""},
		}},
		{"require approval", Policy{Rules: []Rule{{Capability: "files.append", Effect: RequireApproval}}}, []call{
			{"files.append", nil, RequireApproval, 0, "needs approval by policy rule 1"},
			{"files.append2", nil, Deny, -1, ""},
		}},
		{"when true, false, and over capability and run", Policy{Rules: []Rule{
			{Capability: "weather.get", Effect: Allow, When: "args[0] != 'Mordor'"},
			{Capability: "weather.*", Effect: Allow, When: "capability.endsWith('.eu') && run.id == 'r1'"},
			{Capability: "weather.*", Effect: RequireApproval},
		}}, []call{
			{"weather.get", []value.Value{str("Paris")}, Allow, 0, ""},
			{"weather.get", []value.Value{str("Mordor")}, RequireApproval, 2, ""}, // false: next rule
			{"weather.fr.eu", nil, Allow, 1, ""},
			{"weather.fr.us", nil, RequireApproval, 2, ""},
		}},
		{"when that fails to evaluate denies", Policy{Default: Allow, Rules: []Rule{
			{Capability: "weather.get", Effect: Allow, When: "args[0] != 'Mordor'"},
			{Capability: "*", Effect: Allow},
		}}, []call{
			{"weather.get", nil, Deny, 0, ":when of policy rule 1 (:capability \"weather.get\") failed: "},
			{"weather.get", []value.Value{&value.Builtin{Name: "f"}}, Deny, 0, "cannot see the arguments"},
		}},
		{"when over JSON args: numbers, maps, keywords, nil", Policy{Rules: []Rule{
			{Capability: "n", Effect: Allow, When: "args[0] == 3 && args[1] == 2.5 && args[0] + 1 == 4"},
			{Capability: "m", Effect: Allow, When: "args[0].city == 'Paris' && args[0].tags[1] == 'b' && args[1] == null && args[2] == 'kw'"},
			{Capability: "s", Effect: Allow, When: "size(args) == 0"},
		}}, []call{
			{"n", []value.Value{value.Int(3), value.Float(2.5)}, Allow, 0, ""},
			{"n", []value.Value{value.Int(4), value.Float(2.5)}, Deny, -1, ""},
			{"m", []value.Value{
				value.EmptyMap.Assoc(value.Keyword("city"), str("Paris")).Assoc(value.Keyword("tags"), value.NewVector([]value.Value{str("a"), str("b")})),
				value.Nil, value.Keyword("kw")}, Allow, 1, ""},
			{"s", nil, Allow, 2, ""},
		}},
		{"max-calls counts only allowed calls", Policy{Rules: []Rule{
			{Capability: "weather.get", Effect: Allow, When: "args[0] != 'Mordor'", MaxCalls: 2},
		}}, []call{
			{"weather.get", []value.Value{str("Mordor")}, Deny, -1, ""}, // not counted
			{"weather.get", []value.Value{str("a")}, Allow, 0, ""},
			{"weather.get", []value.Value{str("Mordor")}, Deny, -1, ""},
			{"weather.get", []value.Value{str("b")}, Allow, 0, ""},
			{"weather.get", []value.Value{str("c")}, Deny, 0, "allows at most 2 calls in a run"},
			{"weather.get", []value.Value{str("d")}, Deny, 0, ""},
		}},
		{"max-calls is per rule; an exhausted rule denies, it does not fall through", Policy{Rules: []Rule{
			{Capability: "a.*", Effect: Allow, MaxCalls: 1},
			{Capability: "b", Effect: RequireApproval, MaxCalls: 1},
			{Capability: "*", Effect: Allow},
		}}, []call{
			{"a.x", nil, Allow, 0, ""},
			{"a.y", nil, Deny, 0, "at most 1 calls"},
			{"b", nil, RequireApproval, 1, ""},
			{"b", nil, Deny, 1, ""},
			{"c", nil, Allow, 2, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := mustKernel(t, c.p)
			run := NewRunState("r1")
			for i, cl := range c.calls {
				d := k.Decide(run, cl.cap, cl.args)
				if d.Effect != cl.effect || d.Rule != cl.rule || !strings.Contains(d.Reason, cl.reason) {
					t.Errorf("call %d %s: got %v rule %d %q; want %v rule %d %q", i, cl.cap, d.Effect, d.Rule, d.Reason, cl.effect, cl.rule, cl.reason)
				}
			}
		})
	}
}

func TestMaxCallsPerRun(t *testing.T) {
	k := mustKernel(t, Policy{Rules: []Rule{{Capability: "a", Effect: Allow, MaxCalls: 2}}})
	r1, r2 := NewRunState("r1"), NewRunState("r2")
	for i := 0; i < 2; i++ {
		if d := k.Decide(r1, "a", nil); d.Effect != Allow {
			t.Fatalf("r1 call %d: %+v", i, d)
		}
	}
	if d := k.Decide(r1, "a", nil); d.Effect != Deny {
		t.Fatalf("r1 third call: %+v", d)
	}
	if d := k.Decide(r2, "a", nil); d.Effect != Allow {
		t.Fatalf("r2 first call: %+v", d)
	}
	if d := k.Decide(nil, "a", nil); d.Effect != Deny || !strings.Contains(d.Reason, "has no run") {
		t.Fatalf("no run: %+v", d)
	}
	// A resumed run keeps its counts.
	r3 := NewRunStateFrom("r1", r1.Counts())
	if d := k.Decide(r3, "a", nil); d.Effect != Deny {
		t.Fatalf("resumed r1: %+v", d)
	}
	if got := r2.Counts(); !reflect.DeepEqual(got, map[int]int{0: 1}) {
		t.Errorf("counts %v", got)
	}
	// Concurrent calls (a parallel batch) never let through more than N.
	k = mustKernel(t, Policy{Rules: []Rule{{Capability: "a", Effect: Allow, MaxCalls: 10}}})
	run := NewRunState("p")
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k.Decide(run, "a", nil).Effect == Allow {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("%d calls allowed, want 10", allowed)
	}
}

func TestRefusesBeforeRun(t *testing.T) {
	p := Policy{Rules: []Rule{
		{Capability: "files.read", Effect: Allow},
		{Capability: "net.get", Effect: Deny, When: "args[0] == 'evil'"},
		{Capability: "files.*", Effect: Deny},
		{Capability: "shell.*", Effect: RequireApproval},
		{Capability: "shell.*", Effect: Deny}, // shadowed
		{Capability: "w.*", Effect: Allow, When: "size(args) > 0"},
		{Capability: "w.*", Effect: Deny},
		{Capability: "net.*", Effect: Deny},
	}}
	k := mustKernel(t, p)
	cases := []struct {
		caps    []string
		refused string
		rule    string
	}{
		{nil, "", ""},
		{[]string{"files.read"}, "", ""}, // an earlier allow shadows the deny
		{[]string{"files.read", "files.rm"}, "files.rm", "policy rule 3"},
		{[]string{"files.rm", "net.put"}, "files.rm", "policy rule 3"}, // the first, in order
		{[]string{"net.put"}, "net.put", "policy rule 8"},              // explicit deny
		{[]string{"net.get"}, "", ""},                                  // a deny with a :when: not decidable
		{[]string{"shell.ls"}, "", ""},                                 // require-approval first
		{[]string{"w.x"}, "", ""},                                      // an allow with a :when: could be allowed
		{[]string{"other"}, "", ""},                                    // default deny is not a refusal
	}
	for _, c := range cases {
		got, reason, refused := k.RefusesBeforeRun(c.caps)
		if refused != (c.refused != "") || got != c.refused || !strings.Contains(reason, c.rule) {
			t.Errorf("%v: got %q %q %v, want %q %q", c.caps, got, reason, refused, c.refused, c.rule)
		}
	}
	if _, _, refused := mustKernel(t, Policy{}).RefusesBeforeRun([]string{"a"}); refused {
		t.Error("an empty policy refused")
	}
}

func TestReasonNamesConfigPosition(t *testing.T) {
	cfg, err := ParseConfig("cfg.rtfs", []byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	k := mustKernel(t, cfg.Policy)
	run := NewRunState("r")
	if d := k.Decide(run, "weather.get", []value.Value{str("Mordor")}); d.Effect != Deny || d.Rule != -1 {
		t.Errorf("%+v", d)
	}
	for i := 0; i < 10; i++ {
		if d := k.Decide(run, "weather.get", []value.Value{str("Paris")}); d.Effect != Allow {
			t.Fatalf("call %d: %+v", i, d)
		}
	}
	d := k.Decide(run, "weather.get", []value.Value{str("Paris")})
	if d.Effect != Deny || d.Reason != `policy rule 3 (:capability "weather.get") at cfg.rtfs:11:11 allows at most 10 calls in a run` {
		t.Errorf("%+v", d)
	}
	if d := k.Decide(run, "files.append", nil); d.Effect != RequireApproval || d.Rule != 1 {
		t.Errorf("%+v", d)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add(contractExample)
	f.Add(`{}`)
	f.Add(`{:policy {:default :allow :rules [{:capability "a?*" :effect :deny :when "capability == 'a'"}]}}`)
	f.Add(`{:capabilities [{:id "x" :provider :exec :command ["ls"]}]}`)
	f.Add(`{:policy {:rules [{:capability "*" :effect :allow :when "args[0].x > 1" :max-calls 1}]}}`)
	f.Add(`{:policy {:budgets {:fuel 0}}}`)
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := ParseConfig("fuzz", []byte(src))
		if err != nil {
			var se *syntax.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, not a *syntax.Error", err, err)
			}
			return
		}
		k, err := NewKernel(cfg.Policy)
		if err != nil {
			return
		}
		run := NewRunState("fuzz")
		args := []value.Value{value.Int(1), str("x"), value.EmptyMap.Assoc(value.Keyword("x"), value.Int(2))}
		for _, c := range []string{"a", "ccos.echo", "x.y.z", ""} {
			k.Decide(run, c, args)
			k.Decide(run, c, nil)
		}
		for _, c := range cfg.Capabilities {
			k.Decide(run, c.ID, args)
		}
		k.RefusesBeforeRun([]string{"a", "ccos.echo"})
	})
}
