package microvm_test

import (
	"context"
	"os"
	"testing"

	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// A module compiled before the static data started with fixed words (it exports its
// static end, its heap's first room and its empty collections as globals) still runs,
// with collections written into it: a run recorded with such a module can be resumed.
// testdata/before-fixed-static.wasm is `rtfsvm compile` of
//
//	(assoc m :n (count v) :s (conj s 3) :l (cons 0 l))
//
// at commit db02870.
func TestModuleFromBeforeFixedStaticData(t *testing.T) {
	bin, err := os.ReadFile("testdata/before-fixed-static.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, cfg := range []microvm.Config{{}, {Tier0Only: true}} {
		e, err := microvm.NewEngine(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close(ctx)
		m, err := e.Load(ctx, bin)
		if err != nil {
			t.Fatal(err)
		}
		env := syntax.Datum(mustRead(t, `{:m {:a 1} :v [1 2 3] :s #{1} :l (1 2)}`)).(*value.Map)
		vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Env: env})
		if err != nil {
			t.Fatal(err)
		}
		v, err := vm.Run(ctx)
		vm.Close(ctx)
		want := syntax.Datum(mustRead(t, `{:a 1 :l (0 1 2) :n 3 :s #{1 3}}`))
		if err != nil || !value.Equal(v, want) {
			t.Fatalf("tier0only=%v: %v, %v; want %s", cfg.Tier0Only, v, err, value.Print(want))
		}
	}
}

func mustRead(t *testing.T, src string) syntax.Node {
	t.Helper()
	n, err := syntax.ReadOne("t", src)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
