package guest_test

import (
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// Every function is registered with the arity of the Go library (sort takes only the
// collection: sort with a comparator is written in RTFS).
func TestLibCollRegistered(t *testing.T) {
	for _, name := range collLibNames {
		fn, ok := guest.Library[name]
		if !ok {
			t.Errorf("%s is not registered", name)
			continue
		}
		if !guest.Has(fn.Routine) {
			t.Errorf("%s: no routine %s", name, fn.Routine)
		}
		if name == "match-message" {
			continue
		}
		b := collGoBuiltin(name)
		max := b.MaxArgs
		if name == "sort" {
			max = 1
		}
		if fn.Min != b.MinArgs || fn.Max != max {
			t.Errorf("%s takes %d..%d arguments, the Go library %d..%d", name, fn.Min, fn.Max, b.MinArgs, b.MaxArgs)
		}
	}
}

func TestLibCollCases(t *testing.T) {
	vm := newCollLibVM(t)
	runCollLibCases(t, vm, []collLibCase{
		{"count", `nil`, "0"}, {"count", `[1 2 3]`, "3"}, {"count", `"héllo"`, "5"}, {"count", `{:a 1}`, "1"},
		{"count", `#{1 2}`, "2"}, {"count", `(1 2)`, "2"}, {"count", `1`, "error :error/type"}, {"count", `:a`, ""},

		{"get", `{:a 1} :a`, "1"}, {"get", `{:a 1} :b 5`, "5"}, {"get", `#{1 2} 1`, "1"}, {"get", `#{1 2} 3 :d`, ":d"},
		{"get", `#{1 (1)} [1]`, "[1]"}, {"get", `[1 2 3] 1`, "2"}, {"get", `[1 2 3] 3 :d`, ":d"}, {"get", `[1 2 3] -1`, "nil"},
		{"get", `"héllo" 1`, `"é"`}, {"get", `"abc" 5 :d`, ":d"}, {"get", `nil :a`, "nil"}, {"get", `5 :a :d`, ":d"},
		{"get", `[1 2] 1.0`, "nil"}, {"get", `(1 2) 0`, "nil"}, {"get", `[1 2] 9223372036854775807 :d`, ":d"},
		{"get", `{[1] :x} (1)`, ":x"}, {"get", `{}`, "error :error/arity"},

		{"contains?", `{:a 1} :a`, "true"}, {"contains?", `#{nil} nil`, "true"}, {"contains?", `[1 2] 1`, "true"},
		{"contains?", `[1 2] 2`, "false"}, {"contains?", `"abc" 2`, "true"}, {"contains?", `"héllo" 5`, "false"},
		{"contains?", `nil 1`, "false"}, {"contains?", `(1 2) 0`, "error :error/type"}, {"contains?", `5 1`, "error :error/type"},
		{"contains?", `[1 2] -1`, "false"}, {"contains?", `{:a 1} :b`, "false"},

		{"find", `{:a 1} :a`, "[:a 1]"}, {"find", `{:a 1} :b`, "nil"}, {"find", `[5 6] 1`, "[1 6]"}, {"find", `[5 6] 2`, "nil"},
		{"find", `nil 1`, "nil"}, {"find", `#{1} 1`, "error :error/type"}, {"find", `"ab" 0`, "error :error/type"},
		{"find", `{0.0 :z} -0.0`, "[-0.0 :z]"},

		{"first", `nil`, "nil"}, {"first", `[]`, "nil"}, {"first", `[1 2]`, "1"}, {"first", `(3 4)`, "3"},
		{"first", `"héllo"`, `"h"`}, {"first", `#{3 1 2}`, "1"}, {"first", `{:b 2 :a 1}`, "[:a 1]"},
		{"first", `5`, "error :error/type"}, {"first", `:kw`, "error :error/type"}, {"first", `""`, "nil"},
		{"second", `[1 2]`, "2"}, {"second", `[1]`, "nil"}, {"second", `(1 2 3)`, "2"}, {"second", `"héllo"`, `"é"`},
		{"second", `#{3 1 2}`, "2"}, {"second", `{:b 2 :a 1}`, "[:b 2]"}, {"second", `true`, "error :error/type"},

		{"last", `[1 2 3]`, "3"}, {"last", `[]`, "nil"}, {"last", `"héllo"`, `"o"`}, {"last", `""`, "nil"},
		{"last", `(1 2 3)`, "3"}, {"last", `()`, "nil"}, {"last", `#{1 2 3}`, "3"}, {"last", `{:a 1 :b 2}`, "[:b 2]"},
		{"last", `nil`, "nil"}, {"last", `1`, "error :error/type"},

		{"rest", `nil`, "[]"}, {"rest", `[1]`, "[]"}, {"rest", `[1 2 3]`, "[2 3]"}, {"rest", `(1 2)`, "[2]"},
		{"rest", `"abc"`, `["b" "c"]`}, {"rest", `#{1 2}`, "[2]"}, {"rest", `{:a 1 :b 2}`, "[[:b 2]]"},
		{"rest", `5`, "error :error/type"},
		{"next", `nil`, "nil"}, {"next", `[1]`, "nil"}, {"next", `[1 2 3]`, "[2 3]"}, {"next", `(1 2)`, "[2]"},
		{"next", `"abc"`, `["b" "c"]`}, {"next", `5`, "error :error/type"},

		{"nth", `[1 2 3] 0`, "1"}, {"nth", `[1 2 3] 3`, "error :error/index"}, {"nth", `[1 2 3] 3 :d`, ":d"},
		{"nth", `[1 2 3] -1 :d`, ":d"}, {"nth", `(1 2 3) 2`, "3"}, {"nth", `(1 2 3) 3`, "error :error/index"},
		{"nth", `"héllo" 1`, `"é"`}, {"nth", `nil 0`, "error :error/index"}, {"nth", `nil 0 :d`, ":d"},
		{"nth", `#{1} 0`, "error :error/type"}, {"nth", `[1] 1.0`, "error :error/type"}, {"nth", `{:a 1} 0`, "error :error/type"},
		{"nth", `[1 2] 9223372036854775807`, "error :error/index"}, {"nth", `5 :a`, "error :error/type"},

		{"seq", `nil`, "nil"}, {"seq", `[]`, "nil"}, {"seq", `[1 2]`, "[1 2]"}, {"seq", `()`, "nil"}, {"seq", `(1 2)`, "[1 2]"},
		{"seq", `""`, "nil"}, {"seq", `"ab"`, `["a" "b"]`}, {"seq", `#{}`, "nil"}, {"seq", `#{2 1}`, "[1 2]"},
		{"seq", `{}`, "nil"}, {"seq", `{:a 1}`, "[[:a 1]]"}, {"seq", `1`, "error :error/type"},

		{"empty?", `nil`, "true"}, {"empty?", `[]`, "true"}, {"empty?", `[1]`, "false"}, {"empty?", `""`, "true"},
		{"empty?", `"a"`, "false"}, {"empty?", `{}`, "true"}, {"empty?", `#{}`, "true"}, {"empty?", `()`, "true"},
		{"empty?", `1`, "error :error/type"},

		{"keys", `{:b 2 :a 1 "c" 3 1 4}`, `[1 "c" :a :b]`}, {"keys", `{}`, "[]"}, {"keys", `nil`, "[]"},
		{"keys", `#{1}`, "error :error/type"}, {"keys", `[1]`, "error :error/type"},
		{"vals", `{:b 2 :a 1 "c" 3 1 4}`, `[4 3 1 2]`}, {"vals", `{}`, "[]"}, {"vals", `nil`, "[]"},
		{"vals", `5`, "error :error/type"},

		{"cons", `1 [2 3]`, "[1 2 3]"}, {"cons", `1 nil`, "[1]"}, {"cons", `1 (2 3)`, "[1 2 3]"}, {"cons", `1 #{3 2}`, "[1 2 3]"},
		{"cons", `1 {:a 1}`, "[1 [:a 1]]"}, {"cons", `1 "ab"`, `[1 "a" "b"]`}, {"cons", `1 2`, "error :error/type"},

		{"conj", ``, "[]"}, {"conj", `nil`, "nil"}, {"conj", `nil 1 2`, "(2 1)"}, {"conj", `[1] 2 3`, "[1 2 3]"},
		{"conj", `(1) 2 3`, "(3 2 1)"}, {"conj", `#{1} 1 2`, "#{1 2}"}, {"conj", `{:a 1} [:b 2]`, "{:a 1 :b 2}"},
		{"conj", `{:a 1} {:b 2 :c 3}`, "{:a 1 :b 2 :c 3}"}, {"conj", `{:a 1} nil`, "{:a 1}"},
		{"conj", `{:a 1} [:b]`, "error :error/invalid-argument"}, {"conj", `{:a 1} (:b 2)`, "error :error/type"},
		{"conj", `{:a 1} 5`, "error :error/type"}, {"conj", `1 2`, "error :error/type"}, {"conj", `"a" "b"`, "error :error/type"},
		{"conj", `5`, "error :error/type"}, {"conj", `{0.0 :a} [-0.0 :b]`, "{-0.0 :b}"}, {"conj", `#{0.0} -0.0`, "#{0.0}"},

		{"concat", ``, "[]"}, {"concat", `[1] (2) nil "ab" #{3} {:a 1}`, `[1 2 "a" "b" 3 [:a 1]]`},
		{"concat", `[1] 2`, "error :error/type"}, {"concat", `nil nil`, "[]"},

		{"take", `2 [1 2 3]`, "[1 2]"}, {"take", `5 [1 2 3]`, "[1 2 3]"}, {"take", `-1 [1 2]`, "[]"},
		{"take", `2 (1 2 3)`, "[1 2]"}, {"take", `2 "héllo"`, `["h" "é"]`}, {"take", `2 nil`, "[]"},
		{"take", `2 #{3 1 2}`, "[1 2]"}, {"take", `:a [1]`, "error :error/type"}, {"take", `2 5`, "error :error/type"},
		{"take", `9223372036854775807 [1 2]`, "[1 2]"}, {"take", `1.0 [1]`, "error :error/type"},
		{"drop", `2 [1 2 3]`, "[3]"}, {"drop", `5 [1 2 3]`, "[]"}, {"drop", `-1 [1 2]`, "[1 2]"},
		{"drop", `1 (1 2 3)`, "[2 3]"}, {"drop", `1 "héllo"`, `["é" "l" "l" "o"]`}, {"drop", `2 nil`, "[]"},
		{"drop", `:a [1]`, "error :error/type"}, {"drop", `2 5`, "error :error/type"},
		{"drop", `-9223372036854775808 [1]`, "[1]"},

		{"reverse", `[1 2 3]`, "[3 2 1]"}, {"reverse", `nil`, "[]"}, {"reverse", `"abc"`, `["c" "b" "a"]`},
		{"reverse", `(1 2)`, "[2 1]"}, {"reverse", `#{1 2}`, "[2 1]"}, {"reverse", `5`, "error :error/type"},

		{"distinct", `[1 2 1 3 2]`, "[1 2 3]"}, {"distinct", `[1 1.0 (1) [1]]`, "[1 1.0 (1)]"}, {"distinct", `"abba"`, `["a" "b"]`},
		{"distinct", `nil`, "[]"}, {"distinct", `[##NaN ##NaN]`, "[##NaN ##NaN]"}, {"distinct", `[0.0 -0.0]`, "[0.0]"},
		{"distinct", `:a`, "error :error/type"},

		{"range", ``, "error :error/invalid-argument"}, {"range", `5`, "[0 1 2 3 4]"}, {"range", `0`, "[]"}, {"range", `-3`, "[]"},
		{"range", `1 5`, "[1 2 3 4]"}, {"range", `5 1`, "[]"}, {"range", `5 1 -1`, "[5 4 3 2]"}, {"range", `0 10 3`, "[0 3 6 9]"},
		{"range", `0 1 0`, "error :error/invalid-argument"}, {"range", `5 1 0`, "error :error/invalid-argument"},
		{"range", `0 1 0.0`, "error :error/invalid-argument"}, {"range", `0 1 0.25`, "[0.0 0.25 0.5 0.75]"},
		{"range", `0.5 3`, "[0.5 1.5 2.5]"}, {"range", `3 0 -0.5`, ""}, {"range", `:a`, "error :error/type"},
		{"range", `0 :a`, "error :error/type"}, {"range", `0 1 :a`, "error :error/type"}, {"range", `:a :b 0.0`, "error :error/type"},
		{"range", `0 ##NaN`, "error :error/invalid-argument"}, {"range", `1e17 1.00000000000001e17 1`, "error :error/invalid-argument"},
		{"range", `0 ##Inf`, "limit :limit/memory"}, {"range", `##-Inf 0 1`, "limit :limit/memory"}, {"range", `0 1 ##Inf`, "[0.0]"},
		{"range", `1000000000000000000`, "limit :limit/memory"}, {"range", `16777217`, "limit :limit/memory"},
		{"range", `0 10 9223372036854775807`, "[0]"}, {"range", `9223372036854775807 9223372036854775800 -3`, ""},
		{"range", `-9223372036854775808 -9223372036854775806`, ""}, {"range", `-9223372036854775808 9223372036854775807 4611686018427387904`, ""},
		{"range", `0.1 0.5 0.1`, ""}, {"range", `1 2 ##-Inf`, "[]"}, {"range", `##-Inf ##Inf ##Inf`, "[##-Inf]"},

		{"repeat", `3 :a`, "[:a :a :a]"}, {"repeat", `0 :a`, "[]"}, {"repeat", `-1 :a`, "[]"}, {"repeat", `:a 1`, "error :error/type"},
		{"repeat", `100000000000 1`, "limit :limit/memory"},

		{"subvec", `[1 2 3] 1`, "[2 3]"}, {"subvec", `[1 2 3] 1 2`, "[2]"}, {"subvec", `[1 2 3] 0 3`, "[1 2 3]"},
		{"subvec", `[1 2 3] 2 1`, "error :error/index"}, {"subvec", `[1 2 3] -1`, "error :error/index"},
		{"subvec", `[1 2 3] 0 4`, "error :error/index"}, {"subvec", `(1 2) 0`, "error :error/type"},
		{"subvec", `[1] :a`, "error :error/type"}, {"subvec", `[1 2] 0 1.0`, "error :error/type"}, {"subvec", `[1 2] 2`, "[]"},

		{"assoc", `{} :a 1`, "{:a 1}"}, {"assoc", `nil :a 1 :b 2`, "{:a 1 :b 2}"}, {"assoc", `[1 2] 0 :x`, "[:x 2]"},
		{"assoc", `[1 2] 2 :x`, "[1 2 :x]"}, {"assoc", `[1 2] 3 :x`, "error :error/index"}, {"assoc", `[1 2] -1 :x`, "error :error/index"},
		{"assoc", `[1 2] :a 1`, "error :error/type"}, {"assoc", `{:a 1} :a`, "error :error/arity"},
		{"assoc", `{:a 1} :b 2 :c`, "error :error/invalid-argument"}, {"assoc", `#{} 1 2`, "error :error/type"},
		{"assoc", `(1) 0 1`, "error :error/type"}, {"assoc", `[1] 9223372036854775807 1`, "error :error/index"},
		{"assoc", `nil 0 1 0 2`, "{0 2}"}, {"assoc", `[1] 1 2 2 3 0 :z`, "[:z 2 3]"}, {"assoc", `5 :b 2 :c`, "error :error/invalid-argument"},
		{"assoc", `{0.0 :a} -0.0 :b`, "{-0.0 :b}"},

		{"dissoc", `{:a 1 :b 2} :a`, "{:b 2}"}, {"dissoc", `{:a 1} :c`, "{:a 1}"}, {"dissoc", `nil :a`, "nil"},
		{"dissoc", `{:a 1}`, "{:a 1}"}, {"dissoc", `[1] 0`, "error :error/type"}, {"dissoc", `#{1} 1`, "error :error/type"},
		{"dissoc", `{:a 1 :b 2} :a :b`, "{}"},

		{"into", ``, "[]"}, {"into", `[1]`, "[1]"}, {"into", `nil`, "nil"}, {"into", `5`, "error :error/type"},
		{"into", `[] (1 2)`, "[1 2]"}, {"into", `() [1 2]`, "(2 1)"}, {"into", `#{} [1 1 2]`, "#{1 2}"},
		{"into", `{} [[:a 1] [:b 2]]`, "{:a 1 :b 2}"}, {"into", `{} {:a 1}`, "{:a 1}"}, {"into", `nil [1 2]`, "(2 1)"},
		{"into", `[1] 5`, "error :error/type"}, {"into", `5 [1]`, "error :error/type"}, {"into", `{} [1]`, "error :error/type"},
		{"into", `{} [[1]]`, "error :error/invalid-argument"}, {"into", `[] "ab"`, `["a" "b"]`}, {"into", `5 6`, "error :error/type"},

		{"empty", `[1]`, "[]"}, {"empty", `(1)`, "()"}, {"empty", `{:a 1}`, "{}"}, {"empty", `#{1}`, "#{}"},
		{"empty", `"ab"`, "nil"}, {"empty", `nil`, "nil"}, {"empty", `1`, "nil"},

		{"vec", `nil`, "[]"}, {"vec", `[1]`, "[1]"}, {"vec", `(1 2)`, "[1 2]"}, {"vec", `#{2 1}`, "[1 2]"},
		{"vec", `{:a 1}`, "[[:a 1]]"}, {"vec", `"ab"`, `["a" "b"]`}, {"vec", `1`, "error :error/type"},

		{"set", `[1 1 2]`, "#{1 2}"}, {"set", `nil`, "#{}"}, {"set", `#{1}`, "#{1}"}, {"set", `"abca"`, `#{"a" "b" "c"}`},
		{"set", `{:a 1}`, "#{[:a 1]}"}, {"set", `1`, "error :error/type"}, {"set", `[0.0 -0.0]`, "#{0.0}"},
		{"set", `[-0.0 0.0]`, "#{-0.0}"},

		{"flatten", `[1 [2 (3 [4])] #{5} {:a 1}]`, "[1 2 3 4 #{5} {:a 1}]"}, {"flatten", `nil`, "[]"}, {"flatten", `5`, "[]"},
		{"flatten", `{:a 1}`, "[]"}, {"flatten", `(1 (2))`, "[1 2]"}, {"flatten", `[]`, "[]"}, {"flatten", `[[] [[]]]`, "[]"},

		{"sort", `[3 1 2]`, "[1 2 3]"}, {"sort", `[1 1.0 0.5 ##NaN -1 ##Inf]`, "[-1 0.5 1 1.0 ##Inf ##NaN]"},
		{"sort", `["b" "a" :a nil true false 1 [1] #{1} {:a 1} b]`, ""}, {"sort", `{:b 1 :a 2}`, "[[:a 2] [:b 1]]"},
		{"sort", `#{3 1 2}`, "[1 2 3]"}, {"sort", `"cba"`, `["a" "b" "c"]`}, {"sort", `nil`, "[]"}, {"sort", `5`, "error :error/type"},
		{"sort", `[(1) [1] (0) [0 0] 0.0 -0.0 0]`, "[0 0.0 -0.0 (0) [0 0] (1) [1]]"},

		{"compare", `1 2`, "-1"}, {"compare", `1 1.0`, "-1"}, {"compare", `1.0 1`, "1"}, {"compare", `##NaN 1`, "1"},
		{"compare", `##NaN ##NaN`, "0"}, {"compare", `nil false`, "-1"}, {"compare", `"a" :a`, "-1"}, {"compare", `[1 2] (1 2)`, "0"},
		{"compare", `[1 2] [1 3]`, "-1"}, {"compare", `[1] [1 0]`, "-1"}, {"compare", `#{1 2} #{1 3}`, "-1"},
		{"compare", `{:a 1} {:a 2}`, "-1"}, {"compare", `{:a 1} {:b 0}`, "-1"}, {"compare", `9223372036854775807 9.223372036854776e18`, "-1"},
		{"compare", `-0.0 0`, "1"}, {"compare", `0 -0.0`, "-1"}, {"compare", `2.5 2`, "1"}, {"compare", `-2.5 -2`, "-1"},
		{"compare", `-2 -2.5`, "1"}, {"compare", `:a :b`, "-1"}, {"compare", `a :b`, "1"}, {"compare", `true false`, "1"},
		{"compare", `{} #{}`, "1"}, {"compare", `-9223372036854775808 -9.223372036854776e18`, "-1"}, {"compare", `"é" "z"`, "1"},
		{"compare", `##-Inf -9223372036854775808`, "-1"}, {"compare", `4611686018427387904 4611686018427387903`, "1"},

		{"destructure-nth", `[1 2] 0`, "1"}, {"destructure-nth", `[1 2] 5`, "nil"}, {"destructure-nth", `(1 2) 1`, "2"},
		{"destructure-nth", `nil 0`, "nil"}, {"destructure-nth", `"héllo" 1`, `"é"`}, {"destructure-nth", `"ab" 5`, "nil"},
		{"destructure-nth", `{:a 1} 0`, "error :error/type"}, {"destructure-nth", `#{1} 0`, "error :error/type"},
		{"destructure-nth", `5 0`, "error :error/type"},
		{"destructure-rest", `[1 2 3] 1`, "(2 3)"}, {"destructure-rest", `[1] 1`, "nil"}, {"destructure-rest", `(1 2 3) 1`, "(2 3)"},
		{"destructure-rest", `(1) 1`, "nil"}, {"destructure-rest", `nil 0`, "nil"}, {"destructure-rest", `"abc" 1`, `("b" "c")`},
		{"destructure-rest", `"a" 1`, "nil"}, {"destructure-rest", `{:a 1} 0`, "error :error/type"},
		{"destructure-rest", `[1 2] 0`, "(1 2)"}, {"destructure-rest", `(1 2) 0`, "(1 2)"}, {"destructure-rest", `(1 2) 7`, "nil"},
		{"destructure-get", `{:a 1} :a nil`, "1"}, {"destructure-get", `{:a 1} :b 5`, "5"}, {"destructure-get", `nil :a 5`, "5"},
		{"destructure-get", `[1] 0 nil`, "error :error/type"}, {"destructure-get", `{:a nil} :a 5`, "nil"},
		{"match-length", `[1 2] 2`, "true"}, {"match-length", `(1 2) 2`, "true"}, {"match-length", `[1] 2`, "false"},
		{"match-length", `nil 0`, "false"}, {"match-length", `"ab" 2`, "false"}, {"match-length", `{:a 1} 1`, "false"},
		{"match-min-length", `[1 2] 1`, "true"}, {"match-min-length", `(1) 2`, "false"}, {"match-min-length", `nil 0`, "false"},
		{"match-min-length", `[] 0`, "true"},
		{"match-key", `{:a 1} :a`, "true"}, {"match-key", `{:a nil} :a`, "true"}, {"match-key", `{} :a`, "false"},
		{"match-key", `nil :a`, "false"}, {"match-key", `[1] 0`, "false"},
		{"match-equal", `1 1`, "true"}, {"match-equal", `1 1.0`, "false"}, {"match-equal", `[1] (1)`, "true"},
		{"match-equal", `##NaN ##NaN`, "false"}, {"match-equal", `{:a 1} {:a 1}`, "true"},
		{"match-message", `nil`, `"no match clause applies"`},
	})
}

// Vectors built from buffers have the Go model's shape at every size where it changes.
func TestLibCollVectorSizes(t *testing.T) {
	vm := newCollLibVM(t)
	for _, n := range []int64{0, 1, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025, 1056, 1057, 2000, 32768, 32769, 32800, 33824, 33825, 40000} {
		vm.reset()
		vm.collCheck(t, "range", value.Int(n))
		vm.reset()
		vm.collCheck(t, "reverse", vm.collLibValue(t, "range", value.Int(n)))
	}
}

// collLibValue is the Go library's result of a call (for building big arguments).
func (vm collVM) collLibValue(t *testing.T, name string, args ...value.Value) value.Value {
	t.Helper()
	v, err := collGoBuiltin(name).Fn(collCaller{}, args)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLibCollProperties(t *testing.T) {
	vm := newCollLibVM(t)
	coll, anyV, idx := genCollArg(), genValue(2, true), genCollIndex()
	key := rapid.OneOf(genKey(), idx, genValue(1, false))
	natural := rapid.Map(rapid.IntRange(0, 45), func(n int) value.Value { return value.Int(n) })
	entry := rapid.OneOf(anyV,
		rapid.Custom(func(t *rapid.T) value.Value {
			return value.NewVector([]value.Value{genKey().Draw(t, "k"), anyV.Draw(t, "v")})
		}),
		rapid.Custom(func(t *rapid.T) value.Value {
			m := value.EmptyMap
			for i, n := 0, rapid.IntRange(0, 5).Draw(t, "n"); i < n; i++ {
				m = m.Assoc(genKey().Draw(t, "k"), anyV.Draw(t, "v"))
			}
			return m
		}))
	// upTo draws between lo and hi arguments, the first from first, the rest from rest.
	upTo := func(lo, hi int, first *rapid.Generator[value.Value], rest ...*rapid.Generator[value.Value]) *rapid.Generator[[]value.Value] {
		return rapid.Custom(func(t *rapid.T) []value.Value {
			n := rapid.IntRange(lo, hi).Draw(t, "argc")
			out := make([]value.Value, n)
			for i := range out {
				g := first
				if i > 0 {
					g = rest[(i-1)%len(rest)]
				}
				out[i] = g.Draw(t, "arg")
			}
			return out
		})
	}
	num := rapid.OneOf(
		rapid.Map(rapid.IntRange(-30, 30), func(n int) value.Value { return value.Int(n) }),
		rapid.Map(rapid.SampledFrom([]float64{0, 0.5, -0.5, 0.25, 1.5, -2, 3, 0.1, 7.25}), func(f float64) value.Value { return value.Float(f) }),
		rapid.Map(rapid.SampledFrom([]value.Value{value.Nil, value.Keyword("a")}), func(v value.Value) value.Value { return v }),
	)
	props := []struct {
		name string
		gen  *rapid.Generator[[]value.Value]
	}{
		{"count", genCollArgs(coll)},
		{"get", upTo(2, 3, coll, key, anyV)},
		{"contains?", genCollArgs(coll, key)},
		{"find", genCollArgs(coll, key)},
		{"first", genCollArgs(coll)},
		{"second", genCollArgs(coll)},
		{"last", genCollArgs(coll)},
		{"rest", genCollArgs(coll)},
		{"next", genCollArgs(coll)},
		{"nth", upTo(2, 3, coll, idx, anyV)},
		{"seq", genCollArgs(coll)},
		{"empty?", genCollArgs(coll)},
		{"keys", genCollArgs(coll)},
		{"vals", genCollArgs(coll)},
		{"cons", genCollArgs(anyV, coll)},
		{"conj", upTo(0, 5, coll, entry)},
		{"concat", upTo(0, 4, coll, coll)},
		{"take", genCollArgs(idx, coll)},
		{"drop", genCollArgs(idx, coll)},
		{"reverse", genCollArgs(coll)},
		{"distinct", genCollArgs(rapid.OneOf(coll, rapid.Map(rapid.SliceOfN(genKey(), 0, 60), func(xs []value.Value) value.Value { return value.NewVector(xs) })))},
		{"range", upTo(0, 3, num, num)},
		{"repeat", genCollArgs(rapid.OneOf(natural, idx), anyV)},
		{"subvec", upTo(2, 3, coll, idx)},
		{"assoc", upTo(3, 8, coll, key, anyV)},
		{"dissoc", upTo(1, 5, coll, key)},
		{"into", upTo(0, 2, coll, rapid.OneOf(coll, rapid.Map(rapid.SliceOfN(entry, 0, 6), func(xs []value.Value) value.Value { return value.NewVector(xs) })))},
		{"empty", genCollArgs(coll)},
		{"vec", genCollArgs(coll)},
		{"set", genCollArgs(coll)},
		{"flatten", genCollArgs(coll)},
		{"sort", genCollArgs(coll)},
		{"compare", genCollArgs(anyV, anyV)},
		{"destructure-nth", genCollArgs(coll, natural)},
		{"destructure-rest", genCollArgs(coll, natural)},
		{"destructure-get", genCollArgs(coll, key, anyV)},
		{"match-length", genCollArgs(coll, natural)},
		{"match-min-length", genCollArgs(coll, natural)},
		{"match-key", genCollArgs(coll, key)},
		{"match-equal", genCollArgs(anyV, anyV)},
	}
	for _, p := range props {
		t.Run(p.name, func(t *testing.T) { checkCollProperty(t, vm, p.name, p.gen) })
	}
}

// compare agrees with value.Compare on values and their equal variants, and sorting
// a vector of mixed values matches the Go library.
func TestLibCollCompareVariants(t *testing.T) {
	vm := newCollLibVM(t)
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		a := genValue(3, true).Draw(rt, "a")
		b := variant(rt, a)
		vm.collCheck(rt, "compare", a, b)
		vm.collCheck(rt, "compare", b, a)
		vm.collCheck(rt, "sort", value.NewVector([]value.Value{a, b, genValue(2, true).Draw(rt, "c"), a}))
	})
}

