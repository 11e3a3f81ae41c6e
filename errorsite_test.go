package rtfsvm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/value"
)

// Both engines give an uncaught error the position of the innermost expression of the
// plan that raised it: through plan functions, callbacks of library functions, try and
// step. (A library function written in RTFS has no positions of its own.)
func TestErrorPositionsAgree(t *testing.T) {
	for _, src := range []string{
		`(+ 1 :a)`,
		"(defn f [x]\n  (* x :b))\n(f 2)",
		"(defn f [x] x)\n(f 1 2)",
		"(defn g [] (h))\n(g)\n(defn h [] 1)",
		"(defn f [x]\n (throw :error/custom \"boom\"))\n(+ 1 (f 2))",
		"(map (fn [x] (/ 1 x)) [1 0])",
		"(map (fn [x]\n  (inc x)) [1 \"a\"])",
		"(reduce (fn [a x] (+ a x)) 0 [1 2 :c])",
		"(reduce (fn [a x]\n  (+ a x)) 0 [1 2])\n(map 5 [1])",
		"(let [f (fn [x] (inc x))]\n  (map f [1 2])\n  (nth [1] 5))",
		"(filter (fn [x] (inc x)) [1 2])\n(reduce + 0 [1 :x])",
		"(try (/ 1 0) (catch :error/arithmetic e 0))\n(/ 2 0)",
		"(try (+ 1 :a) (finally (inc 1)))",
		"(step \"s\"\n  (do (+ 1 1) (get-in 5 [:a :b]) (inc :z)))",
		"(defn f [x]\n  (let [n : :int x] n))\n(f \"a\")",
		"(sort (fn [a b]\n  (< a b)) [1 :a 2])",
		"(sort (fn [a b]\n  (identity :x)) [1 2])",
		"(sort-by (fn [x]\n  (identity x)) (fn [a b] (str a)) [1 2])",
		"(update {:a 1} :a (fn [x]\n  (str x)) 1 2)",
		"(apply (fn [a b]\n (* a b)) [1 :q])",
	} {
		var at [2]string
		for i, engine := range []string{rtfsvm.EngineInterp, rtfsvm.EngineWasm} {
			prog, err := rtfsvm.Load("p.rtfs", src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			_, err = rtfsvm.Run(context.Background(), prog, rtfsvm.Options{Engine: engine})
			var re *value.Error
			if !errors.As(err, &re) {
				t.Errorf("%s on %s: want an RTFS error, got %v", src, engine, err)
				continue
			}
			at[i] = re.At
		}
		if at[0] != at[1] {
			t.Errorf("%s: the interpreter says %q, the wasm engine %q", src, at[0], at[1])
		}
	}
}
