package store

import (
	"fmt"
	"testing"

	"github.com/rtfsvm/rtfsvm/chain"
)

func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{3, 30, 100, 300} {
		b.Run(fmt.Sprint("batch=", n), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			body := make([]byte, 250)
			for i := 0; i < b.N; i++ {
				batch := make([]*chain.Record, n)
				for j := range batch {
					batch[j] = &chain.Record{Run: fmt.Sprint("run-20261127T234149-caa6a3", j%64), Body: body}
				}
				if err := s.Commit(batch, func(seq int64, h [32]byte) {
					for _, r := range batch {
						seq++
						r.Seq = seq
					}
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
