package value

import "sort"

// Map is a persistent map from any value to any value. It iterates and prints in the
// total order of its keys.
type Map struct{ h hamt }

// EmptyMap is {}.
var EmptyMap = &Map{}

func (*Map) Kind() Kind { return KindMap }

func (m *Map) Len() int { return m.h.count }

// Get returns the value for k.
func (m *Map) Get(k Value) (Value, bool) { return m.h.get(k) }

// Assoc returns m with k mapped to v.
func (m *Map) Assoc(k, v Value) *Map { return &Map{m.h.assoc(k, v)} }

// NewMap is the map of the entries, a later key replacing an equal earlier one. It is
// Assoc of each entry in turn, without copying the nodes it builds at each step.
func NewMap(entries []Entry) *Map {
	if len(entries) == 0 {
		return EmptyMap
	}
	h := hamt{root: &hnode{}}
	for _, e := range entries {
		if h.root.assocFresh(hentry{e.Key, e.Val}, Hash(e.Key), 0) {
			h.count++
		}
	}
	return &Map{h}
}

// Dissoc returns m without k.
func (m *Map) Dissoc(k Value) *Map {
	h := m.h.dissoc(k)
	if h.root == m.h.root {
		return m
	}
	return &Map{h}
}

// Entry is a key and its value.
type Entry struct{ Key, Val Value }

// Entries returns the entries sorted by key in the total order.
func (m *Map) Entries() []Entry {
	out := make([]Entry, 0, m.h.count)
	m.h.root.each(func(k, v Value) bool { out = append(out, Entry{k, v}); return true })
	sort.Slice(out, func(i, j int) bool { return Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// EachUnordered visits the entries in an unspecified but deterministic order; for
// operations whose result does not depend on the order.
func (m *Map) EachUnordered(f func(k, v Value) bool) { m.h.root.each(f) }

// Set is a persistent set. It iterates and prints in the total order.
type Set struct{ h hamt }

// EmptySet is #{}.
var EmptySet = &Set{}

func (*Set) Kind() Kind { return KindSet }

func (s *Set) Len() int { return s.h.count }

// Has reports whether x is an element.
func (s *Set) Has(x Value) bool { _, ok := s.h.get(x); return ok }

// Conj returns s with x added.
func (s *Set) Conj(x Value) *Set {
	if s.Has(x) {
		return s
	}
	return &Set{s.h.assoc(x, True)}
}

// Disj returns s without x.
func (s *Set) Disj(x Value) *Set {
	h := s.h.dissoc(x)
	if h.root == s.h.root {
		return s
	}
	return &Set{h}
}

// Elems returns the elements in the total order.
func (s *Set) Elems() []Value {
	out := make([]Value, 0, s.h.count)
	s.h.root.each(func(k, _ Value) bool { out = append(out, k); return true })
	SortValues(out)
	return out
}

// EachUnordered visits the elements in an unspecified but deterministic order.
func (s *Set) EachUnordered(f func(x Value) bool) {
	s.h.root.each(func(k, _ Value) bool { return f(k) })
}

// NewSet makes a set of the given elements; duplicates collapse.
func NewSet(elems ...Value) *Set {
	s := EmptySet
	for _, x := range elems {
		s = s.Conj(x)
	}
	return s
}

// SortValues sorts in place by the total order, stably.
func SortValues(vs []Value) {
	sort.SliceStable(vs, func(i, j int) bool { return Compare(vs[i], vs[j]) < 0 })
}
