package rtfsvm_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/interp"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
	"pgregory.net/rapid"
)

// loadWithPrelude is rtfsvm.Load with the prelude replacing the Go versions of its
// functions.
func loadWithPrelude(file, src string) (*ir.Program, error) {
	forms, err := syntax.Read(file, src)
	if err != nil {
		return nil, err
	}
	return resolve.ProgramWithPrelude(file, forms, stdlib.PreludeForms(), stdlib.Lookup)
}

// preludeOutcome is outcome on the interpreter, with the prelude.
func preludeOutcome(c conformanceCase) (printed, errKind string, err error) {
	prog, err := loadWithPrelude(c.path, c.src)
	if err != nil {
		return "", "static", err
	}
	v, err := interp.Compile(prog).Run(context.Background(), c.env, interp.Options{Host: testHost()})
	return describeOutcome(v, err)
}

func describeOutcome(v value.Value, err error) (printed, errKind string, _ error) {
	var se *syntax.Error
	var re *value.Error
	var le *value.LimitError
	switch {
	case err == nil:
		return value.Print(v), "", nil
	case errors.As(err, &se):
		return "", "static", err
	case errors.As(err, &le):
		return "", value.Print(le.Limit), err
	case errors.As(err, &re):
		return "", value.Print(re.ErrKind), err
	}
	return "", "host failure", err
}

// TestPreludeConformance runs the whole corpus with the prelude: every case must come
// out as it does with the Go library.
func TestPreludeConformance(t *testing.T) {
	for _, c := range loadCorpus(t) {
		name := strings.TrimSuffix(strings.TrimPrefix(c.path, "testdata/conformance/"), ".rtfs")
		t.Run(name, func(t *testing.T) {
			wantPrinted, wantKind, wantErr := outcome("interp", c)
			printed, kind, err := preludeOutcome(c)
			if printed != wantPrinted || kind != wantKind {
				t.Errorf("with the prelude: %q %s (%v)\n   with Go:     %q %s (%v)", printed, orNone(kind), err, wantPrinted, orNone(wantKind), wantErr)
			}
		})
	}
}

// runSrc resolves and runs src with the Go library (prelude false) or with the prelude,
// on the interpreter, with env binding its inputs.
func runSrc(src string, env *value.Map, prelude bool) (value.Value, error) {
	forms, err := syntax.Read("p.rtfs", src)
	if err != nil {
		return nil, err
	}
	load := resolve.Program
	if prelude {
		load = func(file string, forms []syntax.Node, lib resolve.Library) (*ir.Program, error) {
			return resolve.ProgramWithPrelude(file, forms, stdlib.PreludeForms(), lib)
		}
	}
	prog, err := load("p.rtfs", forms, stdlib.Lookup)
	if err != nil {
		return nil, err
	}
	return interp.Compile(prog).Run(context.Background(), env, interp.Options{})
}

// sameAsGo runs src both ways and fails unless both give the same value, or errors of
// the same kind with the same message. It returns the error of the Go version.
func sameAsGo(t interface {
	Helper()
	Fatalf(string, ...any)
}, src string, env *value.Map) error {
	t.Helper()
	want, wantErr := runSrc(src, env, false)
	got, gotErr := runSrc(src, env, true)
	if d := compareOutcomes(want, wantErr, got, gotErr); d != "" {
		t.Fatalf("%s with %s: %s", src, shortened(value.Print(env)), shortened(d))
	}
	return wantErr
}

