// Package policy is the governance kernel's rules: the config file (capabilities and
// policy, cli-contract.md "The config file") and the kernel that decides, call by call,
// whether a capability may run.
//
// The config reader is strict: an unknown key, a value of the wrong type or a missing
// required key is an error positioned at the offending form, because a typo in a policy
// must never silently allow something.
package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

// Config is a parsed config file.
type Config struct {
	Capabilities []CapabilitySpec
	Policy       Policy
}

// Provider says how a capability is carried out.
type Provider = value.Keyword

const (
	ProviderExec  Provider = "exec"
	ProviderHTTP  Provider = "http"
	ProviderRTFS  Provider = "rtfs"
	ProviderHuman Provider = "human"
	ProviderMCP   Provider = "mcp"
)

// CapabilitySpec is one entry of :capabilities. Only the fields of its provider are
// set: Command for :exec and :mcp, URL for :http, Source for :rtfs, Tool for :mcp.
// TimeoutMs is 0 when not given (the caller's default applies).
type CapabilitySpec struct {
	ID        string
	Provider  Provider
	Command   []string
	URL       string
	Source    string
	Tool      string
	TimeoutMs int64
	// Input and Output are RTFS type expressions checked at the boundary: Input against
	// the vector of arguments, Output against the result; nil checks nothing.
	Input, Output value.Value
	Pos           syntax.Pos // of the capability's map
}

// Effect is what a rule, or the default, decides.
type Effect uint8

const (
	Deny Effect = iota // the zero Effect: a forgotten field denies
	Allow
	RequireApproval
)

// Keyword is the effect as the config file and the causal chain write it.
func (e Effect) Keyword() value.Keyword { return value.Keyword(strings.TrimPrefix(e.String(), ":")) }

func (e Effect) String() string {
	switch e {
	case Allow:
		return ":allow"
	case Deny:
		return ":deny"
	case RequireApproval:
		return ":require-approval"
	}
	return fmt.Sprintf("Effect(%d)", uint8(e))
}

// Rule is one entry of :rules.
type Rule struct {
	Capability string // a glob: * any characters (dots included), ? exactly one
	Effect     Effect
	When       string // a CEL expression, "" when absent
	MaxCalls   int    // 0: no limit
	Pos        syntax.Pos
	WhenPos    syntax.Pos // of the :when string, to position compile errors
}

// Budgets cap a run. A zero field was not given: the caller's default applies.
type Budgets struct {
	HostCalls int64
	Fuel      int64
	WallMs    int64
}

// Checkpoints sets how often snapshots are taken and their largest size. A zero field
// was not given.
type Checkpoints struct {
	EveryCalls       int
	MaxSnapshotBytes int64
}

// Policy is the :policy map.
type Policy struct {
	Default     Effect // :allow or :deny
	Rules       []Rule
	Budgets     Budgets
	Checkpoints Checkpoints
	Resume      Effect // Allow or RequireApproval
}

// DefaultPolicy is the policy of a run with no config, or a config with no :policy:
// ccos.* is allowed, everything else denied.
func DefaultPolicy() Policy {
	return Policy{
		Default: Deny,
		Rules:   []Rule{{Capability: "ccos.*", Effect: Allow}},
		Resume:  Allow,
	}
}

// ParseConfig reads a config file. file names the source in positions; every error is a
// *syntax.Error.
func ParseConfig(file string, src []byte) (*Config, error) {
	n, err := syntax.ReadOne(file, string(src))
	if err != nil {
		return nil, err
	}
	fs, err := fields(n, "the config", []string{"capabilities", "policy"})
	if err != nil {
		return nil, err
	}
	cfg := &Config{Policy: DefaultPolicy()}
	if e, ok := fs["capabilities"]; ok {
		if cfg.Capabilities, err = parseCapabilities(e); err != nil {
			return nil, err
		}
	}
	if e, ok := fs["policy"]; ok {
		if cfg.Policy, err = parsePolicy(e); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// entry is one key of a map form.
type entry struct {
	key      string // without the colon
	keyNode  syntax.Node
	val      syntax.Node
	within   string // what the map is, for messages
	mapNode  syntax.Node
	optional bool
}

func errAt(n syntax.Node, format string, args ...any) error {
	return &syntax.Error{Pos: n.Position(), Msg: fmt.Sprintf(format, args...)}
}

func describe(n syntax.Node) string { return value.Describe(syntax.Datum(n)) }

func keywords(ks []string) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = ":" + k
	}
	return strings.Join(out, ", ")
}

