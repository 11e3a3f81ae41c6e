package stdlib

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// fakeCaller is a tiny engine for the tests: it evaluates calls of library functions
// with literal arguments, (quote x), and (fn [params] body) closures, and meters fuel.
type fakeCaller struct {
	fuel, limit int
}

func (f *fakeCaller) Charge(n int) error {
	if n < 0 {
		panic(fmt.Sprintf("negative charge %d", n))
	}
	f.fuel += n
	if f.limit > 0 && f.fuel > f.limit {
		return &value.LimitError{Limit: value.LimitFuel}
	}
	return nil
}

func (f *fakeCaller) Allocate(int64) error { return nil }

type testFn struct {
	params []string
	rest   string
	body   Value
	env    map[string]Value
}

func (*testFn) Kind() value.Kind { return value.KindFunction }
func (*testFn) FuncName() string { return "" }

func (f *fakeCaller) Call(fnv Value, args []Value) (Value, error) {
	if err := f.Charge(1); err != nil {
		return nil, err
	}
	get := byName["get"]
	switch g := fnv.(type) {
	case *value.Builtin:
		if !g.AcceptsArity(len(args)) {
			return nil, value.ArityError(g.Name, len(args))
		}
		return g.Fn(f, args)
	case *testFn:
		if len(args) < len(g.params) || g.rest == "" && len(args) > len(g.params) {
			return nil, value.ArityError("", len(args))
		}
		env := map[string]Value{}
		for k, v := range g.env {
			env[k] = v
		}
		for i, p := range g.params {
			env[p] = args[i]
		}
		if g.rest != "" {
			env[g.rest] = value.Nil
			if len(args) > len(g.params) {
				env[g.rest] = value.NewList(args[len(g.params):]...)
			}
		}
		return f.eval(g.body, env)
	case value.Keyword:
		if len(args) == 0 {
			return nil, value.ArityError(value.Print(g), 0)
		}
		return f.Call(get, append([]Value{args[0], g}, args[1:]...))
	case *value.Map, *value.Set:
		return f.Call(get, append([]Value{g}, args...))
	case *value.Vector:
		return f.Call(byName["nth"], append([]Value{g}, args...))
	}
	return nil, value.Errorf(value.ErrType, "not a function: %s", value.Print(fnv))
}

func (f *fakeCaller) eval(form Value, env map[string]Value) (Value, error) {
	switch x := form.(type) {
	case value.Symbol:
		if v, ok := env[string(x)]; ok {
			return v, nil
		}
		if b, ok := Lookup(string(x)); ok {
			return b, nil
		}
		return nil, fmt.Errorf("unbound symbol %s", x)
	case *value.List:
		if x.Len() == 0 {
			return x, nil
		}
		elems := x.Slice()
		switch elems[0] {
		case value.Symbol("quote"):
			return elems[1], nil
		case value.Symbol("fn"):
			g := &testFn{body: elems[2], env: env}
			ps := elems[1].(*value.Vector).Slice()
			for i := 0; i < len(ps); i++ {
				if ps[i] == value.Symbol("&") {
					g.rest = string(ps[i+1].(value.Symbol))
					break
				}
				g.params = append(g.params, string(ps[i].(value.Symbol)))
			}
			return g, nil
		}
		vs, err := f.evalAll(elems, env)
		if err != nil {
			return nil, err
		}
		return f.Call(vs[0], vs[1:])
	case *value.Vector:
		vs, err := f.evalAll(x.Slice(), env)
		return value.NewVector(vs), err
	case *value.Set:
		vs, err := f.evalAll(x.Elems(), env)
		return value.NewSet(vs...), err
	case *value.Map:
		m := value.EmptyMap
		for _, e := range x.Entries() {
			kv, err := f.evalAll([]Value{e.Key, e.Val}, env)
			if err != nil {
				return nil, err
			}
			m = m.Assoc(kv[0], kv[1])
		}
		return m, nil
	}
	return form, nil
}

func (f *fakeCaller) evalAll(forms []Value, env map[string]Value) ([]Value, error) {
	out := make([]Value, len(forms))
	for i, form := range forms {
		var err error
		if out[i], err = f.eval(form, env); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// run evaluates src and returns its printed value, or "!kind" for an RTFS error.
func run(t *testing.T, f *fakeCaller, src string) string {
	t.Helper()
	node, err := syntax.ReadOne("test", src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	var v Value
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: panic: %v", src, r)
			}
		}()
		v, err = f.eval(syntax.Datum(node), nil)
	}()
	var rerr *value.Error
	var lerr *value.LimitError
	switch {
	case errors.As(err, &rerr):
		return "!" + string(rerr.ErrKind)
	case errors.As(err, &lerr):
		return "!" + string(lerr.Limit)
	case err != nil:
		t.Fatalf("%s: %v", src, err)
	case v == nil:
		t.Fatalf("%s: Go nil result", src)
	}
	return value.Print(v)
}