func shortened(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

func compareOutcomes(want value.Value, wantErr error, got value.Value, gotErr error) string {
	switch {
	case wantErr == nil && gotErr == nil:
		// The printed forms, since = does not tell a list from a vector, and functions are
		// equal only to themselves.
		if value.Print(want) != value.Print(got) {
			return fmt.Sprintf("Go gives %s, the prelude %s", value.Print(want), value.Print(got))
		}
	case wantErr == nil:
		return fmt.Sprintf("Go gives %s, the prelude raises %v", value.Print(want), gotErr)
	case gotErr == nil:
		return fmt.Sprintf("Go raises %v, the prelude gives %s", wantErr, value.Print(got))
	default:
		var we, ge *value.Error
		var ws, gs *syntax.Error
		switch {
		case errors.As(wantErr, &we) && errors.As(gotErr, &ge):
			if we.ErrKind != ge.ErrKind || we.Message != ge.Message && !sameButTruncation(we.Message, ge.Message) {
				return fmt.Sprintf("Go raises %v, the prelude %v", wantErr, gotErr)
			}
		case errors.As(wantErr, &ws) && errors.As(gotErr, &gs):
			if ws.Error() != gs.Error() {
				return fmt.Sprintf("Go: %v, the prelude: %v", wantErr, gotErr)
			}
		default:
			if wantErr.Error() != gotErr.Error() {
				return fmt.Sprintf("Go: %v, the prelude: %v", wantErr, gotErr)
			}
		}
	}
	return ""
}

// sameButTruncation: the messages differ only in how a value was shortened ("got
// vector [1 2 ..."): Go counts 40 bytes, the prelude 40 characters.
func sameButTruncation(a, b string) bool {
	if !strings.HasSuffix(a, "...") && !strings.HasSuffix(b, "...") {
		return false
	}
	i, j := strings.LastIndex(a, "got "), strings.LastIndex(b, "got ")
	return i >= 0 && j >= 0 && a[:i] == b[:j]
}

// Argument kinds of the property tests.
type argKind int

const (
	aAny    argKind = iota // any value
	aColl                  // a seqable: nil, list, vector, set, map, string
	aNested                // a collection nested a few levels
	aAssoc                 // a map or vector, maybe nested, for the update functions
	aPath                  // a vector of preludeKeys
	aKey                   // a key
	aInt                   // a small integer
	aFn1                   // a function of one argument
	aPred                  // a predicate
	aFn2                   // a function of two arguments
	aFnV                   // a function of any number of arguments
	aCmp                   // a comparator
)

// A preludeShape is one way of calling a prelude function: its arguments and, when it
// returns a function, the arguments that function is then called with.
type preludeShape struct {
	args, then []argKind
	calls      bool // the result is a function, called with then
}

func plainCall(args ...argKind) preludeShape { return preludeShape{args: args} }
func thenCalled(args []argKind, then ...argKind) preludeShape {
	return preludeShape{args: args, then: then, calls: true}
}

var preludeShapes = map[string][]preludeShape{
	"map":         {plainCall(aFn1, aColl), plainCall(aFn2, aColl, aColl), plainCall(aFnV, aColl, aColl, aColl)},
	"mapv":        {plainCall(aFn1, aColl), plainCall(aFn2, aColl, aColl)},
	"filter":      {plainCall(aPred, aColl)},
	"remove":      {plainCall(aPred, aColl)},
	"keep":        {plainCall(aFn1, aColl)},
	"reduce":      {plainCall(aFn2, aColl), plainCall(aFn2, aAny, aColl), plainCall(aFnV, aColl)},
	"map-indexed": {plainCall(aFn2, aColl)},
	"some":        {plainCall(aPred, aColl), plainCall(aFn1, aColl)},
	"every?":      {plainCall(aPred, aColl)},
	"comp":        {thenCalled(nil, aAny), thenCalled([]argKind{aFn1}, aAny), thenCalled([]argKind{aFn1, aFn1}, aAny), thenCalled([]argKind{aFn1, aFn1, aFn2}, aAny, aAny), thenCalled(nil, aAny, aAny)},
	"partial":     {thenCalled([]argKind{aFnV}, aAny), thenCalled([]argKind{aFn2, aAny}, aAny), thenCalled([]argKind{aFnV, aAny, aAny}), thenCalled([]argKind{aFn1, aAny})},
	"constantly":  {thenCalled([]argKind{aAny}), thenCalled([]argKind{aAny}, aAny, aAny)},
	"juxt":        {thenCalled([]argKind{aFn1}, aAny), thenCalled([]argKind{aFn1, aFn1, aPred}, aAny), thenCalled([]argKind{aFnV, aFn2}, aAny, aAny)},
	"sort":        {plainCall(aColl), plainCall(aCmp, aColl)},
	"sort-by":     {plainCall(aFn1, aColl), plainCall(aFn1, aCmp, aColl)},
	"group-by":    {plainCall(aFn1, aColl)},
	"update":      {plainCall(aAssoc, aKey, aFn1), plainCall(aAssoc, aKey, aFnV, aAny, aAny)},
	"update-in":   {plainCall(aAssoc, aPath, aFn1), plainCall(aAssoc, aPath, aFn2, aAny)},
	"take-while":  {plainCall(aPred, aColl)},
	"drop-while":  {plainCall(aPred, aColl)},
	"frequencies": {plainCall(aColl)},
	"partition":   {plainCall(aInt, aColl), plainCall(aInt, aInt, aColl), plainCall(aInt, aInt, aColl, aColl)},
	"interleave":  {plainCall(), plainCall(aColl), plainCall(aColl, aColl), plainCall(aColl, aColl, aColl)},
	"zipmap":      {plainCall(aColl, aColl)},
	"distinct":    {plainCall(aColl)},
	"flatten":     {plainCall(aNested)},
	"select-keys": {plainCall(aAssoc, aColl), plainCall(aAssoc, aPath)},
	"merge":       {plainCall(), plainCall(aAssoc), plainCall(aAssoc, aAssoc), plainCall(aAssoc, aAny, aAssoc)},
	"assoc-in":    {plainCall(aAssoc, aPath, aAny)},
	"get-in":      {plainCall(aAssoc, aPath), plainCall(aAssoc, aPath, aAny)},
	"into":        {plainCall(), plainCall(aColl), plainCall(aColl, aColl), plainCall(aAssoc, aNested)},
	"concat":      {plainCall(), plainCall(aColl), plainCall(aColl, aColl), plainCall(aColl, aColl, aColl)},
}

// Function arguments, as source. Some fail on some inputs, some reveal the order of
// their calls through the message of the error they raise.
var preludeFnSources = map[argKind][]string{
	aFn1: {"inc", "identity", "str", "count", "nil?", "vector", ":a", "#{1 2 \"a\"}", "{1 :one 2 nil}",
		"(fn [x] (if (int? x) (* x 2) x))", "(fn [x] nil)", "(fn [x] (if (= x 2) (throw :my/err (str \"at \" x)) x))",
		"(fn [x] (if (int? x) (mod x 3) :k))", "first", "(fn [x] false)"},
	aPred: {"even?", "odd?", "nil?", "string?", "identity", "#{1 2 3}", "(fn [x] (and (int? x) (> x 0)))",
		"(fn [x] (if (= x 3) (throw :my/err (str \"at \" x)) (int? x)))", "(fn [x] x)"},
	aFn2: {"+", "str", "vector", "max", "conj", "compare", "(fn [a b] (if (int? a) (+ a 1) b))",
		"(fn [a b] (if (= b 2) (throw :my/err (str a \" \" b)) [a b]))", "(fn [a] a)", "get"},
	aFnV: {"+", "str", "vector", "list", "max", "(fn [& xs] (count xs))", "hash-map"},
	aCmp: {"compare", "<", ">", "(fn [a b] (compare b a))", "(fn [a b] (- (count (str a)) (count (str b))))",
		"(fn [a b] nil)", "(fn [a b] 0.5)", "(fn [a b] -1.5)", "(fn [a b] ##NaN)", "(fn [a b] 0)",
		"(fn [a b] (if (and (int? a) (int? b) (> (- a b) 2)) (throw :my/cmp (str a \" \" b)) (compare a b)))",
		"(fn [a] 0)", "(fn [a b] (< (count (str a)) (count (str b))))"},
}

var preludeScalars = []value.Value{
	value.Int(-3), value.Int(-1), value.Int(0), value.Int(1), value.Int(2), value.Int(3), value.Int(4), value.Int(5),
	value.String(""), value.String("a"), value.String("b"), value.String("ab"), value.String("é"),
	value.Keyword("a"), value.Keyword("b"), value.Nil, value.True, value.False, value.Float(1.5), value.Float(2),
}

var preludeKeys = []value.Value{value.Keyword("a"), value.Keyword("b"), value.Int(0), value.Int(1), value.Int(2), value.Int(-1), value.String("x")}

func genPreludeValue(t *rapid.T, depth int) value.Value {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "scalar?") == 0 {
		return rapid.SampledFrom(preludeScalars).Draw(t, "scalar")
	}
	return genPreludeColl(t, depth-1, func() value.Value { return genPreludeValue(t, depth-1) })
}