// sorted_entries and sorted_elems list maps and sets in the total order.
func TestLibCollSortedEntries(t *testing.T) {
	vm := newCollVM(t, "sorted_entries", "sorted_elems")
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		m := value.EmptyMap
		s := value.EmptySet
		for i, n := 0, rapid.IntRange(0, 80).Draw(rt, "n"); i < n; i++ {
			k := rapid.OneOf(genKey(), genValue(2, false)).Draw(rt, "key")
			m = m.Assoc(k, genValue(1, true).Draw(rt, "val"))
			s = s.Conj(k)
		}
		var entries, elems []value.Value
		for _, e := range m.Entries() {
			entries = append(entries, value.NewVector([]value.Value{e.Key, e.Val}))
		}
		elems = s.Elems()
		for _, c := range []struct {
			routine string
			coll    value.Value
			want    []value.Value
		}{{"sorted_entries", m, entries}, {"sorted_elems", s, elems}} {
			r := vm.call(c.routine, vm.write(c.coll))
			checkVectorShape(rt, vm, r)
			got, err := heap.Reader{Mem: vm.mod.Memory()}.Read(r)
			if err != nil {
				rt.Fatal(err)
			}
			if want := value.NewVector(c.want); value.Print(got) != value.Print(want) {
				rt.Fatalf("%s(%s) = %s, want %s", c.routine, value.Print(c.coll), value.Print(got), value.Print(want))
			}
		}
	})
}

