package bench

import (
	"context"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/value"
)

// everyCall is a host that has its VM snapshot before every host call, and keeps the
// size of the last snapshot.
type everyCall struct {
	host.Host
	size int
}

func (h *everyCall) SnapshotDue(int, value.Value) bool { return true }

func (h *everyCall) Snapshot(_ context.Context, s *host.Snapshot) error {
	h.size = len(s.Data)
	return nil
}

// BenchmarkSnapshot: one snapshot of a VM at a host call (unwind, compact the heap,
// copy and compress the state, rewind) and the call, for the loop of BenchmarkYield
// (loop) and for a plan that holds 200 records of 5 fields it fetched (records).
// snapshot-B is the compressed size.
func BenchmarkSnapshot(b *testing.B) {
	plans := map[string]string{
		"loop": callLoop,
		"records": `(let [rs (vec (map (fn [i] {:id i :name (str "item-" i) :price (* i 1.5) :tags ["a" "b"] :ok true}) (range 200)))]
		  (loop [i 0 acc 0] (if (< i n) (do (call :bench.noop i) (recur (+ i 1) (+ acc (count rs)))) i)))`,
	}
	for _, name := range []string{"loop", "records"} {
		b.Run("plan="+name, func(b *testing.B) {
			p, err := rtfsvm.PrepareSource(context.Background(), name+".rtfs", plans[name], rtfsvm.EngineWasm)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.WaitOptimized(context.Background()); err != nil {
				b.Fatal(err)
			}
			h := &everyCall{Host: noopRegistry()}
			env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := p.Run(context.Background(), rtfsvm.Options{Env: env, Host: h}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(h.size), "snapshot-B")
		})
	}
}