func genPreludeColl(t *rapid.T, depth int, elem func() value.Value) value.Value {
	n := rapid.IntRange(0, 6).Draw(t, "len")
	if rapid.IntRange(0, 4).Draw(t, "long?") == 0 {
		n = rapid.IntRange(7, 20).Draw(t, "long len")
	}
	xs := make([]value.Value, n)
	for i := range xs {
		xs[i] = elem()
	}
	switch rapid.IntRange(0, 6).Draw(t, "coll") {
	case 0, 1:
		return value.NewVector(xs)
	case 2:
		return value.NewList(xs...)
	case 3:
		return value.NewSet(xs...)
	case 4:
		m := value.EmptyMap
		for _, x := range xs {
			m = m.Assoc(x, genPreludeValue(t, depth))
		}
		return m
	case 5:
		return value.String(rapid.SampledFrom([]string{"", "abc", "aab", "é1", "ba"}).Draw(t, "string"))
	}
	return value.Nil
}

func genPreludeAssoc(t *rapid.T, depth int) value.Value {
	if depth == 0 || rapid.IntRange(0, 3).Draw(t, "leaf?") == 0 {
		return rapid.SampledFrom(append([]value.Value{value.EmptyMap, value.EmptyVector}, preludeScalars...)).Draw(t, "leaf")
	}
	n := rapid.IntRange(0, 4).Draw(t, "len")
	if rapid.Bool().Draw(t, "vector?") {
		xs := make([]value.Value, n)
		for i := range xs {
			xs[i] = genPreludeAssoc(t, depth-1)
		}
		return value.NewVector(xs)
	}
	m := value.EmptyMap
	for i := 0; i < n; i++ {
		m = m.Assoc(rapid.SampledFrom(preludeKeys).Draw(t, "key"), genPreludeAssoc(t, depth-1))
	}
	return m
}