// Functions compare by name ("" when anonymous), after every other type.
func TestLibCollCompareFunctions(t *testing.T) {
	vm := newCollLibVM(t)
	fn := func(name string) value.Value {
		p := vm.call32("alloc", layout.TypeClosure, 2)
		var nameRef uint64 = layout.Nil
		if name != "" {
			nameRef = vm.write(value.String(name))
		}
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, nameRef)
		vm.mod.Memory().Write(p+layout.ClosureName, b)
		return &heap.GuestFunction{Name: name, Ref: uint64(p)}
	}
	fs := []value.Value{fn("b"), fn(""), fn("a"), fn("ab"), fn("a"), value.EmptyMap, value.Int(1), fn("")}
	for _, a := range fs {
		for _, b := range fs {
			vm.collCheck(t, "compare", a, b)
		}
	}
	vm.collCheck(t, "sort", value.NewVector(fs))
}

// The guest stops at the memory limit (64 MiB in these tests) where the Go library,
// given unlimited memory, would build the vector.
func TestLibCollMemoryLimit(t *testing.T) {
	vm := newCollLibVM(t)
	for _, c := range []struct{ name, args string }{
		{"range", "8000000"}, {"range", "0.0 8000000"}, {"repeat", "8000000 :a"},
	} {
		vm.reset()
		if got := vm.collLib(t, c.name, collReadArgs(t, c.args)...); got != "limit :limit/memory" {
			t.Errorf("(%s %s) = %s, want the memory limit", c.name, c.args, got)
		}
	}
}

// Counts that would wrap around 32 bits (a big vector shared many times over) stop at
// the memory limit.
func TestLibCollSharedHuge(t *testing.T) {
	vm := newCollLibVM(t)
	big := vm.write(vm.collLibValue(t, "range", value.Int(100000)))
	outer := uint64(layout.EmptyVector)
	args := make([]uint64, 42950) // 100000 * 42950 = 2^32 + 32704
	for i := range args {
		outer = vm.call("vector_conj", outer, big)
		args[i] = big
	}
	if got := vm.collLibRefs(t, "flatten", outer); got != "limit :limit/memory" {
		t.Errorf("flatten of 42950 shared vectors of 100000: %s", got)
	}
	if got := vm.collLibRefs(t, "concat", args...); got != "limit :limit/memory" {
		t.Errorf("concat of 42950 shared vectors of 100000: %s", got)
	}
	if got := vm.collLibRefs(t, "count", outer); got != "42950" {
		t.Errorf("count = %s", got)
	}
}
