package rtfsvm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
	var prog *ir.Program
	if prelude {
		prog, err = resolve.ProgramWithPrelude("p.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
	} else {
		prog, err = resolve.Program("p.rtfs", forms, stdlib.Lookup)
	}
	if err != nil {
		return nil, err
	}
	return interp.Compile(prog).Run(context.Background(), env, interp.Options{})
}

// sameAsGo runs src both ways and fails unless both give the same value, or errors of
// the same kind with the same message.
func sameAsGo(t interface {
	Helper()
	Fatalf(string, ...any)
}, src string, env *value.Map) {
	t.Helper()
	want, wantErr := runSrc(src, env, false)
	got, gotErr := runSrc(src, env, true)
	if d := compareOutcomes(want, wantErr, got, gotErr); d != "" {
		t.Fatalf("%s with %s: %s", src, value.Print(env), d)
	}
}

func compareOutcomes(want value.Value, wantErr error, got value.Value, gotErr error) string {
	switch {
	case wantErr == nil && gotErr == nil:
		if !value.Equal(want, got) || value.Print(want) != value.Print(got) {
			return fmt.Sprintf("Go gives %s, the prelude %s", value.Print(want), value.Print(got))
		}
	case wantErr == nil || gotErr == nil:
		return fmt.Sprintf("Go gives %v (%v), the prelude %v (%v)", want, wantErr, got, gotErr)
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
	return i >= 0 && a[:i] == b[:j]
}

// Argument kinds of the property tests.
type argKind int

const (
	aAny     argKind = iota // any value
	aColl                   // a seqable: nil, list, vector, set, map, string
	aNested                 // a collection nested a few levels
	aAssoc                  // a map or vector, maybe nested, for the update functions
	aPath                   // a vector of keys
	aKey                    // a key
	aInt                    // a small integer
	aFn1                    // a function of one argument
	aPred                   // a predicate
	aFn2                    // a function of two arguments
	aFnV                    // a function of any number of arguments
	aCmp                    // a comparator
)

// A shape is one way of calling a prelude function: its arguments and, when it returns
// a function, the arguments that function is then called with.
type shape struct {
	args, then []argKind
	calls      bool // the result is a function, called with then
}

func s(args ...argKind) shape { return shape{args: args} }
func sCall(args []argKind, then ...argKind) shape {
	return shape{args: args, then: then, calls: true}
}

var preludeShapes = map[string][]shape{
	"map":         {s(aFn1, aColl), s(aFn2, aColl, aColl), s(aFnV, aColl, aColl, aColl)},
	"mapv":        {s(aFn1, aColl), s(aFn2, aColl, aColl)},
	"filter":      {s(aPred, aColl)},
	"remove":      {s(aPred, aColl)},
	"keep":        {s(aFn1, aColl)},
	"reduce":      {s(aFn2, aColl), s(aFn2, aAny, aColl), s(aFnV, aColl)},
	"map-indexed": {s(aFn2, aColl)},
	"some":        {s(aPred, aColl), s(aFn1, aColl)},
	"every?":      {s(aPred, aColl)},
	"comp":        {sCall(nil, aAny), sCall([]argKind{aFn1}, aAny), sCall([]argKind{aFn1, aFn1}, aAny), sCall([]argKind{aFn1, aFn1, aFn2}, aAny, aAny), sCall(nil, aAny, aAny)},
	"partial":     {sCall([]argKind{aFnV}, aAny), sCall([]argKind{aFn2, aAny}, aAny), sCall([]argKind{aFnV, aAny, aAny}), sCall([]argKind{aFn1, aAny})},
	"constantly":  {sCall([]argKind{aAny}), sCall([]argKind{aAny}, aAny, aAny)},
	"juxt":        {sCall([]argKind{aFn1}, aAny), sCall([]argKind{aFn1, aFn1, aPred}, aAny), sCall([]argKind{aFnV, aFn2}, aAny, aAny)},
	"sort":        {s(aColl), s(aCmp, aColl)},
	"sort-by":     {s(aFn1, aColl), s(aFn1, aCmp, aColl)},
	"group-by":    {s(aFn1, aColl)},
	"update":      {s(aAssoc, aKey, aFn1), s(aAssoc, aKey, aFnV, aAny, aAny)},
	"update-in":   {s(aAssoc, aPath, aFn1), s(aAssoc, aPath, aFn2, aAny)},
	"take-while":  {s(aPred, aColl)},
	"drop-while":  {s(aPred, aColl)},
	"frequencies": {s(aColl)},
	"partition":   {s(aInt, aColl), s(aInt, aInt, aColl), s(aInt, aInt, aColl, aColl)},
	"interleave":  {s(), s(aColl), s(aColl, aColl), s(aColl, aColl, aColl)},
	"zipmap":      {s(aColl, aColl)},
	"distinct":    {s(aColl)},
	"flatten":     {s(aNested)},
	"select-keys": {s(aAssoc, aColl), s(aAssoc, aPath)},
	"merge":       {s(), s(aAssoc), s(aAssoc, aAssoc), s(aAssoc, aAny, aAssoc)},
	"assoc-in":    {s(aAssoc, aPath, aAny)},
	"get-in":      {s(aAssoc, aPath), s(aAssoc, aPath, aAny)},
	"into":        {s(), s(aColl), s(aColl, aColl), s(aAssoc, aNested)},
	"concat":      {s(), s(aColl), s(aColl, aColl), s(aColl, aColl, aColl)},
}

// Function arguments, as source. Some fail on some inputs, some reveal the order of
// their calls through the message of the error they raise.
var fnSources = map[argKind][]string{
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

var scalars = []value.Value{
	value.Int(-3), value.Int(-1), value.Int(0), value.Int(1), value.Int(2), value.Int(3), value.Int(4), value.Int(5),
	value.String(""), value.String("a"), value.String("b"), value.String("ab"), value.String("é"),
	value.Keyword("a"), value.Keyword("b"), value.Nil, value.True, value.False, value.Float(1.5), value.Float(2),
}

var keys = []value.Value{value.Keyword("a"), value.Keyword("b"), value.Int(0), value.Int(1), value.Int(2), value.Int(-1), value.String("x")}

func genValue(t *rapid.T, depth int) value.Value {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "scalar?") == 0 {
		return rapid.SampledFrom(scalars).Draw(t, "scalar")
	}
	return genColl(t, depth-1, func() value.Value { return genValue(t, depth-1) })
}

func genColl(t *rapid.T, depth int, elem func() value.Value) value.Value {
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
			m = m.Assoc(x, genValue(t, depth))
		}
		return m
	case 5:
		return value.String(rapid.SampledFrom([]string{"", "abc", "aab", "é1", "ba"}).Draw(t, "string"))
	}
	return value.Nil
}