// genPreludeArg is the source of one argument; values are bound to inputs through env.
func genPreludeArg(t *rapid.T, k argKind, env *value.Map) (string, *value.Map) {
	if rapid.IntRange(0, 14).Draw(t, "junk?") == 0 {
		k = aAny // now and then a value where something else is expected
	}
	var v value.Value
	switch k {
	case aFn1, aPred, aFn2, aFnV, aCmp:
		return rapid.SampledFrom(preludeFnSources[k]).Draw(t, "fn"), env
	case aAny:
		v = genPreludeValue(t, 2)
	case aColl:
		v = genPreludeColl(t, 1, func() value.Value { return genPreludeValue(t, 1) })
	case aNested:
		v = genPreludeColl(t, 3, func() value.Value { return genPreludeValue(t, 3) })
	case aAssoc:
		v = genPreludeAssoc(t, 3)
	case aPath:
		ks := rapid.SliceOfN(rapid.SampledFrom(preludeKeys), 0, 3).Draw(t, "path")
		v = value.NewVector(ks)
		if rapid.IntRange(0, 5).Draw(t, "list path?") == 0 {
			v = value.NewList(ks...)
		}
	case aKey:
		v = rapid.SampledFrom(preludeKeys).Draw(t, "key")
	case aInt:
		v = value.Int(rapid.SampledFrom([]int{-1, 0, 1, 1, 2, 2, 3, 4}).Draw(t, "int"))
	}
	name := fmt.Sprintf("v%d", env.Len())
	return name, env.Assoc(value.Keyword(name), v)
}

