package value

import "math/bits"

// hamt is a persistent hash array mapped trie in the CHAMP layout (Steindorfer and
// Vinju): each node keeps its entries and its child nodes in two arrays indexed by two
// bitmaps, so that an update copies the path from the root to the change and no more,
// and inner nodes stay small (a pointer a child). It is the shared core of Map and Set.
type hamt struct {
	root  *hnode
	count int
}

type hnode struct {
	datamap, nodemap uint32
	entries          []hentry // in bit order of datamap; every entry of a collision node
	nodes            []*hnode // in bit order of nodemap
	collision        bool     // all entries share one 64-bit hash; bitmaps unused
}

type hentry struct{ key, val Value }

const (
	hbits     = 5
	maxShift  = 64 // past the last 5-bit chunk of the hash: only collision nodes remain
	chunkMask = 1<<hbits - 1
)

func chunk(hash uint64, shift uint) uint32 { return 1 << ((hash >> shift) & chunkMask) }

func index(bitmap, bit uint32) int { return bits.OnesCount32(bitmap & (bit - 1)) }

func (h hamt) get(k Value) (Value, bool) {
	n := h.root
	if n == nil {
		return nil, false
	}
	hash := Hash(k)
	for shift := uint(0); ; shift += hbits {
		if n.collision {
			for _, e := range n.entries {
				if Equal(e.key, k) {
					return e.val, true
				}
			}
			return nil, false
		}
		bit := chunk(hash, shift)
		switch {
		case n.datamap&bit != 0:
			e := &n.entries[index(n.datamap, bit)]
			if Equal(e.key, k) {
				return e.val, true
			}
			return nil, false
		case n.nodemap&bit != 0:
			n = n.nodes[index(n.nodemap, bit)]
		default:
			return nil, false
		}
	}
}

func (h hamt) assoc(k, v Value) hamt {
	root := h.root
	if root == nil {
		root = &hnode{}
	}
	n, added := root.assoc(hentry{k, v}, Hash(k), 0)
	if added {
		return hamt{root: n, count: h.count + 1}
	}
	return hamt{root: n, count: h.count}
}

func (n *hnode) assoc(e hentry, hash uint64, shift uint) (*hnode, bool) {
	if n.collision {
		for i, old := range n.entries {
			if Equal(old.key, e.key) {
				c := n.copy()
				c.entries[i] = e
				return c, false
			}
		}
		c := n.copy()
		c.entries = append(c.entries, e)
		return c, true
	}
	bit := chunk(hash, shift)
	switch {
	case n.datamap&bit != 0:
		i := index(n.datamap, bit)
		old := n.entries[i]
		c := n.copy()
		if Equal(old.key, e.key) {
			c.entries[i] = e
			return c, false
		}
		// Two keys meet in this slot: they move down into a new child.
		sub := pair(old, Hash(old.key), e, hash, shift+hbits)
		c.entries = append(c.entries[:i], c.entries[i+1:]...)
		c.datamap &^= bit
		c.nodemap |= bit
		j := index(c.nodemap, bit)
		c.nodes = insertAt(c.nodes, j, sub)
		return c, true
	case n.nodemap&bit != 0:
		j := index(n.nodemap, bit)
		sub, added := n.nodes[j].assoc(e, hash, shift+hbits)
		c := n.copy()
		c.nodes[j] = sub
		return c, added
	}
	c := n.copy()
	c.datamap |= bit
	c.entries = insertAt(c.entries, index(c.datamap, bit), e)
	return c, true
}

// pair makes the node that holds two entries whose hashes agree below shift.
func pair(a hentry, ha uint64, b hentry, hb uint64, shift uint) *hnode {
	if shift >= maxShift {
		return &hnode{collision: true, entries: []hentry{a, b}}
	}
	ba, bb := chunk(ha, shift), chunk(hb, shift)
	if ba == bb {
		return &hnode{nodemap: ba, nodes: []*hnode{pair(a, ha, b, hb, shift+hbits)}}
	}
	if ba > bb {
		a, b = b, a
	}
	return &hnode{datamap: ba | bb, entries: []hentry{a, b}}
}