func genAssoc(t *rapid.T, depth int) value.Value {
	if depth == 0 || rapid.IntRange(0, 3).Draw(t, "leaf?") == 0 {
		return rapid.SampledFrom(append([]value.Value{value.EmptyMap, value.EmptyVector}, scalars...)).Draw(t, "leaf")
	}
	n := rapid.IntRange(0, 4).Draw(t, "len")
	if rapid.Bool().Draw(t, "vector?") {
		xs := make([]value.Value, n)
		for i := range xs {
			xs[i] = genAssoc(t, depth-1)
		}
		return value.NewVector(xs)
	}
	m := value.EmptyMap
	for i := 0; i < n; i++ {
		m = m.Assoc(rapid.SampledFrom(keys).Draw(t, "key"), genAssoc(t, depth-1))
	}
	return m
}

// genArg is the source of one argument; values are bound to inputs through env.
func genArg(t *rapid.T, k argKind, env *value.Map) (string, *value.Map) {
	if rapid.IntRange(0, 14).Draw(t, "junk?") == 0 {
		k = aAny // now and then a value where something else is expected
	}
	var v value.Value
	switch k {
	case aFn1, aPred, aFn2, aFnV, aCmp:
		return rapid.SampledFrom(fnSources[k]).Draw(t, "fn"), env
	case aAny:
		v = genValue(t, 2)
	case aColl:
		v = genColl(t, 1, func() value.Value { return genValue(t, 1) })
	case aNested:
		v = genColl(t, 3, func() value.Value { return genValue(t, 3) })
	case aAssoc:
		v = genAssoc(t, 3)
	case aPath:
		ks := rapid.SliceOfN(rapid.SampledFrom(keys), 0, 3).Draw(t, "path")
		v = value.NewVector(ks)
		if rapid.IntRange(0, 5).Draw(t, "list path?") == 0 {
			v = value.NewList(ks...)
		}
	case aKey:
		v = rapid.SampledFrom(keys).Draw(t, "key")
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
				args[i], env = genArg(t, k, env)
			}
			src := "(" + strings.Join(append([]string{name}, args...), " ") + ")"
			if rapid.IntRange(0, 9).Draw(t, "apply?") == 0 {
				// Through apply, with one argument more or less: arity errors at run time.
				switch {
				case len(args) > 0 && rapid.Bool().Draw(t, "fewer?"):
					args = args[:len(args)-1]
				default:
					var extra string
					extra, env = genArg(t, aAny, env)
					args = append(args, extra)
				}
				src = "(apply " + name + " [" + strings.Join(args, " ") + "])"
			}
			if sh.calls {
				then := make([]string, len(sh.then))
				for i, k := range sh.then {
					then[i], env = genArg(t, k, env)
				}
				src = "(" + strings.Join(append([]string{src}, then...), " ") + ")"
			}
			sameAsGo(t, src, env)
		}))
	}
}