// TestPreludeProperties compares every prelude function with its Go version on random
// arguments, bad ones included: same values, same error kinds and messages.
func TestPreludeProperties(t *testing.T) {
	for _, name := range stdlib.PreludeNames {
		shapes := preludeShapes[name]
		if shapes == nil {
			t.Errorf("%s has no shapes for its property test", name)
			continue
		}
		t.Run(name, rapid.MakeCheck(func(t *rapid.T) {
			sh := rapid.SampledFrom(shapes).Draw(t, "shape")
			env := value.EmptyMap
			args := make([]string, len(sh.args))
			for i, k := range sh.args {
				args[i], env = genPreludeArg(t, k, env)
			}
			src := "(" + strings.Join(append([]string{name}, args...), " ") + ")"
			if rapid.IntRange(0, 9).Draw(t, "apply?") == 0 {
				// Through apply, with one argument more or less: arity errors at run time.
				switch {
				case len(args) > 0 && rapid.Bool().Draw(t, "fewer?"):
					args = args[:len(args)-1]
				default:
					var extra string
					extra, env = genPreludeArg(t, aAny, env)
					args = append(args, extra)
				}
				src = "(apply " + name + " [" + strings.Join(args, " ") + "])"
			}
			if sh.calls {
				then := make([]string, len(sh.then))
				for i, k := range sh.then {
					then[i], env = genPreludeArg(t, k, env)
				}
				src = "(" + strings.Join(append([]string{src}, then...), " ") + ")"
			}
			sameAsGo(t, src, env)
		}))
	}
}

var preludeLong = flag.Int("prelude.long", 40_000, "length of the inputs of TestPreludeLongInputs")

