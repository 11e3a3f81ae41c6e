package startheap

import "testing"

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		goal, live uint64
		percent    int
		more       bool
	}{
		{64 << 20, 4 << 20, 1500, true}, // 4 MiB live + 1500% = 64 MiB
		{64 << 20, 16 << 20, 300, true},
		{64 << 20, 32 << 20, 100, false}, // GOGC=100 reaches the goal by itself
		{64 << 20, 1 << 30, 100, false},
		{64 << 20, 0, 6300, true}, // an empty heap counts as 1 MiB
	} {
		p, more := Percent(c.goal, c.live)
		if p != c.percent || more != c.more {
			t.Errorf("Percent(%d, %d) = %d, %v; want %d, %v", c.goal, c.live, p, more, c.percent, c.more)
		}
	}
}
