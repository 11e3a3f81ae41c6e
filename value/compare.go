package value

import (
	"math"
	"strings"
)

// Equal is RTFS structural equality (=): 1 and 1.0 differ, a list equals a vector with
// the same elements, maps and sets compare by content, NaN equals nothing, and functions
// are equal only to themselves.
func Equal(a, b Value) bool {
	switch a := a.(type) {
	case NilType:
		return IsNil(b)
	case Bool:
		b, ok := b.(Bool)
		return ok && a == b
	case Int:
		b, ok := b.(Int)
		return ok && a == b
	case Float:
		b, ok := b.(Float)
		return ok && a == b
	case String:
		b, ok := b.(String)
		return ok && a == b
	case Keyword:
		b, ok := b.(Keyword)
		return ok && a == b
	case Symbol:
		b, ok := b.(Symbol)
		return ok && a == b
	case *List, *Vector:
		bs, ok := b.(Sequential)
		if !ok {
			return false
		}
		as := a.(Sequential)
		if as.Len() != bs.Len() {
			return false
		}
		if av, ok := a.(*Vector); ok {
			if bv, ok := b.(*Vector); ok {
				for i := 0; i < av.Len(); i++ {
					if !Equal(av.Index(i), bv.Index(i)) {
						return false
					}
				}
				return true
			}
		}
		x, y := as.Slice(), bs.Slice()
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Set:
		b, ok := b.(*Set)
		if !ok || a.Len() != b.Len() {
			return false
		}
		eq := true
		a.EachUnordered(func(x Value) bool { eq = b.Has(x); return eq })
		return eq
	case *Map:
		b, ok := b.(*Map)
		if !ok || a.Len() != b.Len() {
			return false
		}
		eq := true
		a.EachUnordered(func(k, v Value) bool {
			w, ok := b.Get(k)
			eq = ok && Equal(v, w)
			return eq
		})
		return eq
	default:
		return a == b
	}
}

// Compare is the total order of rtfs-language.md §2: -1, 0 or 1. Unlike Equal it treats
// NaN as equal to NaN (sorting after every other number), so that sorting is total.
func Compare(a, b Value) int {
	ra, rb := a.Kind().rank(), b.Kind().rank()
	if ra != rb {
		return cmp3(ra, rb)
	}
	switch a := a.(type) {
	case NilType:
		return 0
	case Bool:
		return cmp3(boolInt(bool(a)), boolInt(bool(b.(Bool))))
	case Int:
		switch b := b.(type) {
		case Int:
			return cmp3(a, b)
		case Float:
			return compareIntFloat(int64(a), float64(b))
		}
	case Float:
		switch b := b.(type) {
		case Int:
			return -compareIntFloat(int64(b), float64(a))
		case Float:
			return compareFloats(float64(a), float64(b))
		}
	case String:
		return strings.Compare(string(a), string(b.(String)))
	case Keyword:
		return strings.Compare(string(a), string(b.(Keyword)))
	case Symbol:
		return strings.Compare(string(a), string(b.(Symbol)))
	case *List, *Vector:
		return compareSlices(a.(Sequential).Slice(), b.(Sequential).Slice())
	case *Set:
		return compareSlices(a.Elems(), b.(*Set).Elems())
	case *Map:
		ea, eb := a.Entries(), b.(*Map).Entries()
		for i := 0; i < len(ea) && i < len(eb); i++ {
			if c := Compare(ea[i].Key, eb[i].Key); c != 0 {
				return c
			}
			if c := Compare(ea[i].Val, eb[i].Val); c != 0 {
				return c
			}
		}
		return cmp3(len(ea), len(eb))
	case Function:
		return strings.Compare(a.FuncName(), b.(Function).FuncName())
	}
	return 0
}

func compareSlices(x, y []Value) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		if c := Compare(x[i], y[i]); c != 0 {
			return c
		}
	}
	return cmp3(len(x), len(y))
}

func cmp3[T int | Int | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareFloats(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp3(a, b)
}

// compareIntFloat compares exactly, without rounding the integer to a float; an integer
// sorts before a float of equal value.
func compareIntFloat(i int64, f float64) int {
	switch {
	case math.IsNaN(f):
		return -1
	case f >= 0x1p63:
		return -1
	case f < -0x1p63:
		return 1
	}
	t := math.Trunc(f)
	if c := cmp3(Int(i), Int(int64(t))); c != 0 {
		return c
	}
	if f-t < 0 {
		return 1
	}
	return -1
}

// Hash is consistent with Equal (equal values hash alike) and the same in every process.
func Hash(v Value) uint64 {
	switch v := v.(type) {
	case NilType:
		return 0x9e3779b97f4a7c15
	case Bool:
		if v {
			return mix(1)
		}
		return mix(2)
	case Int:
		return mix(uint64(v))
	case Float:
		f := float64(v)
		if f == 0 {
			f = 0 // -0.0 equals 0.0
		}
		return mix(math.Float64bits(f) ^ 0x5bd1e995)
	case String:
		return hashString(string(v), 0x3)
	case Keyword:
		return hashString(string(v), 0x5)
	case Symbol:
		return hashString(string(v), 0x7)
	case *List, *Vector:
		h := uint64(0x11)
		v.(Sequential).Each(func(x Value) bool { h = mix(h*31 + Hash(x)); return true })
		return h
	case *Set:
		// Order-independent: a sum of the elements' hashes.
		var h uint64
		v.EachUnordered(func(x Value) bool { h += Hash(x); return true })
		return mix(h ^ 0x13)
	case *Map:
		var h uint64
		v.EachUnordered(func(k, x Value) bool { h += mix(Hash(k) ^ Hash(x)*31); return true })
		return mix(h ^ 0x17)
	case Function:
		return hashString(v.FuncName(), 0x19)
	}
	return 0
}

func hashString(s string, seed uint64) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// mix is the finaliser of SplitMix64: it spreads every input bit over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