func (n *hnode) copy() *hnode {
	c := *n
	c.entries = append(make([]hentry, 0, len(n.entries)+1), n.entries...)
	if len(n.nodes) > 0 {
		c.nodes = append([]*hnode(nil), n.nodes...)
	}
	return &c
}

func insertAt[T any](s []T, i int, x T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}

func (h hamt) dissoc(k Value) hamt {
	if h.root == nil {
		return h
	}
	root, removed := h.root.dissoc(k, Hash(k), 0)
	if !removed {
		return h
	}
	return hamt{root: root, count: h.count - 1}
}

// dissoc returns the node without k and whether k was there. A child left with a single
// entry and no children is folded into its parent, so that equal maps have equal shapes
// whatever their history.
func (n *hnode) dissoc(k Value, hash uint64, shift uint) (*hnode, bool) {
	if n.collision {
		for i, e := range n.entries {
			if Equal(e.key, k) {
				c := n.copy()
				c.entries = append(c.entries[:i], c.entries[i+1:]...)
				return c, true
			}
		}
		return n, false
	}
	bit := chunk(hash, shift)
	switch {
	case n.datamap&bit != 0:
		i := index(n.datamap, bit)
		if !Equal(n.entries[i].key, k) {
			return n, false
		}
		c := n.copy()
		c.entries = append(c.entries[:i], c.entries[i+1:]...)
		c.datamap &^= bit
		return c, true
	case n.nodemap&bit != 0:
		j := index(n.nodemap, bit)
		sub, removed := n.nodes[j].dissoc(k, hash, shift+hbits)
		if !removed {
			return n, false
		}
		c := n.copy()
		if len(sub.nodes) == 0 && len(sub.entries) == 1 {
			// Pull the last entry of the child up into this node.
			c.nodes = append(c.nodes[:j], c.nodes[j+1:]...)
			c.nodemap &^= bit
			c.datamap |= bit
			c.entries = insertAt(c.entries, index(c.datamap, bit), sub.entries[0])
			return c, true
		}
		c.nodes[j] = sub
		return c, true
	}
	return n, false
}

// each visits every entry in trie order (not the total order) until f returns false.
func (n *hnode) each(f func(k, v Value) bool) bool {
	if n == nil {
		return true
	}
	for _, e := range n.entries {
		if !f(e.key, e.val) {
			return false
		}
	}
	for _, sub := range n.nodes {
		if !sub.each(f) {
			return false
		}
	}
	return true
}

// assocFresh is assoc on a node that no map shares yet (one being built): it changes
// the node in place instead of copying the path, and leaves the same shape as assoc.
func (n *hnode) assocFresh(e hentry, hash uint64, shift uint) bool {
	if n.collision {
		for i, old := range n.entries {
			if Equal(old.key, e.key) {
				n.entries[i] = e
				return false
			}
		}
		n.entries = append(n.entries, e)
		return true
	}
	bit := chunk(hash, shift)
	switch {
	case n.datamap&bit != 0:
		i := index(n.datamap, bit)
		old := n.entries[i]
		if Equal(old.key, e.key) {
			n.entries[i] = e
			return false
		}
		sub := pair(old, Hash(old.key), e, hash, shift+hbits)
		n.entries = append(n.entries[:i], n.entries[i+1:]...)
		n.datamap &^= bit
		n.nodemap |= bit
		n.nodes = insertAt(n.nodes, index(n.nodemap, bit), sub)
		return true
	case n.nodemap&bit != 0:
		return n.nodes[index(n.nodemap, bit)].assocFresh(e, hash, shift+hbits)
	}
	n.datamap |= bit
	n.entries = insertAt(n.entries, index(n.datamap, bit), e)
	return true
}
