package value

import (
	"testing"

	"pgregory.net/rapid"
)

// NewMap builds the very map, node for node, that Assoc of each entry in turn builds,
// and leaves the maps it did not build alone.
func TestNewMapIsAssocInTurn(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOf(rapid.OneOf(
			rapid.Map(rapid.IntRange(-300, 300), func(i int) Value { return Int(i) }),
			rapid.Map(rapid.StringMatching(`[a-c]{0,3}`), func(s string) Value { return Keyword(s) }),
		)).Draw(t, "keys")
		entries := make([]Entry, len(keys))
		want := EmptyMap
		for i, k := range keys {
			entries[i] = Entry{k, Int(i)}
			want = want.Assoc(k, Int(i))
		}
		got := NewMap(entries)
		if got.h.count != want.h.count || !sameShape(got.h.root, want.h.root) {
			t.Fatalf("NewMap %s, Assoc in turn %s", Print(got), Print(want))
		}
		if EmptyMap.Len() != 0 {
			t.Fatal("NewMap changed the empty map")
		}
	})
}

// sameShape compares two tries node for node: bitmaps, entries and children.
func sameShape(a, b *hnode) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.datamap != b.datamap || a.nodemap != b.nodemap || a.collision != b.collision ||
		len(a.entries) != len(b.entries) || len(a.nodes) != len(b.nodes) {
		return false
	}
	for i := range a.entries {
		if !Equal(a.entries[i].key, b.entries[i].key) || !Equal(a.entries[i].val, b.entries[i].val) {
			return false
		}
	}
	for i := range a.nodes {
		if !sameShape(a.nodes[i], b.nodes[i]) {
			return false
		}
	}
	return true
}
