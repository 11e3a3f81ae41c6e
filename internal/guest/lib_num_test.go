package guest_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/value"
)

// The numeric library against package stdlib: every function runs on the same values
// in the guest (through the routine and calling convention guest.Library registers)
// and in Go, and the results must be numIdentical (floats to the bit, -0.0 and all;
// integers of the same value, and a fixnum whenever they fit one) or errors of the same
// kind.

// numLibNames are the library functions of lib_num*.go.
var numLibNames = []string{
	"+", "-", "*", "/", "quot", "rem", "mod", "inc", "dec", "abs", "min", "max",
	"sqrt", "floor", "ceil", "round", "pow",
	"=", "not=", "<", ">", "<=", ">=",
	"not", "nil?", "some?", "true?", "false?", "boolean?", "int?", "float?", "number?", "string?",
	"keyword?", "symbol?", "fn?", "map?", "vector?", "list?", "set?", "coll?", "seq?",
	"zero?", "pos?", "neg?", "even?", "odd?",
}

// numHelpers are the float routines the tests call directly.
var numHelpers = []string{"lib_num_fmod", "lib_num_fma", "lib_num_exp", "lib_num_log", "lib_num_pow", "lib_num_round"}

type numVM struct{ collVM }

func newNumVM(t *testing.T) numVM {
	t.Helper()
	var routines []string
	for _, name := range numLibNames {
		lf, ok := guest.Library[name]
		if !ok {
			t.Fatalf("%s is not registered", name)
		}
		routines = append(routines, lf.Routine)
	}
	return numVM{newCollVM(t, append(routines, numHelpers...)...)}
}

// numOutcome is a result: a value, or the kind of the error raised.
type numOutcome struct {
	v    value.Value
	kind value.Keyword
}

func (o numOutcome) String() string {
	if o.kind != "" {
		return "error " + value.Print(o.kind)
	}
	if f, ok := o.v.(value.Float); ok {
		return fmt.Sprintf("%s (%#x)", value.Print(f), math.Float64bits(float64(f)))
	}
	return value.Print(o.v)
}

// numCaller is the engine stdlib's numeric functions see: they never call or allocate.
type numCaller struct{}

func (numCaller) Call(value.Value, []value.Value) (value.Value, error) {
	return nil, errors.New("unexpected call")
}
func (numCaller) Charge(int) error     { return nil }
func (numCaller) Allocate(int64) error { return nil }

// numStd runs the Go library function.
func numStd(t tb, name string, args ...value.Value) numOutcome {
	t.Helper()
	b, ok := stdlib.Lookup(name)
	if !ok {
		t.Fatalf("stdlib has no %s", name)
	}
	if !b.AcceptsArity(len(args)) {
		t.Fatalf("%s called with %d arguments", name, len(args))
	}
	v, err := b.Fn(numCaller{}, args)
	if err != nil {
		var e *value.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v", name, err)
		}
		return numOutcome{kind: e.ErrKind}
	}
	return numOutcome{v: v}
}

// lib runs the guest's library function: arguments as parameters, or laid out in
// memory for a variadic routine.
func (vm numVM) lib(t tb, name string, args ...value.Value) numOutcome {
	t.Helper()
	lf, ok := guest.Library[name]
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	if len(args) < lf.Min || lf.Max >= 0 && len(args) > lf.Max {
		t.Fatalf("%s registered for %d..%d arguments, called with %d", name, lf.Min, lf.Max, len(args))
	}
	gs := make([]uint64, len(args))
	for i, a := range args {
		gs[i] = vm.write(a)
	}
	vm.raised = nil
	var r uint64
	if lf.Fixed == guest.Variadic {
		p := uint32(vm.call("alloc", layout.TypeVNode, uint64(len(gs))))
		buf := make([]byte, 8*len(gs))
		for i, g := range gs {
			binary.LittleEndian.PutUint64(buf[8*i:], g)
		}
		if !vm.mod.Memory().Write(p+layout.HeaderSize, buf) {
			t.Fatal("argument block outside memory")
		}
		r = vm.call(lf.Routine, uint64(p+layout.HeaderSize), uint64(len(gs)))
	} else {
		if lf.Fixed != len(args) {
			t.Fatalf("%s takes %d arguments", name, lf.Fixed)
		}
		r = vm.call(lf.Routine, gs...)
	}
	if r == layout.Err {
		if len(vm.raised) != 1 {
			t.Fatalf("%s returned Err having raised %v", name, vm.raised)
		}
		code, ok := guest.ErrorCodes[vm.raised[0]]
		if !ok {
			t.Fatalf("%s raised the unknown code %d", name, vm.raised[0])
		}
		return numOutcome{kind: code.Kind}
	}
	if len(vm.raised) != 0 {
		t.Fatalf("%s raised %v but returned %#x", name, vm.raised, r)
	}
	if layout.IsPointer(r) && vm.typeOf(r) == layout.TypeBigInt && layout.FitsFixnum(int64(vm.word(uint32(r)+layout.BoxValue))) {
		t.Fatalf("%s returned a boxed integer that fits a fixnum", name)
	}
	return numOutcome{v: vm.read(r)}
}

