package resolve_test

import (
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
)

func load(src string) (*resolveResult, error) {
	forms, err := syntax.Read("p.rtfs", src)
	if err != nil {
		return nil, err
	}
	prog, err := resolve.Program("p.rtfs", forms, stdlib.Lookup)
	if err != nil {
		return nil, err
	}
	r := &resolveResult{caps: prog.Capabilities}
	for _, in := range prog.Inputs {
		r.inputs = append(r.inputs, in.Name+"@"+in.Pos.String())
	}
	return r, nil
}

type resolveResult struct{ inputs, caps []string }

func TestManifest(t *testing.T) {
	r, err := load("(defn f [x] (g x intent))\n(defn g [a b] (call :ccos.echo a) (call \"files.read\" b))\n(call (keyword \"dyn\") budget)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.inputs, " "); got != "intent@p.rtfs:1:18 budget@p.rtfs:3:23" {
		t.Errorf("inputs %s", got)
	}
	if got := strings.Join(r.caps, " "); got != "ccos.echo files.read" {
		t.Errorf("capabilities %s", got)
	}
}

func TestStaticErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"(fn [x] (+ 1 (recur x)))", "p.rtfs:1:14: recur must be in tail position"},
		{"(loop [a 1] (recur 1 2))", "p.rtfs:1:13: recur needs 1 argument(s) here, got 2"},
		{"(recur 1)", "p.rtfs:1:1: recur outside of a loop or function"},
		{"(try (loop [] (recur)) (finally 1))", ""},
		{"(loop [] (try (recur)))", "p.rtfs:1:15: recur must be in tail position"},
		{"(parallel (call :a) (+ 1 2))", "p.rtfs:1:21: every argument of parallel must be a (call ...) form"},
		{"(inc 1 2)", "p.rtfs:1:1: inc: wrong number of arguments (2)"},
		{"(let [x] x)", "p.rtfs:1:6: let needs pairs of pattern and value"},
		{"(let [1 2] 3)", "p.rtfs:1:7: let: expected a name or pattern to bind, got 1"},
		{"(fn [x] (def y x))", "p.rtfs:1:9: def is only allowed at the top level"},
		{"(let [x : :intt 5] x)", "p.rtfs:1:11: unknown type :intt"},
		{"(defn f [x :int y : [:vector]] x)", "p.rtfs:1:21: :vector takes 1 type argument(s), got 0"},
		{"(cond 1)", "p.rtfs:1:1: cond needs pairs"},
		{"(if)", "p.rtfs:1:1: if takes 2 to 3 arguments, got 0"},
		{"(match 1 x)", "p.rtfs:1:10: match clause x has no body"},
		{"(plan :name \"x\")", "p.rtfs:1:1: plan needs a :body"},
		{"(call 5)", "p.rtfs:1:7: a capability id is a keyword or a string, got 5"},
		{"(fn ([x] x) ([x y] y))", "p.rtfs:1:5: functions with several arities are not supported"},
		{"(let [f (fn [] (g)) g (fn [] (f))] 1)", ""},
		{"(let [status :ok] status)", ""},
		{"(let [x :int 5] x)", ""},
		{"(quote)", "p.rtfs:1:1: quote takes 1 argument, got 0"},
		{"(if :", "p.rtfs:1:1: unclosed"},
		{"(f : x)", "p.rtfs:1:4: a lone : is only allowed after a name"},
	}
	for _, tt := range tests {
		_, err := load(tt.src)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.src, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("%s:\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}
