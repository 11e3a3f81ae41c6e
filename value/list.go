package value

// List is an immutable singly linked list. Lists come only from list, quote, conj and
// into on a list, and the & rest of parameters and patterns (rtfs-language.md §8).
type List struct {
	first Value
	rest  *List
	count int
}

// EmptyList is (); every empty list is equal to it.
var EmptyList = &List{}

func (*List) Kind() Kind { return KindList }

// NewList makes a list of the given elements, in order.
func NewList(elems ...Value) *List {
	l := EmptyList
	for i := len(elems) - 1; i >= 0; i-- {
		l = l.Cons(elems[i])
	}
	return l
}

func (l *List) Len() int { return l.count }

// First is the head, or nil for the empty list.
func (l *List) First() Value {
	if l.count == 0 {
		return Nil
	}
	return l.first
}

// Rest is the list without its head; the empty list for the empty list.
func (l *List) Rest() *List {
	if l.count == 0 {
		return EmptyList
	}
	return l.rest
}

// Cons adds x in front.
func (l *List) Cons(x Value) *List { return &List{first: x, rest: l, count: l.count + 1} }

// Each calls f on each element in order until f returns false.
func (l *List) Each(f func(Value) bool) {
	for p := l; p.count > 0; p = p.rest {
		if !f(p.first) {
			return
		}
	}
}

// Slice returns the elements in a new slice.
func (l *List) Slice() []Value {
	out := make([]Value, 0, l.count)
	for p := l; p.count > 0; p = p.rest {
		out = append(out, p.first)
	}
	return out
}

// Sequential is implemented by lists and vectors: the values that compare equal to each
// other element by element.
type Sequential interface {
	Value
	Len() int
	Each(f func(Value) bool)
	Slice() []Value
}

var (
	_ Sequential = (*List)(nil)
	_ Sequential = (*Vector)(nil)
)
