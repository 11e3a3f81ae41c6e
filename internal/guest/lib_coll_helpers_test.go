package guest_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/patterns"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// The library functions of lib_coll*.go.
var collLibNames = []string{
	"count", "get", "contains?", "find", "first", "second", "last", "rest", "next", "nth", "seq",
	"empty?", "keys", "vals", "cons", "conj", "concat", "take", "drop", "reverse", "distinct",
	"range", "repeat", "subvec", "assoc", "dissoc", "into", "empty", "vec", "set", "flatten",
	"sort", "compare",
	"destructure-nth", "destructure-rest", "destructure-get", "match-length",
	"match-min-length", "match-key", "match-equal", "match-message",
}

// collPatternBuiltins are the Go implementations of the pattern primitives.
var collPatternBuiltins = map[string]*value.Builtin{
	"destructure-nth": patterns.Nth, "destructure-rest": patterns.Rest, "destructure-get": patterns.Get,
	"match-length": patterns.SeqLen, "match-min-length": patterns.SeqMin, "match-key": patterns.MapHas,
	"match-equal": patterns.Equal,
}

// collGoBuiltin is the Go implementation of a library function.
func collGoBuiltin(name string) *value.Builtin {
	if b, ok := collPatternBuiltins[name]; ok {
		return b
	}
	b, ok := stdlib.Lookup(name)
	if !ok {
		panic("no Go builtin " + name)
	}
	return b
}

// collCaller is the value.Caller of the Go library in these tests: unlimited fuel and
// memory, and no functions to call.
type collCaller struct{}

func (collCaller) Call(value.Value, []value.Value) (value.Value, error) {
	return nil, errors.New("the collection library calls no functions")
}
func (collCaller) Charge(int) error     { return nil }
func (collCaller) Allocate(int64) error { return nil }

// collOutcome is how a call ended, comparable across engines: the printed value, or the
// error kind, or the limit.
func collOutcome(v value.Value, err error) string {
	var e *value.Error
	var l *value.LimitError
	switch {
	case errors.As(err, &l):
		return "limit " + value.Print(l.Limit)
	case errors.As(err, &e):
		return "error " + value.Print(e.ErrKind)
	case err != nil:
		return "go error " + err.Error()
	}
	return value.Print(v)
}

// collGoLib runs the Go library function name.
func collGoLib(name string, args ...value.Value) string {
	b := collGoBuiltin(name)
	if len(args) < b.MinArgs || b.MaxArgs >= 0 && len(args) > b.MaxArgs {
		return "error " + value.Print(value.ErrArity)
	}
	return collOutcome(b.Fn(collCaller{}, args))
}

// newCollLibVM is a collection VM exporting the routines of the collection library.
func newCollLibVM(t *testing.T) collVM {
	t.Helper()
	var rs []string
	for _, name := range collLibNames {
		rs = append(rs, guest.Library[name].Routine)
	}
	return newCollVM(t, rs...)
}

// collLib runs library function name in the guest on Go values, the way the wasm engine
// calls it (guest.Library), and returns its outcome; a vector result must have the canonical shape.
func (vm collVM) collLib(t tb, name string, args ...value.Value) string {
	t.Helper()
	fn, ok := guest.Library[name]
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	if len(args) < fn.Min || fn.Max >= 0 && len(args) > fn.Max {
		return "error " + value.Print(value.ErrArity)
	}
	gs := make([]uint64, len(args))
	for i, a := range args {
		gs[i] = vm.write(a)
	}
	return vm.collLibRefs(t, name, gs...)
}

// collLibRefs runs library function name on guest values.
func (vm collVM) collLibRefs(t tb, name string, gs ...uint64) string {
	t.Helper()
	fn := guest.Library[name]
	vm.raised = nil
	var res []uint64
	var err error
	if fn.Fixed == guest.Variadic {
		addr := vm.call32("alloc", layout.TypeVNode, uint64(len(gs))) + layout.HeaderSize
		b := make([]byte, 8*len(gs))
		for i, g := range gs {
			binary.LittleEndian.PutUint64(b[8*i:], g)
		}
		if !vm.mod.Memory().Write(addr, b) {
			t.Fatal("arguments outside memory")
		}
		res, err = vm.mod.ExportedFunction(fn.Routine).Call(vm.ctx, uint64(addr), uint64(len(gs)))
	} else {
		res, err = vm.mod.ExportedFunction(fn.Routine).Call(vm.ctx, gs...)
	}
	if err != nil {
		if strings.Contains(err.Error(), fmt.Sprintf("abort %d", guest.AbortMemory)) {
			return "limit " + value.Print(value.LimitMemory)
		}
		t.Fatalf("%s: %v", name, err)
	}
	r := res[0]
	if r == layout.Err {
		if len(vm.raised) != 1 {
			t.Fatalf("%s returned Err after raising %v", name, vm.raised)
		}
		code, ok := guest.ErrorCodes[vm.raised[0]]
		if !ok {
			t.Fatalf("%s raised the unknown code %d", name, vm.raised[0])
		}
		return "error " + value.Print(code.Kind)
	}
	if len(vm.raised) != 0 {
		t.Fatalf("%s raised %v but returned %#x", name, vm.raised, r)
	}
	if layout.IsPointer(r) && vm.typeOf(r) == layout.TypeVector {
		checkVectorShape(t, vm, r)
	}
	x, err := heap.Reader{Mem: vm.mod.Memory()}.Read(r)
	if err != nil {
		t.Fatalf("%s: reading the result %#x: %v", name, r, err)
	}
	return value.Print(x)
}

