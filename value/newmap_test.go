package value

import (
	"reflect"
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
		if !reflect.DeepEqual(got.h, want.h) {
			t.Fatalf("NewMap %s, Assoc in turn %s", Print(got), Print(want))
		}
		if EmptyMap.Len() != 0 {
			t.Fatal("NewMap changed the empty map")
		}
	})
}