// fields checks that n is a map whose keys are keywords among allowed.
func fields(n syntax.Node, what string, allowed []string) (map[string]entry, error) {
	m, ok := n.(*syntax.Map)
	if !ok {
		return nil, errAt(n, "%s must be a map, got %s", what, describe(n))
	}
	out := make(map[string]entry, len(m.Elems)/2)
	for i := 0; i+1 < len(m.Elems); i += 2 {
		k := m.Elems[i]
		a, ok := k.(*syntax.Atom)
		var kw value.Keyword
		if ok {
			kw, ok = a.Value.(value.Keyword)
		}
		if !ok {
			return nil, errAt(k, "a key of %s must be a keyword, got %s", what, describe(k))
		}
		name := string(kw)
		known := false
		for _, s := range allowed {
			if s == name {
				known = true
				break
			}
		}
		if !known {
			return nil, errAt(k, "unknown key :%s in %s (expected %s)", name, what, keywords(allowed))
		}
		if _, dup := out[name]; dup {
			return nil, errAt(k, "duplicate key :%s in %s", name, what)
		}
		out[name] = entry{key: name, keyNode: k, val: m.Elems[i+1], within: what, mapNode: n}
	}
	return out, nil
}

func require(fs map[string]entry, n syntax.Node, what, key string) (entry, error) {
	e, ok := fs[key]
	if !ok {
		return e, errAt(n, "%s has no :%s", what, key)
	}
	return e, nil
}

func (e entry) str() (string, error) {
	if a, ok := e.val.(*syntax.Atom); ok {
		if s, ok := a.Value.(value.String); ok {
			return string(s), nil
		}
	}
	return "", errAt(e.val, ":%s in %s must be a string, got %s", e.key, e.within, describe(e.val))
}

func (e entry) nonEmptyStr() (string, error) {
	s, err := e.str()
	if err == nil && s == "" {
		err = errAt(e.val, ":%s in %s must not be empty", e.key, e.within)
	}
	return s, err
}

// integer reads a positive integer no larger than max.
func (e entry) integer(max int64) (int64, error) {
	if a, ok := e.val.(*syntax.Atom); ok {
		if i, ok := a.Value.(value.Int); ok {
			if i < 1 || int64(i) > max {
				return 0, errAt(e.val, ":%s in %s must be between 1 and %d, got %d", e.key, e.within, max, int64(i))
			}
			return int64(i), nil
		}
	}
	return 0, errAt(e.val, ":%s in %s must be a positive integer, got %s", e.key, e.within, describe(e.val))
}

// keyword reads one of the keywords allowed.
func (e entry) keyword(allowed ...string) (string, error) {
	if a, ok := e.val.(*syntax.Atom); ok {
		if k, ok := a.Value.(value.Keyword); ok {
			for _, s := range allowed {
				if string(k) == s {
					return s, nil
				}
			}
		}
	}
	return "", errAt(e.val, ":%s in %s must be one of %s, got %s", e.key, e.within, keywords(allowed), describe(e.val))
}

// typeExpr reads an RTFS type expression (rtfs-language.md §5), such as [:vector :int].
func (e entry) typeExpr() (value.Value, error) {
	t := syntax.Datum(e.val)
	if err := types.Validate(t); err != nil {
		return nil, errAt(e.val, ":%s in %s is not a type: %v", e.key, e.within, err)
	}
	return t, nil
}