// collCheck checks one call against the Go library.
func (vm collVM) collCheck(t tb, name string, args ...value.Value) string {
	t.Helper()
	want := `"no match clause applies"` // match-message has no Go builtin: any string will do
	if name != "match-message" {
		want = collGoLib(name, args...)
	}
	got := vm.collLib(t, name, args...)
	if got != want {
		t.Fatalf("(%s %s): guest %s, Go %s", name, collPrintArgs(args), got, want)
	}
	return got
}

func collPrintArgs(args []value.Value) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = value.Print(a)
	}
	return strings.Join(s, " ")
}

// collReadArgs reads the forms of src as data: the arguments of a table test.
func collReadArgs(t *testing.T, src string) []value.Value {
	t.Helper()
	forms, err := syntax.Read("test", src)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]value.Value, len(forms))
	for i, f := range forms {
		out[i] = syntax.Datum(f)
	}
	return out
}

// collLibCase is a table test: a call written as source, and the outcome it must have
// (checked against the Go library in any case; want may be "" to rely on that alone).
type collLibCase struct {
	name, args, want string
}

func runCollLibCases(t *testing.T, vm collVM, cases []collLibCase) {
	t.Helper()
	for _, c := range cases {
		vm.reset()
		got := vm.collCheck(t, c.name, collReadArgs(t, c.args)...)
		if c.want != "" && got != c.want {
			t.Errorf("(%s %s) = %s, want %s", c.name, c.args, got, c.want)
		}
	}
}

// Generators of arguments.

// genCollArg draws seqables and the odd non-seqable: nil, lists, vectors (long ones too),
// sets, maps, strings, numbers, keywords.
func genCollArg() *rapid.Generator[value.Value] {
	return rapid.OneOf(
		genValue(2, true),
		rapid.Map(rapid.SliceOfN(genValue(1, true), 0, 300), func(xs []value.Value) value.Value { return value.NewVector(xs) }),
		rapid.Map(rapid.SliceOfN(genScalar(true), 0, 12), func(xs []value.Value) value.Value { return value.NewList(xs...) }),
		rapid.Map(rapid.SliceOfN(genKey(), 0, 40), func(xs []value.Value) value.Value { return value.NewSet(xs...) }),
		rapid.Custom(func(t *rapid.T) value.Value {
			m := value.EmptyMap
			for i, n := 0, rapid.IntRange(0, 40).Draw(t, "entries"); i < n; i++ {
				m = m.Assoc(genKey().Draw(t, "key"), genValue(1, true).Draw(t, "val"))
			}
			return m
		}),
		rapid.Map(rapid.StringN(0, 12, -1), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.SampledFrom([]string{"", "héllo", "a\xffb", "\xe2\x82", "日本語", "x\xed\xa0\x80y", "😀!"}),
			func(s string) value.Value { return value.String(s) }),
	)
}

// genCollIndex draws integers around the sizes genCollArg draws, big ones, and
// non-integers.
func genCollIndex() *rapid.Generator[value.Value] {
	return rapid.OneOf(
		rapid.Map(rapid.IntRange(-3, 45), func(n int) value.Value { return value.Int(n) }),
		rapid.Map(rapid.IntRange(0, 310), func(n int) value.Value { return value.Int(n) }),
		rapid.Map(rapid.SampledFrom([]int64{layout.FixnumMax, layout.FixnumMin, layout.FixnumMax + 1, -1 << 63, 1<<63 - 1}),
			func(n int64) value.Value { return value.Int(n) }),
		rapid.Map(rapid.SampledFrom([]value.Value{value.Float(1), value.Nil, value.String("1"), value.Keyword("a")}),
			func(v value.Value) value.Value { return v }),
	)
}

// genCollArgs draws argument lists from one generator per position.
func genCollArgs(gens ...*rapid.Generator[value.Value]) *rapid.Generator[[]value.Value] {
	return rapid.Custom(func(t *rapid.T) []value.Value {
		out := make([]value.Value, len(gens))
		for i, g := range gens {
			out[i] = g.Draw(t, fmt.Sprintf("arg%d", i))
		}
		return out
	})
}

// checkCollProperty draws argument lists and compares the guest with the Go library.
func checkCollProperty(t *testing.T, vm collVM, name string, gen *rapid.Generator[[]value.Value]) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		vm.collCheck(rt, name, gen.Draw(rt, "args")...)
	})
}
