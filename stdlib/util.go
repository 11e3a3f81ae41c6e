package stdlib

import (
	"math/bits"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

// charge meters n units of work.
func charge(c Caller, n int) error {
	if n <= 0 {
		return nil
	}
	return c.Charge(n)
}

// sortCost is what sorting n elements costs: n*ceil(log2 n), at least n.
func sortCost(n int) int {
	if n < 2 {
		return n
	}
	return n * bits.Len(uint(n-1))
}

// seqOf returns the elements of any seqable value in a fresh slice: nil is empty, sets
// come in the total order, maps as [k v] vectors in the total order of their keys, and
// strings as one-character strings (code points).
func seqOf(c Caller, fn string, v Value) ([]Value, error) {
	switch v := v.(type) {
	case value.NilType:
		return nil, nil
	case value.Sequential:
		if err := charge(c, v.Len()); err != nil {
			return nil, err
		}
		return v.Slice(), nil
	case *value.Set:
		if err := charge(c, sortCost(v.Len())); err != nil {
			return nil, err
		}
		return v.Elems(), nil
	case *value.Map:
		if err := charge(c, sortCost(v.Len())); err != nil {
			return nil, err
		}
		es := v.Entries()
		xs := make([]Value, len(es))
		for i, e := range es {
			xs[i] = pair(e.Key, e.Val)
		}
		return xs, nil
	case value.String:
		if err := charge(c, len(v)); err != nil {
			return nil, err
		}
		return chars(string(v)), nil
	}
	return nil, value.TypeError(fn, "a collection", v)
}

// seqsOf is seqOf of each value.
func seqsOf(c Caller, fn string, vs []Value) ([][]Value, error) {
	out := make([][]Value, len(vs))
	for i, v := range vs {
		xs, err := seqOf(c, fn, v)
		if err != nil {
			return nil, err
		}
		out[i] = xs
	}
	return out, nil
}

func chars(s string) []Value {
	xs := make([]Value, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		xs = append(xs, value.String(string(r)))
	}
	return xs
}

// runeAt is the i-th code point of s as a string.
func runeAt(s string, i int) (Value, bool) {
	if i < 0 {
		return nil, false
	}
	for _, r := range s {
		if i == 0 {
			return value.String(string(r)), true
		}
		i--
	}
	return nil, false
}

func pair(k, v Value) *value.Vector { return value.NewVector([]Value{k, v}) }

func vec(xs []Value) Value { return value.NewVector(xs) }

// count is the number of elements of a collection, code points of a string; nil has 0.
func count(fn string, v Value) (int, error) {
	switch v := v.(type) {
	case value.NilType:
		return 0, nil
	case value.Sequential:
		return v.Len(), nil
	case *value.Set:
		return v.Len(), nil
	case *value.Map:
		return v.Len(), nil
	case value.String:
		return utf8.RuneCountInString(string(v)), nil
	}
	return 0, value.TypeError(fn, "a collection", v)
}

func intArg(fn string, v Value) (int, error) {
	if i, ok := v.(value.Int); ok {
		return int(i), nil
	}
	return 0, value.TypeError(fn, "an integer", v)
}

func strArg(fn string, v Value) (string, error) {
	if s, ok := v.(value.String); ok {
		return string(s), nil
	}
	return "", value.TypeError(fn, "a string", v)
}

func invalid(fn, format string, args ...any) *value.Error {
	return value.Errorf(value.ErrInvalidArg, fn+": "+format, args...)
}

func indexError(fn string, i any, n int) *value.Error {
	return value.Errorf(value.ErrIndex, "%s: index %v out of range for length %d", fn, i, n)
}

// call calls f, turning a nil result of a misbehaving callee into RTFS nil.
func call(c Caller, f Value, args ...Value) (Value, error) {
	v, err := c.Call(f, args)
	if err == nil && v == nil {
		v = value.Nil
	}
	return v, err
}

// truthyCall calls a predicate and reports the truthiness of its result.
func truthyCall(c Caller, f Value, args ...Value) (bool, error) {
	v, err := call(c, f, args...)
	return err == nil && value.Truthy(v), err
}

func isColl(v Value) bool {
	switch v.(type) {
	case *value.List, *value.Vector, *value.Map, *value.Set:
		return true
	}
	return false
}

// MaxElems and maxBytes bound what a single library call may allocate (a vector of
// elements, a string of bytes): beyond them the call stops with the memory limit even
// when the fuel budget would allow the work.
const (
	MaxElems = 1 << 24
	maxBytes = 1 << 28
)

func memoryLimit() error { return &value.LimitError{Limit: value.LimitMemory} }

// alloc meters n new elements before they are allocated. A request beyond MaxElems is
// the memory limit whatever fuel is left: (range n) with a huge n runs into the memory
// limit (rtfs-language.md §8).
func alloc(c Caller, n int) error {
	if n > MaxElems {
		return memoryLimit()
	}
	if err := c.Allocate(int64(n) * valueSize); err != nil {
		return err
	}
	return charge(c, n)
}

// valueSize is what one element of a collection costs, for Allocate.
const valueSize = 16