func (e entry) strings() ([]string, error) {
	v, ok := e.val.(*syntax.Vector)
	if !ok {
		return nil, errAt(e.val, ":%s in %s must be a vector of strings, got %s", e.key, e.within, describe(e.val))
	}
	if len(v.Elems) == 0 {
		return nil, errAt(e.val, ":%s in %s must not be empty", e.key, e.within)
	}
	out := make([]string, len(v.Elems))
	for i, x := range v.Elems {
		a, ok := x.(*syntax.Atom)
		var s value.String
		if ok {
			s, ok = a.Value.(value.String)
		}
		if !ok {
			return nil, errAt(x, ":%s in %s must be a vector of strings, got %s", e.key, e.within, describe(x))
		}
		out[i] = string(s)
	}
	if out[0] == "" {
		return nil, errAt(v.Elems[0], ":%s in %s: the command must not be empty", e.key, e.within)
	}
	return out, nil
}

const maxInt = int64(^uint(0) >> 1)

// providerKeys lists the keys each provider takes, besides :id and :provider, and
// which of them are required.
var providerKeys = map[string]struct{ required, optional []string }{
	"exec":  {[]string{"command"}, []string{"timeout-ms"}},
	"http":  {[]string{"url"}, []string{"timeout-ms"}},
	"rtfs":  {[]string{"source"}, []string{"timeout-ms"}},
	"human": {nil, nil},
	"mcp":   {[]string{"command", "tool"}, []string{"timeout-ms"}},
}

var providerNames = []string{"exec", "http", "rtfs", "human", "mcp"}

