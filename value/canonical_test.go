package value

import (
	"bytes"
	"math"
	"testing"

	"pgregory.net/rapid"
)

func genCanonical(depth int) *rapid.Generator[Value] {
	scalars := []*rapid.Generator[Value]{
		rapid.Just(Nil),
		rapid.Map(rapid.Bool(), func(b bool) Value { return Bool(b) }),
		rapid.Map(rapid.Int64(), func(i int64) Value { return Int(i) }),
		rapid.Map(rapid.Float64(), func(f float64) Value { return Float(f) }),
		rapid.Map(rapid.String(), func(s string) Value { return String(s) }),
		rapid.Map(rapid.StringMatching(`[a-z]{1,4}`), func(s string) Value { return Keyword(s) }),
		rapid.Map(rapid.StringMatching(`[a-z]{1,4}`), func(s string) Value { return Symbol(s) }),
	}
	if depth == 0 {
		return rapid.OneOf(scalars...)
	}
	elem := genCanonical(depth - 1)
	return rapid.OneOf(append(scalars,
		rapid.Map(rapid.SliceOfN(elem, 0, 4), func(xs []Value) Value { return NewVector(xs) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 4), func(xs []Value) Value { return NewList(xs...) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 4), func(xs []Value) Value { return NewSet(withoutNaN(xs)...) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 6), func(xs []Value) Value {
			m := EmptyMap
			xs = withoutNaN(xs)
			for i := 0; i+1 < len(xs); i += 2 {
				m = m.Assoc(xs[i], xs[i+1])
			}
			return m
		}))...)
}

// withoutNaN drops NaN, which equals nothing and so cannot be a key or element found again.
func withoutNaN(xs []Value) []Value {
	out := xs[:0:0]
	for _, x := range xs {
		if f, ok := x.(Float); !ok || !math.IsNaN(float64(f)) {
			out = append(out, x)
		}
	}
	return out
}

func TestCanonicalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genCanonical(3).Draw(t, "v")
		b, err := Encode(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", Print(v), err)
		}
		if Compare(v, back) != 0 {
			t.Fatalf("%s decoded as %s", Print(v), Print(back))
		}
		again, _ := Encode(nil, back)
		if !bytes.Equal(b, again) {
			t.Fatalf("%s: encoding is not stable", Print(v))
		}
	})
}

// Equal maps give equal bytes whatever order they were built in.
func TestCanonicalIgnoresHistory(t *testing.T) {
	a := EmptyMap.Assoc(Keyword("b"), Int(2)).Assoc(Keyword("a"), NewList(Int(1)))
	b := EmptyMap.Assoc(Keyword("a"), NewList(Int(1))).Assoc(Keyword("b"), Int(2)).Assoc(Keyword("c"), Nil).Dissoc(Keyword("c"))
	x, _ := Encode(nil, a)
	y, _ := Encode(nil, b)
	if !bytes.Equal(x, y) {
		t.Fatalf("equal maps encode differently: %x, %x", x, y)
	}
	if _, err := Encode(nil, &Builtin{Name: "f"}); err == nil {
		t.Fatal("a function has no canonical encoding")
	}
}

// FuzzDecode: decoding never panics, and what it accepts encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, v := range []Value{Nil, Int(-300), String("é"), NewVector([]Value{Keyword("a"), Float(2.5)}),
		EmptyMap.Assoc(Int(1), NewSet(Int(2), String("x")))} {
		b, _ := Encode(nil, v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(nil, v)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%x decoded to %s, which encodes to %x", data, Print(v), again)
		}
	})
}

func TestEncodable(t *testing.T) {
	fn := &Builtin{Name: "f"}
	for _, v := range []Value{Nil, Int(1), String("s"), NewVector([]Value{Int(1), EmptyMap.Assoc(Keyword("k"), NewVector(nil))})} {
		if _, err := Encode(nil, v); err != nil || !Encodable(v) {
			t.Errorf("%s: encodable %v, encode error %v", Print(v), Encodable(v), err)
		}
	}
	for _, v := range []Value{fn, NewVector([]Value{Int(1), fn}), EmptyMap.Assoc(Keyword("k"), fn), EmptyMap.Assoc(fn, Int(1)), NewList(fn)} {
		if _, err := Encode(nil, v); err == nil || Encodable(v) {
			t.Errorf("%s: encodable %v, encode error %v", Print(v), Encodable(v), err)
		}
	}
}
