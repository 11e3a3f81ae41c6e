package rtfsvm_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/value"
)

// genExpr draws a random well-formed expression over the locals in scope. Programs mix
// arithmetic, comparison, branching, bindings, closures, collections, strings and
// errors, so that both engines are driven through every kind of form; many of them
// raise errors, which the engines must agree on too.
func genExpr(t *rapid.T, depth int, locals []string) string {
	leaf := func() string {
		switch rapid.IntRange(0, 6).Draw(t, "leaf") {
		case 0:
			return fmt.Sprint(rapid.IntRange(-5, 5).Draw(t, "int"))
		case 1:
			return rapid.SampledFrom([]string{"4611686018427387903", "-4611686018427387904", "9223372036854775807", "2.5", "-0.0", "1e300", "##NaN"}).Draw(t, "edge")
		case 2:
			return rapid.SampledFrom([]string{`"a"`, `"é"`, `""`, ":k", ":ns/k", "nil", "true", "false"}).Draw(t, "atom")
		case 3:
			return rapid.SampledFrom([]string{"[]", "[1 2 3]", "{:a 1 :b [2]}", "#{1 \"x\"}", "'(1 2)", "{}"}).Draw(t, "coll")
		default:
			if len(locals) > 0 {
				return rapid.SampledFrom(locals).Draw(t, "local")
			}
			return "0"
		}
	}
	if depth <= 0 {
		return leaf()
	}
	sub := func() string { return genExpr(t, depth-1, locals) }
	switch rapid.IntRange(0, 15).Draw(t, "form") {
	case 0, 1:
		op := rapid.SampledFrom([]string{"+", "-", "*", "/", "quot", "mod", "max", "min"}).Draw(t, "arith")
		return fmt.Sprintf("(%s %s %s)", op, sub(), sub())
	case 2:
		op := rapid.SampledFrom([]string{"<", ">", "<=", ">=", "=", "not=", "compare"}).Draw(t, "cmp")
		return fmt.Sprintf("(%s %s %s)", op, sub(), sub())
	case 3:
		return fmt.Sprintf("(if %s %s %s)", sub(), sub(), sub())
	case 4:
		name := fmt.Sprintf("v%d", len(locals))
		return fmt.Sprintf("(let [%s %s] %s)", name, sub(), genExpr(t, depth-1, append(locals, name)))
	case 5:
		name := fmt.Sprintf("p%d", len(locals))
		return fmt.Sprintf("((fn [%s] %s) %s)", name, genExpr(t, depth-1, append(locals, name)), sub())
	case 6:
		return fmt.Sprintf("[%s %s]", sub(), sub())
	case 7:
		return fmt.Sprintf("{:x %s :y %s}", sub(), sub())
	case 8:
		op := rapid.SampledFrom([]string{"count", "first", "rest", "seq", "vec", "reverse", "keys", "empty?", "nil?", "str", "pr-str", "inc", "abs"}).Draw(t, "unary")
		return fmt.Sprintf("(%s %s)", op, sub())
	case 9:
		op := rapid.SampledFrom([]string{"conj", "get", "contains?", "nth", "cons", "take", "drop", "concat"}).Draw(t, "binary")
		return fmt.Sprintf("(%s %s %s)", op, sub(), sub())
	case 10:
		return fmt.Sprintf("(assoc %s %s %s)", sub(), sub(), sub())
	case 11:
		f := rapid.SampledFrom([]string{"inc", "str", "count", "vector", "#(if % 1 2)"}).Draw(t, "fn")
		op := rapid.SampledFrom([]string{"map", "filter", "remove", "keep", "mapv"}).Draw(t, "hof")
		return fmt.Sprintf("(%s %s %s)", op, f, sub())
	case 12:
		return fmt.Sprintf("(reduce + %s %s)", sub(), sub())
	case 13:
		return fmt.Sprintf("(try %s (catch e (error-kind e)))", sub())
	case 14:
		return fmt.Sprintf("(loop [i 0 acc %s] (if (< i 3) (recur (inc i) (conj [acc] i)) acc))", sub())
	default:
		return fmt.Sprintf("(match %s [a b] [b a] {:x x} x _ :other)", sub())
	}
}

// TestEnginesAgree runs random programs on both engines and compares their printed
// values, or the kinds of the errors they stop with.
func TestEnginesAgree(t *testing.T) {
	ctx := context.Background()
	stressAll := os.Getenv("RTFSVM_GCSTRESS_ALL") != ""
	programs := 0
	outcomes := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		for i := 0; i < 20; i++ {
			src := genExpr(t, rapid.IntRange(1, 4).Draw(t, "depth"), nil)
			prog, err := rtfsvm.Load("gen.rtfs", src)
			if err != nil {
				continue // e.g. a static arity error: both engines share the front end
			}
			programs++
			var got [2]string
			for k, engine := range []string{rtfsvm.EngineInterp, rtfsvm.EngineWasm} {
				v, err := rtfsvm.Run(ctx, prog, rtfsvm.Options{Engine: engine, Fuel: 100_000})
				printed, kind, _ := describeOutcome(v, err)
				got[k] = printed + kind
				if k == 0 {
					if kind == "" {
						kind = "value"
					}
					outcomes[kind]++
				}
			}
			if got[0] != got[1] {
				t.Fatalf("%s\n interp: %s\n   wasm: %s", src, got[0], got[1])
			}
			// One program in four also runs with the MicroVM's collector in stress mode
			// (all of them would double the test's time). The collector charges its work
			// as fuel, so it gets more, and a run that ran out of fuel is not compared.
			// RTFSVM_GCSTRESS_ALL=1 runs every program in stress mode.
			if (programs%4 == 0 || stressAll) && got[1] != value.Print(value.LimitFuel) {
				v, err := rtfsvm.Run(ctx, prog, rtfsvm.Options{Engine: rtfsvm.EngineWasmGCStress, Fuel: 10_000_000})
				printed, kind, _ := describeOutcome(v, err)
				if printed+kind != got[1] {
					t.Fatalf("%s\n   wasm: %s\n stress: %s", src, got[1], printed+kind)
				}
			}
		}
	})
	if programs < 1000 {
		t.Errorf("only %d programs ran on both engines", programs)
	}
	t.Logf("%d programs agree; outcomes: %v", programs, outcomes)
}