// numIdentical compares results: floats by their bits (any NaN is NaN), integers and
// floats never equal, anything else as same does.
func numIdentical(a, b numOutcome) bool {
	if a.kind != "" || b.kind != "" {
		return a.kind == b.kind
	}
	switch x := a.v.(type) {
	case value.Float:
		y, ok := b.v.(value.Float)
		return ok && (math.Float64bits(float64(x)) == math.Float64bits(float64(y)) || math.IsNaN(float64(x)) && math.IsNaN(float64(y)))
	case value.Int:
		y, ok := b.v.(value.Int)
		return ok && x == y
	}
	return same(a.v, b.v)
}

func numPrintArgs(args []value.Value) string {
	s := ""
	for _, a := range args {
		s += " " + value.Print(a)
	}
	return s
}

// check compares the guest with stdlib on one call.
func (vm numVM) check(t tb, name string, args ...value.Value) numOutcome {
	t.Helper()
	want := numStd(t, name, args...)
	got := vm.lib(t, name, args...)
	if !numIdentical(got, want) {
		t.Fatalf("(%s%s) = %v in the guest, %v in stdlib", name, numPrintArgs(args), got, want)
	}
	return got
}

// Shorthands.
func numI(n int64) value.Value             { return value.Int(n) }
func numF(x float64) value.Value           { return value.Float(x) }
func numS(s string) value.Value            { return value.String(s) }
func numV(xs ...value.Value) []value.Value { return xs }

var (
	numNaN    = math.NaN()
	numInf    = math.Inf(1)
	numNegInf = math.Inf(-1)
	numMaxI   = int64(math.MaxInt64)
	numMinI   = int64(math.MinInt64)
	numFixMax = int64(layout.FixnumMax)
	numFixMin = int64(layout.FixnumMin)
)

