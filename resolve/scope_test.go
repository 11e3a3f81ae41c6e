package resolve

import (
	"fmt"
	"testing"
)

// A block finds its names by a scan while it has few, through an index once it has many:
// either way the latest binding of a name shadows the earlier ones.
func TestBlockScopeShadows(t *testing.T) {
	for _, n := range []int{1, blockScanned, blockScanned + 1, 100} {
		b := &blockScope{}
		for i := 0; i < n; i++ {
			b.add(&binding{name: fmt.Sprint("x", i%5), slot: i})
		}
		for k := 0; k < min(n, 5); k++ {
			name := fmt.Sprint("x", k)
			last := k + (n-1-k)/5*5 // the last i with i%5 == k
			if got := b.find(name); got == nil || got.slot != last {
				t.Errorf("%d names: %s is slot %v, want %d", n, name, got, last)
			}
		}
		if b.find("y") != nil {
			t.Errorf("%d names: y found", n)
		}
	}
}