type testCase struct{ src, want string }

func check(t *testing.T, cases []testCase) {
	t.Helper()
	for _, c := range cases {
		if got := run(t, &fakeCaller{}, c.src); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}

func TestArithmetic(t *testing.T) {
	check(t, []testCase{
		{"(+)", "0"}, {"(+ 1 2 3)", "6"}, {"(+ 1 2.5)", "3.5"}, {"(+ 1 :a)", "!error/type"},
		{"(+ 9223372036854775807 1)", "!error/overflow"}, {"(+ -9223372036854775808 -1)", "!error/overflow"},
		{"(- 5)", "-5"}, {"(- 0.0)", "-0.0"}, {"(- 10 1 2)", "7"}, {"(- -9223372036854775808)", "!error/overflow"},
		{"(- -9223372036854775807 2)", "!error/overflow"},
		{"(*)", "1"}, {"(* 2 3 4)", "24"}, {"(* 4611686018427387904 2)", "!error/overflow"},
		{"(* -1 -9223372036854775808)", "!error/overflow"}, {"(* 3037000500 3037000500)", "!error/overflow"},
		{"(/ 6 3)", "2"}, {"(/ 1 2)", "0.5"}, {"(/ 2)", "0.5"}, {"(/ 1)", "1"}, {"(/ 12 2 3)", "2"},
		{"(/ 12 5 2)", "1.2"}, {"(/ 1 0)", "!error/division-by-zero"}, {"(/ 1.0 0)", "##Inf"},
		{"(/ -1 0.0)", "##-Inf"}, {"(/ 0.0 0)", "##NaN"}, {"(/ 0)", "!error/division-by-zero"},
		{"(/ -9223372036854775808 -1)", "!error/overflow"}, {`(/ 1 "a")`, "!error/type"},
		{"(quot 7 2)", "3"}, {"(quot -7 2)", "-3"}, {"(quot 7 0)", "!error/division-by-zero"},
		{"(quot -9223372036854775808 -1)", "!error/overflow"}, {"(quot 7.5 2)", "3.0"}, {"(quot 1.0 0)", "!error/division-by-zero"},
		{"(rem 7 2)", "1"}, {"(rem -7 2)", "-1"}, {"(rem 7 -2)", "1"}, {"(rem 1 0)", "!error/division-by-zero"},
		{"(rem -9223372036854775808 -1)", "0"}, {"(rem 5.5 2)", "1.5"},
		{"(mod 7 2)", "1"}, {"(mod -7 2)", "1"}, {"(mod 7 -2)", "-1"}, {"(mod -7 -2)", "-1"}, {"(mod 4 2)", "0"},
		{"(mod 1 0)", "!error/division-by-zero"}, {"(mod -5.5 2)", "0.5"}, {"(mod 1.0 0.0)", "!error/division-by-zero"},
		{"(inc 1)", "2"}, {"(inc 1.5)", "2.5"}, {"(inc 9223372036854775807)", "!error/overflow"},
		{"(dec -9223372036854775808)", "!error/overflow"}, {"(dec 0)", "-1"}, {"(inc nil)", "!error/type"},
		{"(abs -3)", "3"}, {"(abs -2.5)", "2.5"}, {"(abs -9223372036854775808)", "!error/overflow"},
		{"(min 3 1 2)", "1"}, {"(max 3 1 2)", "3"}, {"(max 1 2.5)", "2.5"}, {"(min 1)", "1"},
		{"(max 1 ##NaN 3)", "##NaN"}, {`(max 1 "a")`, "!error/type"},
		{"(sqrt 16)", "4.0"}, {"(sqrt 2.25)", "1.5"}, {"(sqrt -1)", "!error/invalid-argument"}, {"(sqrt :a)", "!error/type"},
		{"(floor 2.7)", "2.0"}, {"(floor -2.5)", "-3.0"}, {"(ceil 2.1)", "3.0"}, {"(floor 3)", "3.0"},
		{"(round 2.5)", "3.0"}, {"(round -2.5)", "-3.0"}, {"(round 2.4)", "2.0"}, {"(round 7)", "7.0"},
		{"(pow 2 10)", "1024"}, {"(pow 2 62)", "4611686018427387904"}, {"(pow 2 63)", "!error/overflow"},
		{"(pow -2 63)", "-9223372036854775808"}, {"(pow 2 -1)", "0.5"}, {"(pow 2.0 3)", "8.0"}, {"(pow 0 0)", "1"},
		{"(pow 3 9223372036854775807)", "!error/overflow"}, {"(pow -1 9223372036854775807)", "-1"},
		{"(pow 1 9223372036854775807)", "1"}, {"(pow 0 5)", "0"}, {"(pow 4 0.5)", "2.0"},
	})
}

func TestComparison(t *testing.T) {
	check(t, []testCase{
		{"(= 1 1)", "true"}, {"(= 1 1.0)", "false"}, {"(= [1 2] '(1 2))", "true"}, {"(= 1)", "true"},
		{"(= {:a 1} {:a 1} {:a 1})", "true"}, {"(= ##NaN ##NaN)", "false"}, {"(not= 1 2)", "true"},
		{"(< 1 2 3)", "true"}, {"(< 1 3 2)", "false"}, {"(< 1 1.5)", "true"}, {"(<= 1 1.0)", "true"},
		{"(< 1 1.0)", "false"}, {"(> 3 2 1)", "true"}, {"(>= 2 2 1)", "true"}, {"(< 1)", "true"},
		{`(< "a" "b" "c")`, "true"}, {`(> "a" "b")`, "false"}, {`(< 1 "a")`, "!error/type"},
		{"(< :a :b)", "!error/type"}, {"(< 1 ##NaN)", "false"}, {"(>= ##NaN 1)", "false"},
		{"(< 9223372036854775807 9.223372036854776e18)", "true"},
		{"(compare 1 2)", "-1"}, {"(compare 2 1)", "1"}, {"(compare :a :a)", "0"}, {`(compare nil "a")`, "-1"},
		{"(compare [1 2] [1 3])", "-1"},
	})
}

func TestPredicates(t *testing.T) {
	check(t, []testCase{
		{"(not nil)", "true"}, {"(not 0)", "false"}, {"(nil? nil)", "true"}, {"(some? false)", "true"},
		{"(true? true)", "true"}, {"(true? 1)", "false"}, {"(false? false)", "true"}, {"(false? nil)", "false"},
		{"(boolean? false)", "true"}, {"(int? 1)", "true"}, {"(int? 1.0)", "false"}, {"(float? 1.0)", "true"},
		{"(number? 1.5)", "true"}, {`(string? "a")`, "true"}, {"(keyword? :a)", "true"}, {"(symbol? 'a)", "true"},
		{"(fn? inc)", "true"}, {"(fn? :a)", "false"}, {"(fn? (partial inc))", "true"}, {"(map? {})", "true"},
		{"(vector? [])", "true"}, {"(vector? '())", "false"}, {"(list? '(1))", "true"}, {"(set? #{})", "true"},
		{"(coll? {})", "true"}, {`(coll? "a")`, "false"}, {"(seq? '(1))", "true"}, {"(seq? [1])", "false"},
		{"(empty? [])", "true"}, {"(empty? nil)", "true"}, {`(empty? "")`, "true"}, {"(empty? {:a 1})", "false"},
		{"(empty? 1)", "!error/type"},
		{"(zero? 0)", "true"}, {"(zero? -0.0)", "true"}, {"(pos? 1)", "true"}, {"(pos? 0)", "false"},
		{"(neg? -0.5)", "true"}, {"(pos? ##NaN)", "false"}, {"(zero? :a)", "!error/type"},
		{"(even? 2)", "true"}, {"(odd? -3)", "true"}, {"(even? 2.0)", "!error/type"},
	})
}

func TestSequences(t *testing.T) {
	check(t, []testCase{
		{"(seq [1 2])", "[1 2]"}, {"(seq [])", "nil"}, {"(seq nil)", "nil"}, {"(seq '(1 2))", "[1 2]"},
		{`(seq "héllo")`, `["h" "é" "l" "l" "o"]`}, {"(seq {:b 2 :a 1})", "[[:a 1] [:b 2]]"}, {"(seq #{3 1 2})", "[1 2 3]"},
		{"(seq 1)", "!error/type"},
		{"(first [1 2])", "1"}, {"(first [])", "nil"}, {"(first nil)", "nil"}, {"(first '(3 4))", "3"},
		{`(first "ab")`, `"a"`}, {"(first {:b 2 :a 1})", "[:a 1]"}, {"(first 5)", "!error/type"},
		{"(second [1 2])", "2"}, {"(second [1])", "nil"}, {"(second '(1 2 3))", "2"},
		{"(last [1 2 3])", "3"}, {"(last [])", "nil"}, {"(last '(1 2))", "2"}, {`(last "abç")`, `"ç"`},
		{"(rest [1 2 3])", "[2 3]"}, {"(rest [])", "[]"}, {"(rest nil)", "[]"}, {"(rest '(1 2))", "[2]"},
		{"(next [1 2])", "[2]"}, {"(next [1])", "nil"}, {"(next nil)", "nil"},
		{"(nth [1 2 3] 1)", "2"}, {"(nth [1] 5)", "!error/index"}, {"(nth [1] -1)", "!error/index"},
		{"(nth [1] 5 :d)", ":d"}, {"(nth '(1 2 3) 2)", "3"}, {"(nth '(1 2 3) 3)", "!error/index"},
		{`(nth "abc" 1)`, `"b"`}, {`(nth "abc" 3)`, "!error/index"}, {"(nth nil 0)", "!error/index"},
		{"(nth nil 0 1)", "1"}, {"(nth #{1} 0)", "!error/type"}, {"(nth [1] 1.0)", "!error/type"},
		{"(cons 0 [1 2])", "[0 1 2]"}, {"(cons 0 nil)", "[0]"}, {"(cons 0 '(1))", "[0 1]"},
		{"(concat [1] '(2) nil #{3})", "[1 2 3]"}, {"(concat)", "[]"}, {`(concat "ab" [1])`, `["a" "b" 1]`},
		{"(take 2 [1 2 3])", "[1 2]"}, {"(take 5 [1])", "[1]"}, {"(take -1 [1])", "[]"}, {"(take 2 '(1 2 3))", "[1 2]"},
		{"(drop 2 [1 2 3])", "[3]"}, {"(drop 5 [1])", "[]"}, {"(drop -1 [1])", "[1]"},
		{"(take-while pos? [1 2 0 3])", "[1 2]"}, {"(drop-while pos? [1 2 0 3])", "[0 3]"},
		{"(take-while pos? [1 :a])", "!error/type"},
		{"(reverse [1 2 3])", "[3 2 1]"}, {"(reverse nil)", "[]"}, {`(reverse "ab")`, `["b" "a"]`},
		{"(sort [3 1 2])", "[1 2 3]"}, {"(sort [:b 1 \"a\" nil])", `[nil 1 "a" :b]`}, {"(sort > [3 1 2])", "[3 2 1]"},
		{"(sort (fn [a b] (- b a)) [3 1 2])", "[3 2 1]"}, {"(sort compare [2 1])", "[1 2]"},
		{"(sort (fn [a b] :x) [2 1])", "!error/type"}, {"(sort [])", "[]"}, {"(sort {:b 1 :a 2})", "[[:a 2] [:b 1]]"},
		{"(sort-by :k [{:k 2 :i 0} {:k 1 :i 1} {:k 2 :i 2} {:k 1 :i 3}])",
			"[{:i 1 :k 1} {:i 3 :k 1} {:i 0 :k 2} {:i 2 :k 2}]"},
		{"(sort-by first > [[1 :a] [2 :b] [1 :c]])", "[[2 :b] [1 :a] [1 :c]]"}, {"(sort-by count [[1 2] [] [3]])", "[[] [3] [1 2]]"},
		{"(distinct [1 2 1 3 2 1.0])", "[1 2 3 1.0]"}, {"(distinct nil)", "[]"},
		{"(range 5)", "[0 1 2 3 4]"}, {"(range 2 5)", "[2 3 4]"}, {"(range 0 10 3)", "[0 3 6 9]"}, {"(range 5 0 -2)", "[5 3 1]"},
		{"(range 0)", "[]"}, {"(range -3)", "[]"}, {"(range 1 10 0)", "!error/invalid-argument"}, {"(range)", "!error/invalid-argument"},
		{"(range 0 1 0.25)", "[0.0 0.25 0.5 0.75]"}, {"(range 0.5 3)", "[0.5 1.5 2.5]"}, {"(range :a)", "!error/type"},
		{"(range -9223372036854775808 -9223372036854775806)", "[-9223372036854775808 -9223372036854775807]"},
		{"(range 9223372036854775806 9223372036854775807 5)", "[9223372036854775806]"},
		{"(range 1.0e20 1.00000000000001e20 1.0)", "!error/invalid-argument"},
		{"(range 9223372036854775807)", "!limit/memory"}, {"(range -9223372036854775808 9223372036854775807)", "!limit/memory"},
		{"(range 0 ##Inf 1)", "!limit/memory"},
		{"(repeat 3 :x)", "[:x :x :x]"}, {"(repeat -1 :x)", "[]"}, {"(repeat 9223372036854775807 :x)", "!limit/memory"},
		{"(partition 2 [1 2 3 4 5])", "[[1 2] [3 4]]"}, {"(partition 2 1 [1 2 3])", "[[1 2] [2 3]]"},
		{"(partition 3 3 [:p] [1 2 3 4 5])", "[[1 2 3] [4 5 :p]]"}, {"(partition 3 1 [:p] [1 2 3 4])", "[[1 2 3] [2 3 4] [3 4 :p]]"},
		{"(partition 2 2 [:p] [1 2 3 4])", "[[1 2] [3 4]]"}, {"(partition 0 [1])", "!error/invalid-argument"},
		{"(partition 2 9223372036854775807 [1 2 3])", "[[1 2]]"}, {"(partition 9223372036854775807 [1 2])", "[]"},
		{"(flatten [1 [2 '(3 [4])] {:a 1} #{5}])", "[1 2 3 4 {:a 1} #{5}]"}, {"(flatten nil)", "[]"}, {"(flatten 5)", "[]"},
		{"(interleave [1 2 3] [:a :b])", "[1 :a 2 :b]"}, {"(interleave)", "[]"},
		{"(subvec [1 2 3 4] 1 3)", "[2 3]"}, {"(subvec [1 2 3] 1)", "[2 3]"}, {"(subvec [1 2] 2 1)", "!error/index"},
		{"(subvec [1 2] -1)", "!error/index"}, {"(subvec [1 2] 0 3)", "!error/index"}, {"(subvec '(1) 0)", "!error/type"},
	})
}

func TestCollections(t *testing.T) {
	check(t, []testCase{
		{"(list 1 2)", "(1 2)"}, {"(list)", "()"}, {"(vector 1 2)", "[1 2]"}, {"(vec '(1 2))", "[1 2]"}, {"(vec nil)", "[]"},
		{"(vec {:a 1})", "[[:a 1]]"}, {"(hash-map :a 1 :b 2)", "{:a 1 :b 2}"}, {"(hash-map :a)", "!error/invalid-argument"},
		{"(set [1 2 1])", "#{1 2}"}, {`(set "aba")`, `#{"a" "b"}`},
		{"(count [1 2])", "2"}, {"(count nil)", "0"}, {`(count "héllo")`, "5"}, {"(count {:a 1})", "1"}, {"(count 1)", "!error/type"},
		{"(get {:a 1} :a)", "1"}, {"(get {:a 1} :b)", "nil"}, {"(get {:a 1} :b 0)", "0"}, {"(get [1 2] 1)", "2"},
		{"(get [1 2] 5 :d)", ":d"}, {"(get #{1} 1)", "1"}, {"(get nil :a)", "nil"}, {`(get "abc" 1)`, `"b"`}, {"(get 5 1)", "nil"},
		{"(get {:a nil} :a 0)", "nil"},
		{"(get-in {:a {:b [1 2]}} [:a :b 1])", "2"}, {"(get-in {:a 1} [:x :y] :d)", ":d"}, {"(get-in {:a 1} [])", "{:a 1}"},
		{"(contains? {:a nil} :a)", "true"}, {"(contains? [1 2] 1)", "true"}, {"(contains? [1 2] 2)", "false"},
		{"(contains? #{:a} :a)", "true"}, {"(contains? nil 1)", "false"}, {`(contains? "ab" 1)`, "true"},
		{"(contains? '(1) 0)", "!error/type"},
		{"(find {:a 1} :a)", "[:a 1]"}, {"(find {:a 1} :b)", "nil"}, {"(find [5 6] 1)", "[1 6]"},
		{"(assoc {} :a 1 :b 2)", "{:a 1 :b 2}"}, {"(assoc nil :a 1)", "{:a 1}"}, {"(assoc [1 2] 0 :x)", "[:x 2]"},
		{"(assoc [1 2] 2 3)", "[1 2 3]"}, {"(assoc [1 2] 3 3)", "!error/index"}, {"(assoc [1] -1 0)", "!error/index"},
		{"(assoc {} :a)", "!error/arity"}, {"(assoc {} :a 1 :b)", "!error/invalid-argument"}, {"(assoc 1 2 3)", "!error/type"},
		{"(assoc-in {} [:a :b] 1)", "{:a {:b 1}}"}, {"(assoc-in {:a [1 2]} [:a 1] :x)", "{:a [1 :x]}"},
		{"(assoc-in {:a 1} [:a :b] 2)", "!error/type"}, {"(assoc-in {} [] 1)", "{nil 1}"},
		{"(dissoc {:a 1 :b 2} :a :c)", "{:b 2}"}, {"(dissoc nil :a)", "nil"}, {"(dissoc [1] 0)", "!error/type"},
		{"(update {:a 1} :a inc)", "{:a 2}"}, {"(update {:a 1} :a + 10 20)", "{:a 31}"},
		{"(update [1 2] 0 inc)", "[2 2]"}, {"(update nil :a (constantly 1))", "{:a 1}"},
		{"(update-in {:a {:b 1}} [:a :b] + 2)", "{:a {:b 3}}"}, {"(update-in {} [:x :y] (constantly 0))", "{:x {:y 0}}"},
		{"(merge {:a 1} {:b 2} nil {:a 3})", "{:a 3 :b 2}"}, {"(merge)", "nil"}, {"(merge nil)", "nil"}, {"(merge {:a 1} [:b 2])", "{:a 1 :b 2}"},
		{"(merge 1 {})", "!error/type"},
		{"(keys {:b 2 :a 1})", "[:a :b]"}, {"(vals {:b 2 :a 1})", "[1 2]"}, {"(keys {})", "[]"}, {"(keys nil)", "[]"}, {"(keys [1])", "!error/type"},
		{"(select-keys {:a 1 :b 2 :c 3} [:a :c :d])", "{:a 1 :c 3}"}, {"(select-keys nil [:a])", "{}"},
		{"(zipmap [:a :b :c] [1 2])", "{:a 1 :b 2}"}, {"(frequencies [:a :b :a])", "{:a 2 :b 1}"},
		{"(group-by even? [1 2 3 4])", "{false [1 3] true [2 4]}"}, {"(group-by count [\"a\" \"bb\" \"c\"])", `{1 ["a" "c"] 2 ["bb"]}`},
		{"(conj [1] 2 3)", "[1 2 3]"}, {"(conj '(1) 2 3)", "(3 2 1)"}, {"(conj nil 1)", "(1)"}, {"(conj #{1} 2)", "#{1 2}"},
		{"(conj {:a 1} [:b 2])", "{:a 1 :b 2}"}, {"(conj {} {:a 1})", "{:a 1}"}, {"(conj {} [:a])", "!error/invalid-argument"},
		{"(conj)", "[]"}, {"(conj [1])", "[1]"}, {`(conj "a" "b")`, "!error/type"}, {"(conj 1)", "!error/type"},
		{"(into [] '(1 2))", "[1 2]"}, {"(into '() [1 2])", "(2 1)"}, {"(into {} [[:a 1]])", "{:a 1}"},
		{"(into #{} [1 1 2])", "#{1 2}"}, {"(into [0] #{2 1})", "[0 1 2]"}, {"(into {:a 1} {:b 2})", "{:a 1 :b 2}"},
		{"(into nil [1 2])", "(2 1)"}, {"(into)", "[]"},
		{"(empty [1])", "[]"}, {"(empty '(1))", "()"}, {"(empty {:a 1})", "{}"}, {"(empty #{1})", "#{}"}, {"(empty nil)", "nil"},
	})
}

func TestStrings(t *testing.T) {
	check(t, []testCase{
		{`(str)`, `""`}, {`(str "a" 1 nil :k 2.0 [1 "x"])`, `"a1:k2.0[1 \"x\"]"`}, {`(pr-str "a" 1 nil)`, `"\"a\" 1 nil"`},
		{`(subs "héllo" 1 3)`, `"él"`}, {`(subs "abc" 1)`, `"bc"`}, {`(subs "abc" 3)`, `""`}, {`(subs "abc" 2 1)`, "!error/index"},
		{`(subs "abc" 0 4)`, "!error/index"}, {`(subs "abc" -1)`, "!error/index"}, {`(subs 1 0)`, "!error/type"},
		{`(string-length "héllo")`, "5"}, {`(upper-case "abé")`, `"ABÉ"`}, {`(lower-case "AB")`, `"ab"`}, {`(trim "  a b \n")`, `"a b"`},
		{`(split "a,,b" ",")`, `["a" "" "b"]`}, {`(split "a,b," ",")`, `["a" "b" ""]`}, {`(split "abc" "")`, `["a" "b" "c"]`},
		{`(split "a,b,c" "," 2)`, `["a" "b,c"]`}, {`(split "" ",")`, `[""]`},
		{`(join [1 2 3])`, `"123"`}, {`(join ", " ["a" :b nil])`, `"a, :b, "`}, {`(join ["a" "b"] "-")`, `"a-b"`},
		{`(join "," "abc")`, `"a,b,c"`}, {`(join "," [])`, `""`},
		{`(starts-with? "abc" "ab")`, "true"}, {`(ends-with? "abc" "bc")`, "true"}, {`(includes? "abc" "x")`, "false"},
		{`(starts-with? "abc" :a)`, "!error/type"},
		{`(replace "a.b.c" "." "-")`, `"a-b-c"`}, {`(replace "aaa" "a" "bb")`, `"bbbbbb"`}, {`(replace "ab" "" "-")`, `"-a-b-"`},
		{`(re-find "\\d+" "ab12cd34")`, `"12"`}, {`(re-find "x" "abc")`, "nil"}, {`(re-find "(\\w)(\\d)?" "a")`, `["a" "a" nil]`},
		{`(re-find "(" "a")`, "!error/invalid-argument"},
		{`(re-matches "a|ab" "ab")`, `"ab"`}, {`(re-matches "\\d+" "12a")`, "nil"}, {`(re-matches "(\\d)(\\d)" "12")`, `["12" "1" "2"]`},
		{`(re-seq "\\d" "a1b2")`, `["1" "2"]`}, {`(re-seq "x" "abc")`, "[]"}, {`(re-seq "(\\w)=(\\d)" "a=1 b=2")`, `[["a=1" "a" "1"] ["b=2" "b" "2"]]`},
		{`(format "%s-%d-%.2f-%x-%%" :a 42 3.14159 255)`, `":a-42-3.14-ff-%"`}, {`(format "%s" nil)`, `""`}, {`(format "%f" 1)`, `"1.000000"`},
		{`(format "%5d|%-3s|%05.1f" 42 "a" 2.25)`, `"   42|a  |002.3"`},
		{`(format "%.1f|%.2f|%.0f|%.2f|%.3f" 0.15 2.675 0.5 -0.001 999.9996)`, `"0.2|2.68|1|-0.00|1000.000"`},
		{`(format "%.2f|%+.1f|% .1f|%-6.1f|%f" 1e-10 1.25 2.0 -3.5 1e21)`, `"0.00|+1.3| 2.0|-3.5  |1000000000000000000000.000000"`},
		{`(format "%.3f|%.1f|%.0f|%8.2f|%08.2f" 0.0005 0.04 9.5 ##-Inf -1.5)`, `"0.001|0.0|10|-Infinity|-0001.50"`},
		{`(format "%.2f|%.1f|%.2f" 123.456 -0.0 5)`, `"123.46|-0.0|5.00"`}, {`(format "%x" -1)`, `"ffffffffffffffff"`},
		{`(format "%d" 1.5)`, "!error/type"}, {`(format "%d")`, "!error/invalid-argument"}, {`(format "%q" 1)`, "!error/invalid-argument"},
		{`(format "%999999999d" 1)`, "!error/invalid-argument"}, {`(format "%.99999999999999999999f" 1.0)`, "!error/invalid-argument"},
		{`(format "abc%")`, "!error/invalid-argument"}, {`(format "é %s" "ü")`, `"é ü"`},
		{`(parse-int "42")`, "42"}, {`(parse-int "-7")`, "-7"}, {`(parse-int "4x")`, "nil"}, {`(parse-int "99999999999999999999")`, "nil"},
		{`(parse-int " 1")`, "nil"}, {`(parse-int 1)`, "!error/type"},
		{`(parse-float "1.5")`, "1.5"}, {`(parse-float "2")`, "2.0"}, {`(parse-float "1e3")`, "1000.0"}, {`(parse-float "x")`, "nil"},
		{`(parse-float "NaN")`, "nil"}, {`(parse-float "1e999")`, "##Inf"}, {`(parse-float "")`, "nil"},
		{`(name :a/b)`, `"b"`}, {`(name :a)`, `"a"`}, {`(name 'x.y/z)`, `"z"`}, {`(name "s")`, `"s"`}, {`(name 1)`, "!error/type"},
		{`(keyword "a")`, ":a"}, {`(keyword "ns" "a")`, ":ns/a"}, {`(keyword :a)`, ":a"}, {`(keyword nil)`, "nil"}, {`(keyword 1)`, "!error/type"},
		{`(symbol "a")`, "a"}, {`(symbol "ns" "a")`, "ns/a"},
	})
}

func TestHigherOrder(t *testing.T) {
	check(t, []testCase{
		{"(map inc [1 2 3])", "[2 3 4]"}, {"(map + [1 2 3] [10 20])", "[11 22]"}, {"(map inc nil)", "[]"},
		{"(map :a [{:a 1} {:b 2}])", "[1 nil]"}, {`(map upper-case "ab")`, `["A" "B"]`}, {"(map first {:a 1 :b 2})", "[:a :b]"},
		{"(map {:a 1} [:a :b])", "[1 nil]"}, {"(map #{1} [1 2])", "[1 nil]"}, {"(map [10 20] [1 0])", "[20 10]"},
		{"(mapv inc '(1 2))", "[2 3]"}, {"(map inc [1 :a])", "!error/type"}, {"(map 1 [1])", "!error/type"},
		{"(filter even? [1 2 3 4])", "[2 4]"}, {"(remove even? [1 2 3 4])", "[1 3]"}, {"(filter even? nil)", "[]"},
		{"(keep :a [{:a 1} {:b 2} {:a false}])", "[1 false]"},
		{"(reduce + [1 2 3])", "6"}, {"(reduce + [])", "0"}, {"(reduce + 10 [1 2])", "13"}, {"(reduce + [5])", "5"},
		{"(reduce conj [] '(1 2))", "[1 2]"}, {"(reduce (fn [m e] (assoc m (second e) (first e))) {} {:a 1 :b 2})", "{1 :a 2 :b}"},
		{"(reduce max [])", "!error/arity"},
		{"(apply + 1 2 [3 4])", "10"}, {"(apply + [])", "0"}, {"(apply str \"ab\")", `"ab"`}, {"(apply + 1)", "!error/type"},
		{"(map-indexed vector [:a :b])", "[[0 :a] [1 :b]]"},
		{"(some even? [1 2 3])", "true"}, {"(some :a [{:b 1} {:a 5}])", "5"}, {"(some even? [])", "nil"},
		{"(every? even? [2 4])", "true"}, {"(every? even? [2 3])", "false"}, {"(every? even? [])", "true"},
		{"((comp inc inc) 1)", "3"}, {"((comp str +) 1 2)", `"3"`}, {"((comp) 5)", "5"}, {"((comp inc) 1)", "2"},
		{"((comp first :xs) {:xs [7 8]})", "7"},
		{"((partial + 1 2) 3 4)", "10"}, {"((partial inc))", "!error/arity"}, {"((constantly 7) 1 2 3)", "7"},
		{"((juxt first last count) [1 2 3])", "[1 3 3]"}, {"(identity 4)", "4"},
		{"(map #(* % %) [1 2])", "[1 4]"}, {"(map #(vector %1 %&) [1 2])", "[[1 nil] [2 nil]]"},
	})
}

func TestJSONAndErrors(t *testing.T) {
	check(t, []testCase{
		{`(parse-json "{\"a\": [1, 2.5, \"x\", true, null], \"b/c\": {}}")`, `{:a [1 2.5 "x" true nil] :b/c {}}`},
		{`(parse-json "1e2")`, "100.0"}, {`(parse-json "12345678901234567890")`, "12345678901234567000.0"},
		{`(parse-json "[1,")`, "!error/invalid-argument"}, {`(parse-json "1 2")`, "!error/invalid-argument"}, {`(parse-json "")`, "!error/invalid-argument"},
		{`(to-json {:b [1 2.0 nil] :a "x<y" "s" #{2 1}})`, `"{\"s\":[1,2],\"a\":\"x<y\",\"b\":[1,2.0,null]}"`},
		{`(to-json {1 2})`, "!error/invalid-argument"}, {`(to-json inc)`, "!error/invalid-argument"}, {`(to-json ##NaN)`, "!error/invalid-argument"},
		{`(to-json '(1 :a/b))`, `"[1,\"a/b\"]"`},
		{"(error-message {:error/kind :error/type :error/message \"boom\"})", `"boom"`},
		{"(getMessage {:error/kind :error/type :error/message \"boom\"})", `"boom"`},
		{"(error-kind {:error/kind :my/kind :error/message \"m\"})", ":my/kind"},
		{"(ex-data {:error/kind :k :error/message \"m\" :error/data {:x 1}})", "{:x 1}"},
		{"(ex-data {:error/kind :k :error/message \"m\"})", "nil"}, {"(ex-data 5)", "nil"},
		{"(error-kind 5)", "!error/type"},
	})
}

// TestFuel checks that work on large inputs is metered before it is done.
func TestFuel(t *testing.T) {
	for _, src := range []string{
		"(range 1000000)", "(repeat 1000000 1)", "(sort (range 1000))", "(count (str (range 1000)))",
		`(replace (apply str (repeat 100 "a")) "" "xxxxxxxxxx")`, `(format "%5000d" 1)`, "(to-json (range 1000))",
		"(flatten (repeat 1000 [1 2 3]))", "(partition 100 1 (range 200))",
	} {
		f := &fakeCaller{limit: 500}
		if got := run(t, f, src); got != "!limit/fuel" {
			t.Errorf("%s with 500 fuel: %s, want !limit/fuel", src, got)
		}
	}
	f := &fakeCaller{}
	run(t, f, "(sort (range 1024))")
	if f.fuel < 1024*10 {
		t.Errorf("sorting 1024 elements cost %d fuel, want at least n log n", f.fuel)
	}
}

// TestNoPanics calls every builtin with awkward arguments: none may panic or return a
// Go nil without an error.
func TestNoPanics(t *testing.T) {
	vals := []Value{
		value.Nil, value.True, value.Int(0), value.Int(-1), value.Int(1 << 62), value.Int(-1 << 63),
		value.Float(-0.5), value.String(""), value.String("a,b"), value.Keyword("k"), value.Symbol("s"),
		value.EmptyList, value.NewList(value.Int(1)), value.EmptyVector, value.NewVector([]Value{value.Int(1), value.Int(2)}),
		value.EmptyMap.Assoc(value.Keyword("a"), value.Int(1)), value.NewSet(value.Int(1)), byName["inc"],
	}
	small := []Value{value.Nil, value.Int(2), value.Int(-1), value.String("ab"), value.NewVector([]Value{value.Int(1)}), vals[15], byName["inc"]}
	for _, b := range table {
		for n := b.MinArgs; n <= 4 && (b.MaxArgs < 0 || n <= b.MaxArgs); n++ {
			vals := vals
			if n == 4 {
				vals = small
			}
			args := make([]Value, n)
			var try func(i int)
			try = func(i int) {
				if i == n {
					f := &fakeCaller{limit: 1 << 20}
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Errorf("(%s %v) panicked: %v", b.Name, args, r)
							}
						}()
						v, err := b.Fn(f, append([]Value(nil), args...))
						if err == nil && v == nil {
							t.Errorf("(%s %s) returned Go nil", b.Name, printArgs(args))
						}
					}()
					return
				}
				for _, v := range vals {
					args[i] = v
					try(i + 1)
				}
			}
			try(0)
		}
	}
}

func printArgs(args []Value) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = value.Print(a)
	}
	return strings.Join(s, " ")
}

func TestRegistry(t *testing.T) {
	names := Names()
	if len(names) != len(table) {
		t.Fatalf("Names has %d entries, table %d", len(names), len(table))
	}
	for _, n := range names {
		b, ok := Lookup(n)
		if !ok || b.Name != n || b.Fn == nil || (b.MaxArgs >= 0 && b.MaxArgs < b.MinArgs) {
			t.Errorf("bad entry %q", n)
		}
	}
	if _, ok := Lookup("no-such-fn"); ok {
		t.Error("Lookup found no-such-fn")
	}
}