func TestNumTable(t *testing.T) {
	vm := newNumVM(t)
	// Each case runs in both engines; want, when given, pins the result (printed, or the
	// error kind as a keyword).
	tests := []struct {
		fn   string
		args []value.Value
		want string
	}{
		{"+", numV(), "0"},
		{"+", numV(numI(1)), "1"},
		{"+", numV(numF(negZero)), "-0.0"},
		{"+", numV(numF(negZero), numF(negZero)), "-0.0"},
		{"+", numV(numI(1), numI(2), numI(3)), "6"},
		{"+", numV(numI(numFixMax), numI(1)), "4611686018427387904"},
		{"+", numV(numI(numFixMax+1), numI(-1)), "4611686018427387903"},
		{"+", numV(numI(numMaxI), numI(1)), ":error/overflow"},
		{"+", numV(numI(numMaxI), numI(1), numS("a")), ":error/overflow"},
		{"+", numV(numI(1), numS("a"), numI(numMaxI), numI(1)), ":error/type"},
		{"+", numV(numI(1), numF(0.5)), "1.5"},
		{"+", numV(numF(numInf), numF(numNegInf)), "##NaN"},
		{"+", numV(numS("a")), ":error/type"},
		{"+", numV(value.Nil, numI(1)), ":error/type"},
		{"-", numV(numI(5)), "-5"},
		{"-", numV(numF(0)), "-0.0"},
		{"-", numV(numF(negZero)), "0.0"},
		{"-", numV(numI(numMinI)), ":error/overflow"},
		{"-", numV(numI(numFixMin)), "4611686018427387904"},
		{"-", numV(numS("a")), ":error/type"},
		{"-", numV(numI(10), numI(3), numF(0.5)), "6.5"},
		{"-", numV(numI(numMinI), numI(1)), ":error/overflow"},
		{"*", numV(), "1"},
		{"*", numV(numF(numNaN)), "##NaN"},
		{"*", numV(numI(1<<31), numI(1<<31)), "4611686018427387904"},
		{"*", numV(numI(1<<32), numI(1<<31)), ":error/overflow"},
		{"*", numV(numI(-1), numI(numMinI)), ":error/overflow"},
		{"*", numV(numI(numMinI), numI(-1)), ":error/overflow"},
		{"*", numV(numI(0), numI(numMinI)), "0"},
		{"*", numV(numI(2), numF(negZero)), "-0.0"},
		{"/", numV(numI(6), numI(3)), "2"},
		{"/", numV(numI(1), numI(2)), "0.5"},
		{"/", numV(numI(2)), "0.5"},
		{"/", numV(numI(-1)), "-1"},
		{"/", numV(numI(0)), ":error/division-by-zero"},
		{"/", numV(numF(0)), "##Inf"},
		{"/", numV(numI(1), numF(0)), "##Inf"},
		{"/", numV(numI(1), numF(negZero)), "##-Inf"},
		{"/", numV(numI(0), numF(0)), "##NaN"},
		{"/", numV(numI(1), numI(0)), ":error/division-by-zero"},
		{"/", numV(numI(numMinI), numI(-1)), ":error/overflow"},
		{"/", numV(numI(100), numI(5), numI(2)), "10"},
		{"/", numV(numI(100), numI(8), numI(2)), "6.25"},
		{"/", numV(numI(1), numI(3), numI(0)), "##Inf"},
		{"/", numV(numS("a"), numI(0)), ":error/type"},
		{"quot", numV(numI(7), numI(2)), "3"},
		{"quot", numV(numI(-7), numI(2)), "-3"},
		{"quot", numV(numI(7), numI(0)), ":error/division-by-zero"},
		{"quot", numV(numF(7), numF(0)), ":error/division-by-zero"},
		{"quot", numV(numF(7), numF(negZero)), ":error/division-by-zero"},
		{"quot", numV(numI(numMinI), numI(-1)), ":error/overflow"},
		{"quot", numV(numF(-7.5), numI(2)), "-3.0"},
		{"quot", numV(numF(-1), numI(2)), "-0.0"},
		{"rem", numV(numI(-7), numI(2)), "-1"},
		{"rem", numV(numI(7), numI(-2)), "1"},
		{"rem", numV(numI(numMinI), numI(-1)), "0"},
		{"rem", numV(numI(1), numI(0)), ":error/division-by-zero"},
		{"rem", numV(numF(-7.5), numI(2)), "-1.5"},
		{"rem", numV(numF(-4), numI(2)), "-0.0"},
		{"rem", numV(numF(5), numF(numInf)), "5.0"},
		{"rem", numV(numF(numInf), numF(2)), "##NaN"},
		{"rem", numV(numF(1e300), numF(3)), ""},
		{"rem", numV(numF(5e-324), numF(1e-320)), ""},
		{"mod", numV(numI(-7), numI(2)), "1"},
		{"mod", numV(numI(7), numI(-2)), "-1"},
		{"mod", numV(numI(-8), numI(2)), "0"},
		{"mod", numV(numI(numMinI), numI(-1)), "0"},
		{"mod", numV(numI(numMinI), numI(numMaxI)), "9223372036854775806"},
		{"mod", numV(numI(1), numI(0)), ":error/division-by-zero"},
		{"mod", numV(numF(-7.5), numI(2)), "0.5"},
		{"mod", numV(numF(-4), numI(2)), "-0.0"},
		{"mod", numV(numF(-5), numF(numInf)), "##Inf"},
		{"mod", numV(numF(5), numF(numNegInf)), "##-Inf"},
		{"mod", numV(numF(numNaN), numF(-2)), "##NaN"},
		{"inc", numV(numI(numFixMax)), "4611686018427387904"},
		{"inc", numV(numI(numMaxI)), ":error/overflow"},
		{"inc", numV(numF(0.5)), "1.5"},
		{"inc", numV(value.Nil), ":error/type"},
		{"dec", numV(numI(numFixMin)), "-4611686018427387905"},
		{"dec", numV(numI(numFixMin + 1)), "-4611686018427387904"},
		{"dec", numV(numI(numMinI)), ":error/overflow"},
		{"dec", numV(numS("1")), ":error/type"},
		{"abs", numV(numI(-3)), "3"},
		{"abs", numV(numI(numMinI)), ":error/overflow"},
		{"abs", numV(numI(numMinI + 1)), "9223372036854775807"},
		{"abs", numV(numI(numFixMin)), "4611686018427387904"},
		{"abs", numV(numF(negZero)), "0.0"},
		{"abs", numV(numF(numNegInf)), "##Inf"},
		{"abs", numV(value.True), ":error/type"},
		{"min", numV(numI(3)), "3"},
		{"min", numV(numI(3), numI(1), numI(2)), "1"},
		{"min", numV(numI(1), numF(1)), "1"},
		{"min", numV(numF(1), numI(1)), "1.0"},
		{"min", numV(numF(0), numF(negZero)), "0.0"},
		{"min", numV(numI(1), numF(numNaN), numI(0)), "##NaN"},
		{"min", numV(numF(numNaN), numI(0)), "##NaN"},
		{"min", numV(numI(1), numS("a")), ":error/type"},
		{"min", numV(numS("a")), ":error/type"},
		{"max", numV(numI(1<<53+1), numF(1<<53)), "9007199254740993"},
		{"max", numV(numF(1<<53), numI(1<<53+1)), "9007199254740993"},
		{"max", numV(numI(numMaxI), numF(0x1p63)), "9223372036854776000.0"},
		{"max", numV(numI(1), numI(2), numF(numNaN)), "##NaN"},
		{"sqrt", numV(numI(4)), "2.0"},
		{"sqrt", numV(numI(-1)), ":error/invalid-argument"},
		{"sqrt", numV(numF(negZero)), "-0.0"},
		{"sqrt", numV(numF(numNaN)), "##NaN"},
		{"sqrt", numV(numF(numNegInf)), ":error/invalid-argument"},
		{"sqrt", numV(numS("4")), ":error/type"},
		{"floor", numV(numF(-1.5)), "-2.0"},
		{"floor", numV(numI(3)), "3.0"},
		{"floor", numV(numI(numMaxI)), "9223372036854776000.0"},
		{"ceil", numV(numF(-0.5)), "-0.0"},
		{"ceil", numV(numF(1.2)), "2.0"},
		{"ceil", numV(value.Keyword("a")), ":error/type"},
		{"round", numV(numF(2.5)), "3.0"},
		{"round", numV(numF(-2.5)), "-3.0"},
		{"round", numV(numF(0.5)), "1.0"},
		{"round", numV(numF(-0.5)), "-1.0"},
		{"round", numV(numF(0.49999999999999994)), "0.0"},
		{"round", numV(numF(-0.4)), "-0.0"},
		{"round", numV(numF(4503599627370495.5)), "4503599627370496.0"},
		{"round", numV(numI(7)), "7.0"},
		{"round", numV(numF(numInf)), "##Inf"},
		{"pow", numV(numI(2), numI(10)), "1024"},
		{"pow", numV(numI(2), numI(62)), "4611686018427387904"},
		{"pow", numV(numI(2), numI(63)), ":error/overflow"},
		{"pow", numV(numI(-2), numI(63)), "-9223372036854775808"},
		{"pow", numV(numI(-2), numI(64)), ":error/overflow"},
		{"pow", numV(numI(3037000499), numI(2)), "9223372030926249001"},
		{"pow", numV(numI(3037000500), numI(2)), ":error/overflow"},
		{"pow", numV(numI(-1), numI(numMaxI)), "-1"},
		{"pow", numV(numI(1), numI(numMaxI)), "1"},
		{"pow", numV(numI(0), numI(0)), "1"},
		{"pow", numV(numI(0), numI(5)), "0"},
		{"pow", numV(numI(2), numI(-1)), "0.5"},
		{"pow", numV(numI(0), numI(-1)), "##Inf"},
		{"pow", numV(numI(2), numF(0.5)), "1.4142135623730951"},
		{"pow", numV(numF(2), numI(10)), "1024.0"},
		{"pow", numV(numF(-8), numF(1.0/3)), "##NaN"},
		{"pow", numV(numF(negZero), numI(-3)), "##-Inf"},
		{"pow", numV(numF(numNegInf), numI(3)), "##-Inf"},
		{"pow", numV(numF(numNegInf), numI(-3)), "-0.0"},
		{"pow", numV(numF(-1), numF(numInf)), "1.0"},
		{"pow", numV(numF(1.0001), numF(1e30)), "##Inf"},
		{"pow", numV(numF(10), numF(-320)), ""},
		{"pow", numV(numF(1.5), numF(2.5)), ""},
		{"pow", numV(numF(2), numF(-1074.5)), ""},
		{"pow", numV(numS("2"), numI(2)), ":error/type"},
		{"=", numV(numI(1)), "true"},
		{"=", numV(numI(1), numI(1), numI(1)), "true"},
		{"=", numV(numI(1), numI(1), numI(2)), "false"},
		{"=", numV(numI(1), numF(1)), "false"},
		{"=", numV(numF(0), numF(negZero)), "true"},
		{"=", numV(numF(numNaN), numF(numNaN)), "false"},
		{"=", numV(numI(numFixMax+1), numI(numFixMax+1)), "true"},
		{"=", numV(value.NewList(numI(1)), value.NewVector(numV(numI(1)))), "true"},
		{"not=", numV(numI(1)), "false"},
		{"not=", numV(numI(1), numI(2)), "true"},
		{"not=", numV(numS("a"), numS("a")), "false"},
		{"<", numV(numI(1)), "true"},
		{"<", numV(numS("a")), "true"},
		{"<", numV(value.Nil), ":error/type"},
		{"<", numV(numI(1), numI(2), numI(3)), "true"},
		{"<", numV(numI(1), numI(3), numI(2)), "false"},
		{"<", numV(numI(1), numI(1)), "false"},
		{"<", numV(numI(2), numI(1), numS("a")), ":error/type"},
		{"<", numV(numS("a"), numI(1)), ":error/type"},
		{"<", numV(numS("a"), numS("b"), numS("ab")), "false"},
		{"<", numV(numS("a"), numS("ab"), numS("b")), "true"},
		{"<", numV(numS("é"), numS("z")), "false"},
		{"<", numV(numI(1<<53), numF(1<<53), numI(1<<53+1)), "false"},
		{"<=", numV(numI(1<<53), numF(1<<53), numI(1<<53+1)), "true"},
		{"<", numV(numF(1<<53), numI(1<<53+1)), "true"},
		{">", numV(numI(numMaxI), numF(0x1p63)), "false"},
		{"<", numV(numI(numMaxI), numF(0x1p63)), "true"},
		{">", numV(numI(numMinI), numF(-0x1p63)), "false"},
		{">=", numV(numI(numMinI), numF(-0x1p63)), "true"},
		{"<", numV(numF(-0.5), numI(0)), "true"},
		{">", numV(numF(-0.5), numI(-1)), "true"},
		{"<", numV(numF(numNaN), numI(1)), "false"},
		{">=", numV(numF(numNaN), numF(numNaN)), "false"},
		{"<=", numV(numF(negZero), numF(0), numI(0)), "true"},
		{">=", numV(numS("b"), numS("b"), numS("a")), "true"},
		{"not", numV(value.Nil), "true"},
		{"not", numV(value.False), "true"},
		{"not", numV(numI(0)), "false"},
		{"zero?", numV(numF(negZero)), "true"},
		{"zero?", numV(numF(numNaN)), "false"},
		{"zero?", numV(numI(numFixMax + 1)), "false"},
		{"zero?", numV(numS("a")), ":error/type"},
		{"pos?", numV(numI(numMinI)), "false"},
		{"pos?", numV(numF(numInf)), "true"},
		{"neg?", numV(numF(negZero)), "false"},
		{"neg?", numV(value.Nil), ":error/type"},
		{"even?", numV(numI(-4)), "true"},
		{"even?", numV(numI(numMinI)), "true"},
		{"odd?", numV(numI(numMaxI)), "true"},
		{"odd?", numV(numI(-3)), "true"},
		{"odd?", numV(numF(3)), ":error/type"},
		{"even?", numV(value.Nil), ":error/type"},
		{"int?", numV(numI(numMaxI)), "true"},
		{"int?", numV(numF(1)), "false"},
		{"float?", numV(numF(1)), "true"},
		{"number?", numV(numS("1")), "false"},
		{"boolean?", numV(value.False), "true"},
		{"boolean?", numV(value.Nil), "false"},
		{"seq?", numV(value.NewVector(nil)), "false"},
		{"seq?", numV(value.NewList()), "true"},
		{"coll?", numV(value.EmptySet), "true"},
		{"coll?", numV(numS("ab")), "false"},
		{"fn?", numV(value.Keyword("a")), "false"},
		{"fn?", numV(value.EmptyMap), "false"},
	}
	for _, tt := range tests {
		vm.reset()
		got := vm.check(t, tt.fn, tt.args...)
		if tt.want == "" {
			continue
		}
		printed := value.Print(got.v)
		if got.kind != "" {
			printed = value.Print(got.kind)
		}
		if printed != tt.want {
			t.Errorf("(%s%s) = %s, want %s", tt.fn, numPrintArgs(tt.args), printed, tt.want)
		}
	}
}