func parseCapabilities(e entry) ([]CapabilitySpec, error) {
	v, ok := e.val.(*syntax.Vector)
	if !ok {
		return nil, errAt(e.val, ":capabilities must be a vector of maps, got %s", describe(e.val))
	}
	var out []CapabilitySpec
	seen := map[string]syntax.Pos{}
	all := []string{"id", "provider", "command", "url", "source", "tool", "timeout-ms", "input", "output"}
	for i, n := range v.Elems {
		what := fmt.Sprintf("capability %d", i+1)
		fs, err := fields(n, what, all)
		if err != nil {
			return nil, err
		}
		idE, err := require(fs, n, what, "id")
		if err != nil {
			return nil, err
		}
		spec := CapabilitySpec{Pos: n.Position()}
		if spec.ID, err = idE.nonEmptyStr(); err != nil {
			return nil, err
		}
		what = fmt.Sprintf("capability %q", spec.ID)
		if p, dup := seen[spec.ID]; dup {
			return nil, errAt(idE.val, "duplicate capability %q (first defined at %s)", spec.ID, p)
		}
		seen[spec.ID] = idE.val.Position()
		pE, err := require(fs, n, what, "provider")
		if err != nil {
			return nil, err
		}
		pE.within = what
		prov, err := pE.keyword(providerNames...)
		if err != nil {
			return nil, err
		}
		spec.Provider = Provider(prov)
		keys := providerKeys[prov]
		for _, k := range keys.required {
			if _, err := require(fs, n, what, k); err != nil {
				return nil, errAt(n, "%s (provider :%s) has no :%s", what, prov, k)
			}
		}
		for _, k := range sortedKeys(fs) {
			f := fs[k]
			f.within = what
			fs[k] = f
			if k == "id" || k == "provider" || k == "input" || k == "output" {
				continue // every provider takes them
			}
			if !contains(keys.required, k) && !contains(keys.optional, k) {
				return nil, errAt(f.keyNode, "%s: provider :%s takes no :%s (it takes %s)", what, prov, k, keywords(append(append([]string{}, keys.required...), keys.optional...)))
			}
		}
		// Read the fields in a fixed order, so that the first error is the same each time.
		for _, k := range sortedKeys(fs) {
			f := fs[k]
			switch k {
			case "command":
				spec.Command, err = f.strings()
			case "url":
				spec.URL, err = f.nonEmptyStr()
			case "source":
				spec.Source, err = f.nonEmptyStr()
			case "tool":
				spec.Tool, err = f.nonEmptyStr()
			case "timeout-ms":
				spec.TimeoutMs, err = f.integer(maxInt)
			case "input":
				spec.Input, err = f.typeExpr()
			case "output":
				spec.Output, err = f.typeExpr()
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// sortedKeys orders a map's entries by their position in the source.
func sortedKeys(fs map[string]entry) []string {
	ks := make([]string, 0, len(fs))
	for k := range fs {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := fs[ks[i]].keyNode.Position(), fs[ks[j]].keyNode.Position()
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return ks
}

func parsePolicy(e entry) (Policy, error) {
	p := Policy{Default: Deny, Resume: Allow}
	fs, err := fields(e.val, ":policy", []string{"default", "rules", "budgets", "checkpoints", "resume"})
	if err != nil {
		return p, err
	}
	for _, k := range sortedKeys(fs) {
		f := fs[k]
		switch k {
		case "default":
			var s string
			if s, err = f.keyword("allow", "deny"); err == nil {
				p.Default = effectOf(s)
			}
		case "resume":
			var s string
			if s, err = f.keyword("allow", "require-approval"); err == nil {
				p.Resume = effectOf(s)
			}
		case "rules":
			p.Rules, err = parseRules(f)
		case "budgets":
			var bs map[string]entry
			if bs, err = fields(f.val, ":budgets", []string{"host-calls", "fuel", "wall-ms"}); err != nil {
				break
			}
			for _, k := range sortedKeys(bs) {
				b := bs[k]
				switch k {
				case "host-calls":
					p.Budgets.HostCalls, err = b.integer(maxInt)
				case "fuel":
					p.Budgets.Fuel, err = b.integer(maxInt)
				case "wall-ms":
					p.Budgets.WallMs, err = b.integer(maxInt)
				}
				if err != nil {
					break
				}
			}
		case "checkpoints":
			var cs map[string]entry
			if cs, err = fields(f.val, ":checkpoints", []string{"every-calls", "max-snapshot-bytes"}); err != nil {
				break
			}
			for _, k := range sortedKeys(cs) {
				c := cs[k]
				switch k {
				case "every-calls":
					var n int64
					n, err = c.integer(int64(^uint32(0) >> 1))
					p.Checkpoints.EveryCalls = int(n)
				case "max-snapshot-bytes":
					p.Checkpoints.MaxSnapshotBytes, err = c.integer(maxInt)
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func effectOf(s string) Effect {
	switch s {
	case "allow":
		return Allow
	case "require-approval":
		return RequireApproval
	}
	return Deny
}

func parseRules(e entry) ([]Rule, error) {
	v, ok := e.val.(*syntax.Vector)
	if !ok {
		return nil, errAt(e.val, ":rules must be a vector of maps, got %s", describe(e.val))
	}
	rules := make([]Rule, 0, len(v.Elems))
	for i, n := range v.Elems {
		what := fmt.Sprintf("rule %d", i+1)
		fs, err := fields(n, what, []string{"capability", "effect", "when", "max-calls"})
		if err != nil {
			return nil, err
		}
		r := Rule{Pos: n.Position()}
		c, err := require(fs, n, what, "capability")
		if err != nil {
			return nil, err
		}
		if r.Capability, err = c.nonEmptyStr(); err != nil {
			return nil, err
		}
		ef, err := require(fs, n, what, "effect")
		if err != nil {
			return nil, err
		}
		s, err := ef.keyword("allow", "deny", "require-approval")
		if err != nil {
			return nil, err
		}
		r.Effect = effectOf(s)
		if w, ok := fs["when"]; ok {
			if r.When, err = w.str(); err != nil {
				return nil, err
			}
			if strings.TrimSpace(r.When) == "" {
				return nil, errAt(w.val, ":when in %s must not be empty", what)
			}
			r.WhenPos = w.val.Position()
		}
		if m, ok := fs["max-calls"]; ok {
			if r.Effect == Deny {
				return nil, errAt(m.keyNode, ":max-calls in %s: a :deny rule allows no calls to count", what)
			}
			n, err := m.integer(int64(^uint32(0) >> 1))
			if err != nil {
				return nil, err
			}
			r.MaxCalls = int(n)
		}
		rules = append(rules, r)
	}
	return rules, nil
}
