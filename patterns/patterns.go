// Package patterns holds the primitives that destructuring and match are lowered to. The
// resolver emits calls to them; engines run them like any library function.
package patterns

import (
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

func fixed(name string, n int, fn func(args []value.Value) (value.Value, error)) *value.Builtin {
	return &value.Builtin{Name: name, MinArgs: n, MaxArgs: n, Fn: func(_ value.Caller, args []value.Value) (value.Value, error) { return fn(args) }}
}

// Nth is element i of a sequential value, nil past its end or for nil.
var Nth = fixed("destructure-nth", 2, func(args []value.Value) (value.Value, error) {
	i := int(args[1].(value.Int))
	switch v := args[0].(type) {
	case value.NilType:
		return value.Nil, nil
	case *value.Vector:
		if i < v.Len() {
			return v.Index(i), nil
		}
		return value.Nil, nil
	case *value.List:
		for p := v; p.Len() > 0; p = p.Rest() {
			if i == 0 {
				return p.First(), nil
			}
			i--
		}
		return value.Nil, nil
	case value.String:
		for _, r := range string(v) {
			if i == 0 {
				return value.String(string(r)), nil
			}
			i--
		}
		return value.Nil, nil
	}
	return nil, value.Errorf(value.ErrType, "cannot destructure %s as a sequence", value.Describe(args[0]))
})

// Rest is the list of the elements from i on, or nil when there are none.
var Rest = fixed("destructure-rest", 2, func(args []value.Value) (value.Value, error) {
	i := int(args[1].(value.Int))
	var elems []value.Value
	switch v := args[0].(type) {
	case value.NilType:
		return value.Nil, nil
	case *value.List:
		p := v
		for ; i > 0 && p.Len() > 0; i-- {
			p = p.Rest()
		}
		if p.Len() == 0 {
			return value.Nil, nil
		}
		return p, nil
	case *value.Vector:
		if i < v.Len() {
			elems = v.Slice()[i:]
		}
	case value.String:
		if i < utf8.RuneCountInString(string(v)) {
			for _, r := range string(v) {
				if i > 0 {
					i--
					continue
				}
				elems = append(elems, value.String(string(r)))
			}
		}
	default:
		return nil, value.Errorf(value.ErrType, "cannot destructure %s as a sequence", value.Describe(args[0]))
	}
	if len(elems) == 0 {
		return value.Nil, nil
	}
	return value.NewList(elems...), nil
})

// Get is the value of key k in a map (or the default, when k is missing); nil gives
// the default too.
var Get = fixed("destructure-get", 3, func(args []value.Value) (value.Value, error) {
	switch m := args[0].(type) {
	case value.NilType:
		return args[2], nil
	case *value.Map:
		if v, ok := m.Get(args[1]); ok {
			return v, nil
		}
		return args[2], nil
	}
	return nil, value.Errorf(value.ErrType, "cannot destructure %s as a map", value.Describe(args[0]))
})

// SeqLen tests for a list or vector of exactly n elements.
var SeqLen = fixed("match-length", 2, func(args []value.Value) (value.Value, error) {
	s, ok := args[0].(value.Sequential)
	return value.FromBool(ok && s.Len() == int(args[1].(value.Int))), nil
})

// SeqMin tests for a list or vector of at least n elements.
var SeqMin = fixed("match-min-length", 2, func(args []value.Value) (value.Value, error) {
	s, ok := args[0].(value.Sequential)
	return value.FromBool(ok && s.Len() >= int(args[1].(value.Int))), nil
})

// MapHas tests for a map that has key k.
var MapHas = fixed("match-key", 2, func(args []value.Value) (value.Value, error) {
	m, ok := args[0].(*value.Map)
	if !ok {
		return value.False, nil
	}
	_, ok = m.Get(args[1])
	return value.FromBool(ok), nil
})

// Equal tests a literal pattern.
var Equal = fixed("match-equal", 2, func(args []value.Value) (value.Value, error) {
	return value.FromBool(value.Equal(args[0], args[1])), nil
})