// The predicates on every kind of value, a guest function among them.
func TestNumPredicates(t *testing.T) {
	vm := newNumVM(t)
	closure := vm.call("alloc", layout.TypeClosure, 2)
	fn := &heap.GuestFunction{Ref: uint64(uint32(closure))}
	values := []value.Value{
		value.Nil, value.True, value.False, numI(0), numI(-1), numI(7), numI(numFixMax + 1), numI(numMinI), numI(numMaxI),
		numF(0), numF(negZero), numF(-2.5), numF(numNaN), numF(numInf), numF(numNegInf), numS(""), numS("a"), value.Keyword("k"),
		value.Symbol("s"), value.NewList(), value.NewList(numI(1)), value.NewVector(nil), value.NewVector(numV(numI(1))),
		value.EmptyMap, value.EmptyMap.Assoc(numI(1), numI(2)), value.EmptySet, value.NewSet(numI(1)), fn,
	}
	for _, name := range numLibNames {
		if lf := guest.Library[name]; lf.Fixed != 1 {
			continue
		}
		for _, v := range values {
			vm.check(t, name, v)
		}
	}
	if got := vm.lib(t, "fn?", fn); got.v != value.True {
		t.Fatalf("(fn? f) = %v", got)
	}
}

func TestNumRegistered(t *testing.T) {
	for _, name := range numLibNames {
		lf, ok := guest.Library[name]
		b, _ := stdlib.Lookup(name)
		if !ok || b == nil {
			t.Fatalf("%s: registered %v, in stdlib %v", name, ok, b != nil)
		}
		if lf.Min != b.MinArgs || lf.Max != b.MaxArgs {
			t.Errorf("%s: registered for %d..%d arguments, stdlib takes %d..%d", name, lf.Min, lf.Max, b.MinArgs, b.MaxArgs)
		}
		if !guest.Has(lf.Routine) {
			t.Errorf("%s: no routine %s", name, lf.Routine)
		}
	}
}
