package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Kernel decides host calls under a Policy. Its :when expressions are compiled once, by
// NewKernel; a Kernel is immutable and safe for concurrent use. The per-run state it
// needs (the :max-calls counters) lives in a RunState the caller owns.
type Kernel struct {
	policy Policy
	rules  []compiledRule
}

type compiledRule struct {
	Rule
	when cel.Program // nil when the rule has no :when
	// name is the rule in messages, allowed the reason of its allow decisions: made
	// once, since a decision is made for every host call.
	name, allowed string
}

// celCostLimit bounds the work of one :when evaluation (the arguments come from the
// plan, which is not trusted).
const celCostLimit = 10_000_000

// NewKernel compiles p. A :when that does not compile, or whose type cannot be a
// boolean, is an error (a *syntax.Error when the rule came from a config file).
func NewKernel(p Policy) (*Kernel, error) {
	env, err := cel.NewEnv(
		cel.Variable("capability", cel.StringType),
		cel.Variable("args", cel.ListType(cel.DynType)),
		cel.Variable("run", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		return nil, fmt.Errorf("policy: CEL environment: %w", err)
	}
	k := &Kernel{policy: p, rules: make([]compiledRule, len(p.Rules))}
	k.policy.Rules = append([]Rule(nil), p.Rules...)
	for i, r := range p.Rules {
		k.rules[i].Rule = r
		k.rules[i].name = fmt.Sprintf("policy rule %d (:capability %q)", i+1, r.Capability)
		if r.Pos.Line != 0 {
			k.rules[i].name += " at " + r.Pos.String()
		}
		k.rules[i].allowed = "allowed by " + k.rules[i].name
		if r.Capability == "" {
			return nil, ruleError(r, i, "has an empty :capability")
		}
		if r.MaxCalls < 0 {
			return nil, ruleError(r, i, "has a negative :max-calls")
		}
		if r.When == "" {
			continue
		}
		ast, iss := env.Compile(r.When)
		if iss != nil && iss.Err() != nil {
			return nil, whenError(r, i, "does not compile: "+celIssues(iss))
		}
		if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsDyn() {
			return nil, whenError(r, i, fmt.Sprintf("must be a boolean, its type is %s", t))
		}
		prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
		if err != nil {
			return nil, whenError(r, i, "does not compile: "+err.Error())
		}
		k.rules[i].when = prg
	}
	return k, nil
}

// celIssues is a compile failure on one line: each error with its column in the
// expression.
func celIssues(iss *cel.Issues) string {
	var parts []string
	for _, e := range iss.Errors() {
		msg := e.Message
		if l := e.Location; l != nil && l.Line() > 0 {
			msg = fmt.Sprintf("%s (at %d:%d of the expression)", msg, l.Line(), l.Column()+1)
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		return iss.Err().Error()
	}
	return strings.Join(parts, "; ")
}

func ruleError(r Rule, i int, msg string) error {
	if r.Pos.File != "" || r.Pos.Line != 0 {
		return &syntax.Error{Pos: r.Pos, Msg: fmt.Sprintf("rule %d %s", i+1, msg)}
	}
	return fmt.Errorf("policy: rule %d %s", i+1, msg)
}

func whenError(r Rule, i int, msg string) error {
	msg = fmt.Sprintf(":when of rule %d %s", i+1, msg)
	if r.WhenPos.File != "" || r.WhenPos.Line != 0 {
		return &syntax.Error{Pos: r.WhenPos, Msg: msg}
	}
	return fmt.Errorf("policy: %s", msg)
}

// Policy is the policy the kernel enforces.
func (k *Kernel) Policy() Policy { return k.policy }

// RunState is what the kernel remembers of one run: how many calls each :max-calls rule
// has let through. The caller owns it (one per run) and may persist Counts to resume
// the run later with NewRunStateFrom. It is safe for concurrent use.
type RunState struct {
	ID    string
	mu    sync.Mutex
	calls map[int]int // rule index -> calls it let through
}

// NewRunState is the state of a run that has made no call yet.
func NewRunState(id string) *RunState { return &RunState{ID: id, calls: map[int]int{}} }

// NewRunStateFrom is the state of a resumed run, with the counts that Counts returned.
func NewRunStateFrom(id string, counts map[int]int) *RunState {
	r := NewRunState(id)
	for k, v := range counts {
		r.calls[k] = v
	}
	return r
}

// Counts is a copy of the counters: rule index -> calls that rule let through.
func (r *RunState) Counts() map[int]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int]int, len(r.calls))
	for k, v := range r.calls {
		out[k] = v
	}
	return out
}

// Decision is the kernel's answer for one call.
type Decision struct {
	Effect Effect
	Rule   int    // index of the deciding rule in Policy.Rules; -1 for the default
	Reason string // why, for messages: "<capability>: <reason>"
}

