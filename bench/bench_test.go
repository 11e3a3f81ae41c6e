package bench

import "testing"

// run runs every engine of a workload as a sub-benchmark "engine=<name>".
func run(b *testing.B, workload string) {
	for _, e := range Lookup(workload).Engines() {
		b.Run("engine="+e.Name, e.Bench)
	}
}

func BenchmarkFib25(b *testing.B)       { run(b, "Fib25") }
func BenchmarkReduce1M(b *testing.B)    { run(b, "Reduce1M") }
func BenchmarkMapAssoc10k(b *testing.B) { run(b, "MapAssoc10k") }
