package value

// Vector is a persistent vector: a 32-way trie with a tail, as in Clojure, so that conj,
// assoc and nth cost O(log32 n) and share structure with the original.
type Vector struct {
	count int
	shift uint
	root  *vnode
	tail  []Value
}

type vnode struct {
	kids []*vnode // inner node
	vals []Value  // leaf: exactly 32 values
}

const (
	vbits  = 5
	vwidth = 1 << vbits
	vmask  = vwidth - 1
)

var emptyNode = &vnode{}

// EmptyVector is [].
var EmptyVector = &Vector{shift: vbits, root: emptyNode}

func (*Vector) Kind() Kind { return KindVector }

// NewVector makes a vector holding elems; it keeps no reference to the slice.
func NewVector(elems []Value) *Vector {
	n := len(elems)
	if n == 0 {
		return EmptyVector
	}
	full := ((n - 1) >> vbits) << vbits // elements that go into the trie; the rest is the tail
	v := &Vector{shift: vbits, root: emptyNode}
	for i := 0; i < full; i += vwidth {
		v.count = i + vwidth
		v.tail = append([]Value(nil), elems[i:i+vwidth]...)
		v = v.pushTail()
	}
	v.count = n
	v.tail = append(make([]Value, 0, vwidth), elems[full:]...)
	return v
}

func (v *Vector) Len() int { return v.count }

func (v *Vector) tailOff() int {
	if v.count < vwidth {
		return 0
	}
	return ((v.count - 1) >> vbits) << vbits
}

// Index returns element i; the caller checks 0 <= i < Len.
func (v *Vector) Index(i int) Value {
	if i >= v.tailOff() {
		return v.tail[i&vmask]
	}
	return v.leafFor(i)[i&vmask]
}

func (v *Vector) leafFor(i int) []Value {
	n := v.root
	for level := v.shift; level > 0; level -= vbits {
		n = n.kids[(i>>level)&vmask]
	}
	return n.vals
}

// Conj appends x.
func (v *Vector) Conj(x Value) *Vector {
	if v.count-v.tailOff() < vwidth {
		tail := make([]Value, len(v.tail)+1, vwidth)
		copy(tail, v.tail)
		tail[len(v.tail)] = x
		return &Vector{count: v.count + 1, shift: v.shift, root: v.root, tail: tail}
	}
	w := v.pushTail()
	w.count++
	w.tail = append(make([]Value, 0, vwidth), x)
	return w
}

// pushTail moves a full tail into the trie. The result has the same count and a tail
// that the caller must set.
func (v *Vector) pushTail() *Vector {
	leaf := &vnode{vals: v.tail}
	if (v.count >> vbits) > (1 << v.shift) {
		root := &vnode{kids: []*vnode{v.root, newPath(v.shift, leaf)}}
		return &Vector{count: v.count, shift: v.shift + vbits, root: root}
	}
	return &Vector{count: v.count, shift: v.shift, root: v.pushLeaf(v.shift, v.root, leaf)}
}

func newPath(level uint, n *vnode) *vnode {
	if level == 0 {
		return n
	}
	return &vnode{kids: []*vnode{newPath(level-vbits, n)}}
}

func (v *Vector) pushLeaf(level uint, parent, leaf *vnode) *vnode {
	sub := ((v.count - 1) >> level) & vmask
	kids := append([]*vnode(nil), parent.kids...)
	var child *vnode
	if level == vbits {
		child = leaf
	} else if sub < len(parent.kids) {
		child = v.pushLeaf(level-vbits, parent.kids[sub], leaf)
	} else {
		child = newPath(level-vbits, leaf)
	}
	if sub < len(kids) {
		kids[sub] = child
	} else {
		kids = append(kids, child)
	}
	return &vnode{kids: kids}
}

// Assoc replaces element i (0 <= i < Len) or appends when i == Len.
func (v *Vector) Assoc(i int, x Value) *Vector {
	if i == v.count {
		return v.Conj(x)
	}
	if i >= v.tailOff() {
		tail := append(make([]Value, 0, vwidth), v.tail...)
		tail[i&vmask] = x
		return &Vector{count: v.count, shift: v.shift, root: v.root, tail: tail}
	}
	return &Vector{count: v.count, shift: v.shift, root: assocPath(v.shift, v.root, i, x), tail: v.tail}
}

func assocPath(level uint, n *vnode, i int, x Value) *vnode {
	if level == 0 {
		vals := append([]Value(nil), n.vals...)
		vals[i&vmask] = x
		return &vnode{vals: vals}
	}
	kids := append([]*vnode(nil), n.kids...)
	sub := (i >> level) & vmask
	kids[sub] = assocPath(level-vbits, n.kids[sub], i, x)
	return &vnode{kids: kids}
}

// Each calls f on each element in order until f returns false.
func (v *Vector) Each(f func(Value) bool) {
	off := v.tailOff()
	for i := 0; i < off; i += vwidth {
		for _, x := range v.leafFor(i) {
			if !f(x) {
				return
			}
		}
	}
	for _, x := range v.tail {
		if !f(x) {
			return
		}
	}
}

// Slice returns the elements in a new slice.
func (v *Vector) Slice() []Value {
	out := make([]Value, 0, v.count)
	v.Each(func(x Value) bool { out = append(out, x); return true })
	return out
}