// Decide decides one call of capability with args in run. Rules are tried in order;
// the first rule whose glob matches the whole id and whose :when holds decides; a :when
// that is false does not match; a :when that fails to evaluate denies, with the failure
// as the reason. No rule matches: the default. A rule with :max-calls N lets through the
// first N calls it decides in the run and denies the further ones; denied calls do not
// count. For a :require-approval rule, a call counts when the kernel asks for the
// approval (the kernel does not learn the human's answer). run may be nil only for a
// call outside any run: a :max-calls rule then denies.
func (k *Kernel) Decide(run *RunState, capability string, args []value.Value) Decision {
	var act map[string]any // built at the first :when
	for i := range k.rules {
		r := &k.rules[i]
		if !Match(r.Capability, capability) {
			continue
		}
		if r.when != nil {
			if act == nil {
				jargs, err := jsonArgs(args)
				if err != nil {
					return Decision{Deny, i, fmt.Sprintf(":when of %s cannot see the arguments: %v", k.ruleName(i), err)}
				}
				id := ""
				if run != nil {
					id = run.ID
				}
				act = map[string]any{
					"capability": capability,
					"args":       jargs,
					"run":        map[string]any{"id": id},
				}
			}
			out, _, err := r.when.Eval(act)
			if err != nil {
				return Decision{Deny, i, fmt.Sprintf(":when of %s failed: %v", k.ruleName(i), err)}
			}
			b, ok := out.Value().(bool)
			if !ok {
				return Decision{Deny, i, fmt.Sprintf(":when of %s failed: it is %s, not a boolean", k.ruleName(i), out.Type().TypeName())}
			}
			if !b {
				continue
			}
		}
		switch r.Effect {
		case Deny:
			return Decision{Deny, i, "denied by " + k.ruleName(i)}
		case RequireApproval, Allow:
			if r.MaxCalls > 0 && run == nil {
				// No counters to keep: never fail open.
				return Decision{Deny, i, fmt.Sprintf("%s limits calls per run, and the call has no run", k.ruleName(i))}
			}
			if r.MaxCalls > 0 {
				run.mu.Lock()
				n := run.calls[i]
				if n >= r.MaxCalls {
					run.mu.Unlock()
					return Decision{Deny, i, fmt.Sprintf("%s allows at most %d calls in a run", k.ruleName(i), r.MaxCalls)}
				}
				if run.calls == nil {
					run.calls = map[int]int{}
				}
				run.calls[i] = n + 1
				run.mu.Unlock()
			}
			if r.Effect == Allow {
				return Decision{Allow, i, r.allowed}
			}
			return Decision{RequireApproval, i, "needs approval by " + k.ruleName(i)}
		}
		return Decision{Deny, i, fmt.Sprintf("%s has an unknown effect %v", k.ruleName(i), r.Effect)}
	}
	if k.policy.Default == Allow {
		return Decision{Allow, -1, "allowed by the default"}
	}
	return Decision{Deny, -1, "no rule allows it (the default is :deny)"}
}

// ruleName names rule i for messages: its number from 1, its glob and its position.
func (k *Kernel) ruleName(i int) string { return k.rules[i].name }

// RefusesBeforeRun says whether a plan that calls these literal capability ids is
// refused as a whole before it runs: it is when, for one of them, the decision is
// certainly an explicit :deny rule, whatever the arguments: the first rule whose glob
// matches the id has no :when and the effect :deny. A matching rule with a :when cannot
// be decided before the run (its outcome depends on the arguments), so it stops the
// search and the id is not refused, whatever the rules after it say; so is an id that
// falls through to the default (even :deny: that is a call-time denial, catchable).
// The first refused id, in the order given, is returned with the reason.
func (k *Kernel) RefusesBeforeRun(capabilities []string) (capability string, reason string, refused bool) {
	for _, c := range capabilities {
		for i := range k.rules {
			r := &k.rules[i]
			if !Match(r.Capability, c) {
				continue
			}
			if r.When == "" && r.Effect == Deny {
				return c, "refused before the run: denied by " + k.ruleName(i), true
			}
			break
		}
	}
	return "", "", false
}

// Match says whether the glob matches the whole id: * matches any characters, dots
// included (none too), ? exactly one character; every other character matches itself.
func Match(glob, id string) bool {
	// Most rules name a capability or a prefix of ids ("ccos.io.*"), and every host call
	// tests them: those need no walk over the characters.
	switch i := strings.IndexAny(glob, "*?"); {
	case i < 0:
		return glob == id
	case i == len(glob)-1 && glob[i] == '*':
		return strings.HasPrefix(id, glob[:i])
	}
	// The classic linear wildcard match: on a mismatch, go back to the last * and let
	// it take one more character.
	g, s := 0, 0
	starG, starS := -1, 0
	for s < len(id) {
		if g < len(glob) {
			gc, gw := utf8.DecodeRuneInString(glob[g:])
			_, sw := utf8.DecodeRuneInString(id[s:])
			switch {
			case gc == '*':
				starG, starS = g, s
				g += gw
				continue
			case gc == '?':
				g, s = g+gw, s+sw
				continue
			case glob[g:g+gw] == id[s:s+sw]:
				g, s = g+gw, s+sw
				continue
			}
		}
		if starG < 0 {
			return false
		}
		_, sw := utf8.DecodeRuneInString(id[starS:])
		starS += sw
		g, s = starG+1, starS
	}
	for g < len(glob) && glob[g] == '*' {
		g++
	}
	return g == len(glob)
}

// jsonArgs is the arguments in their JSON form (rtfs-language.md §8), as CEL values:
// integers as int64, other numbers as float64, arrays as []any, objects as
// map[string]any.
func jsonArgs(args []value.Value) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		s, err := value.ToJSON(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %v", i+1, err)
		}
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			return nil, fmt.Errorf("argument %d: %v", i+1, err)
		}
		out[i] = fromNumbers(x)
	}
	return out, nil
}

func fromNumbers(x any) any {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !bytes.ContainsAny([]byte(x), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i, e := range x {
			x[i] = fromNumbers(e)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = fromNumbers(e)
		}
		return x
	}
	return x
}
