package rtfsvm_test

import (
	"context"
	"testing"

	"github.com/rtfsvm/rtfsvm"
)

// Programs on which the collector's stress mode once disagreed with the normal mode: an
// operand's value waited on the Wasm stack while a later operand ran a loop, whose back
// edge collected and moved it.
func TestGCStressRegressions(t *testing.T) {
	for _, src := range []string{
		`(pr-str (/ (mod (quot 9223372036854775807 1) (loop [i 0 acc {:a 1 :b [2]}] (if (< i 3) (recur (inc i) (conj [acc] i)) acc))) (match (match 0 [a b] [b a] {:x x} x _ :other) [a b] [b a] {:x x} x _ :other)))`,
		`(mod (quot 9223372036854775807 1) (loop [i 0] (if (< i 3) (recur (inc i)) [1])))`,
		`(+ (inc 4611686018427387903) (loop [i 0 a []] (if (< i 3) (recur (inc i) (conj a i)) 2)))`,
		`(let [f (fn [x] (conj [x] x))] (+ (inc 4611686018427387903) (count (f (f (f 1))))))`,
		`(loop [i 0 acc [] s ""] (if (< i 50) (recur (inc i) (conj acc (str s i)) (str i)) [(count acc) s]))`,
		`(defn build [n] (if (= n 0) {} (assoc (build (dec n)) n (str "v" n)))) (count (build 100))`,
		`(try (loop [i 0] (if (< i 5) (recur (inc i)) (throw {:n [i]}))) (catch e (str e)))`,
	} {
		prog, err := rtfsvm.Load("gc.rtfs", src)
		if err != nil {
			t.Fatal(err)
		}
		var got [2]string
		for k, e := range []string{rtfsvm.EngineWasm, rtfsvm.EngineWasmGCStress} {
			v, err := rtfsvm.Run(context.Background(), prog, rtfsvm.Options{Engine: e, Fuel: 10_000_000})
			printed, kind, _ := describeOutcome(v, err)
			got[k] = printed + kind
		}
		if got[0] != got[1] {
			t.Errorf("%s\n  wasm: %s\nstress: %s", src, got[0], got[1])
		}
	}
}