// TestPreludeLongInputs: the prelude iterates, so inputs longer than the stack is deep
// (interp.DefaultMaxDepth) work, and give what the Go versions give. For a million
// elements: go test -run TestPreludeLongInputs -args -prelude.long=1000000
func TestPreludeLongInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("long inputs")
	}
	// deep is the depth of nested inputs; the Go update-in charges fuel quadratically
	// in the length of the path, which bounds it.
	n, deep := *preludeLong, 40_000
	xs := make([]value.Value, n)
	for i := range xs {
		xs[i] = value.Int(i * 7919 % n) // a permutation of 0..n-1
	}
	nested := value.Value(value.NewVector([]value.Value{value.Int(0)}))
	path := make([]value.Value, deep)
	for i := 0; i < deep; i++ {
		nested = value.NewVector([]value.Value{value.Int(i), nested})
		path[i] = value.Keyword("k")
	}
	env := value.EmptyMap.
		Assoc(value.Keyword("xs"), value.NewVector(xs)).
		Assoc(value.Keyword("lst"), value.NewList(xs...)).
		Assoc(value.Keyword("nested"), nested).
		Assoc(value.Keyword("path"), value.NewVector(path))
	for _, src := range []string{
		"(map inc xs)", "(mapv + xs lst)", "(filter even? lst)", "(remove even? xs)",
		"(keep #(when (odd? %) %) xs)", "(reduce + xs)", "(reduce max 0 lst)", "(map-indexed + xs)",
		"(some neg? xs)", "(every? int? xs)", "(map (comp inc (partial * 2)) xs)",
		"(map (juxt inc (constantly 1)) xs)", "(sort xs)", "(sort > lst)", "(sort-by - xs)",
		"(group-by #(mod % 10) xs)", "(take-while #(not= % 1) xs)", "(drop-while #(not= % 1) xs)",
		"(frequencies (map #(mod % 100) xs))", "(partition 3 2 [:pad] xs)", "(interleave xs lst)",
		"(zipmap xs lst)", "(distinct (concat xs lst))", "(flatten (partition 2 xs))", "(flatten nested)",
		"(select-keys (zipmap xs xs) (take 1000 xs))", "(merge (zipmap xs xs) {:a 1})",
		"(update-in {} path (constantly 1))", "(get-in (assoc-in {} path 5) path)",
		"(into [] lst)", "(into {} (map vector xs xs))", "(concat xs lst)",
	} {
		t.Run(src, func(t *testing.T) {
			if err := sameAsGo(t, src, env); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestPreludeArity: direct calls are checked before running as the Go versions' are, and
// calls through apply fail at run time with the same errors.
func TestPreludeArity(t *testing.T) {
	for _, name := range stdlib.PreludeNames {
		for argc := 0; argc <= 5; argc++ {
			args := strings.Repeat(" nil", argc)
			sameAsGo(t, "("+name+args+")", value.EmptyMap)
			sameAsGo(t, "(apply "+name+" ["+args+"])", value.EmptyMap)
		}
	}
}

// TestPreludeNames: the prelude defines the functions it is meant to, with the arity of
// their Go versions.
func TestPreludeNames(t *testing.T) {
	want := strings.Fields(`assoc-in comp concat constantly distinct drop-while every? filter flatten
		frequencies get-in group-by interleave into juxt keep map map-indexed mapv merge partial
		partition reduce remove select-keys some sort sort-by take-while update update-in zipmap`)
	if got := strings.Join(stdlib.PreludeNames, " "); got != strings.Join(want, " ") {
		t.Errorf("PreludeNames\n got %s\nwant %s", got, strings.Join(want, " "))
	}
}

// TestPreludeScopes: the plan's locals and definitions shadow prelude functions, the
// prelude cannot be reached or disturbed otherwise, and it adds no inputs.
func TestPreludeScopes(t *testing.T) {
	tests := []struct{ src, want string }{
		{"(defn map [f x] :mine) (map inc [1])", ":mine"},
		{"(let [map (fn [f x] :local)] (map inc [1]))", ":local"},
		{"((fn [filter] (filter 1)) inc)", "2"},
		{"(def sort 5) sort", "5"},
		// The prelude's own uses of count, conj, ... are the library's, whatever the plan defines.
		{"(defn count [x] 99) (defn conj [& xs] :no) (defn reverse [x] :no) [(map inc [1 2]) (count [])]", "[[2 3] 99]"},
		{"(defn prelude-seq [f x] :mine) (map inc [1])", "[2]"},
		{"(def rtfs.core/map 5) [(map inc [1]) rtfs.core/map]", "[[2] 5]"},
		{"[map (str sort-by) (fn? comp)]", "[#<fn map> \"#<fn sort-by>\" true]"},
		{"(map (fn [x] (reduce + x)) [[1 2] [3]])", "[3 3]"},
		{"(-> [3 1 2] sort (->> (map inc)))", "[2 3 4]"},
	}
	for _, tt := range tests {
		v, err := runSrc(tt.src, value.EmptyMap, true)
		if err != nil || value.Print(v) != tt.want {
			t.Errorf("%s: got %v (%v), want %s", tt.src, v, err, tt.want)
		}
	}
	for _, src := range []string{"(prelude-seq \"f\" [1])", "rtfs.core/map", "(rtfs.core/map inc [1])"} {
		forms, err := syntax.Read("p.rtfs", src)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := resolve.ProgramWithPrelude("p.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
		if err != nil || len(prog.Inputs) != 1 {
			t.Errorf("%s: the prelude's names must be hidden, got %v", src, err)
		}
	}
	forms, _ := syntax.Read("p.rtfs", "(defn f [x] (map g x)) (call :ccos.echo (f y))")
	prog, err := resolve.ProgramWithPrelude("p.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, in := range prog.Inputs {
		inputs = append(inputs, in.Name+"@"+in.Pos.String())
	}
	if got := strings.Join(inputs, " "); got != "g@p.rtfs:1:18 y@p.rtfs:1:44" || strings.Join(prog.Capabilities, " ") != "ccos.echo" {
		t.Errorf("inputs %s, capabilities %v", got, prog.Capabilities)
	}
}

// TestPreludeErrors: a prelude that is not self-contained, or misdeclares an arity, is
// refused with a position.
func TestPreludeErrors(t *testing.T) {
	tests := []struct{ prelude, want string }{
		{"(defn f [x] (g x))", "pre.rtfs:1:14: prelude: g is not defined"},
		{"(defn ^{:max-args 3} f [x] x)", "pre.rtfs:1:19: :max-args needs a & rest parameter"},
		{"(defn ^{:max-args 0} f [x & r] x)", "pre.rtfs:1:19: :max-args needs a & rest parameter"},
		{"(defn ^{:max-args 2} f [x & r] x) (defn g [] (f 1 2 3))", "pre.rtfs:1:46: f: wrong number of arguments (3)"},
	}
	for _, tt := range tests {
		pre, err := syntax.Read("pre.rtfs", tt.prelude)
		if err != nil {
			t.Fatal(err)
		}
		_, err = resolve.ProgramWithPrelude("p.rtfs", nil, pre, stdlib.Lookup)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %s", tt.prelude, err, tt.want)
		}
	}
}

// TestPreludeNesting: a plan that recurses through a prelude function spends a frame
// of its own and one of the prelude function a level, and so still gets 10,000 levels
// (rtfs-language.md §6 promises 10,000 nested calls).
func TestPreludeNesting(t *testing.T) {
	for _, src := range []string{
		"(defn f [n] (if (<= n 0) 1 (first (map f [(dec n)]))))",
		"(defn f [n] (if (<= n 0) 1 (first (mapv f [(dec n)]))))",
		"(defn f [acc n] (if (<= n 0) 1 (reduce f 0 [(dec n)])))",
		"(defn f [n] (if (<= n 0) 1 (first (filter f [(dec n)]))))",
		"(defn f [n] (if (<= n 0) 1 (some f [(dec n)])))",
		"(defn f [n] (if (<= n 0) 1 (first (keep f [(dec n)]))))",
		"(defn f [n] (if (<= n 0) 1 (:a (update {:a (dec n)} :a f))))",
		"(defn f [n] (if (<= n 0) 1 (count (take-while f [(dec n)]))))",
		"(defn f [n] (if (<= n 0) 1 (count (group-by f [(dec n)]))))",
		"(defn f [acc n] (if (<= n 0) 1 (first (map-indexed f [(dec n)]))))",
	} {
		src += " (f " + strings.Repeat("0 ", strings.Count(src, "[acc n]")) + "10000)"
		if err := sameAsGo(t, src, value.EmptyMap); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// Plans resolved at once with the prelude that the process resolved once
// (stdlib.ResolvedPrelude) share its IR: each gets the globals, the values and the
// errors that it gets with a prelude resolved for it alone. Under -race, this is also
// the test that nothing writes to the shared IR.
func TestPlansShareTheResolvedPrelude(t *testing.T) {
	srcs := []string{
		"(map inc [1 2 3])",
		"(reduce + (filter even? (range 10)))",
		"(defn twice [x] (* x 2)) (mapv twice [1 2])",
		"(def map 3) [map (some even? [1 3 4])]",
		"(reduce (fn [a b] (+ a b)) [1 :x])",
		"(every? number? xs)",
	}
	env := value.EmptyMap.Assoc(value.Keyword("xs"), value.NewVector([]value.Value{value.Int(1), value.Int(2)}))
	run := func(prog *ir.Program) string {
		v, err := interp.Compile(prog).Run(context.Background(), env, interp.Options{Host: testHost()})
		printed, kind, _ := describeOutcome(v, err)
		return printed + kind
	}
	errs := make(chan error, 4*len(srcs))
	var wg sync.WaitGroup
	for range 4 {
		for _, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				forms, err := syntax.Read("p.rtfs", src)
				if err != nil {
					errs <- err
					return
				}
				shared, err := resolve.ProgramWith("p.rtfs", forms, stdlib.ResolvedPrelude())
				if err != nil {
					errs <- err
					return
				}
				own, err := resolve.ProgramWithPrelude("p.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
				if err != nil {
					errs <- err
					return
				}
				names := func(p *ir.Program) (s []string) {
					for i, g := range p.Globals {
						s = append(s, fmt.Sprintf("%d %s %d", i, g.Name, g.Index))
					}
					return s
				}
				if a, b := names(shared), names(own); !slices.Equal(a, b) {
					errs <- fmt.Errorf("%s: globals %v with the shared prelude, %v with its own", src, a, b)
				}
				want := run(own)
				if got := run(shared); got != want {
					errs <- fmt.Errorf("%s: %s with the shared prelude, %s with its own", src, got, want)
				}
				// The MicroVM compiles the shared IR too.
				p, err := rtfsvm.Prepare(context.Background(), shared, rtfsvm.EngineWasm)
				if err != nil {
					errs <- err
					return
				}
				v, err := p.Run(context.Background(), rtfsvm.Options{Env: env})
				if printed, kind, _ := describeOutcome(v, err); printed+kind != want {
					errs <- fmt.Errorf("%s: %s on the MicroVM, %s on the interpreter", src, printed+kind, want)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
