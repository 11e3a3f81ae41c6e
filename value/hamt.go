package value

import "math/bits"

// hamt is a persistent hash array mapped trie: the shared core of Map and Set. Updates
// copy only the path from the root to the changed entry.
type hamt struct {
	root  *hnode
	count int
}

type hnode struct {
	bitmap    uint32
	collision bool // every slot is a leaf with the same hash; bitmap is unused
	slots     []hslot
}

type hslot struct {
	sub  *hnode // non-nil for an inner slot
	hash uint64
	key  Value
	val  Value
}

const hbits = 5

func (h hamt) get(k Value) (Value, bool) {
	if h.root == nil {
		return nil, false
	}
	hash := Hash(k)
	n := h.root
	for shift := uint(0); ; shift += hbits {
		if n.collision {
			for _, s := range n.slots {
				if s.hash == hash && Equal(s.key, k) {
					return s.val, true
				}
			}
			return nil, false
		}
		bit := uint32(1) << ((hash >> shift) & 31)
		if n.bitmap&bit == 0 {
			return nil, false
		}
		s := &n.slots[bits.OnesCount32(n.bitmap&(bit-1))]
		if s.sub != nil {
			n = s.sub
			continue
		}
		if s.hash == hash && Equal(s.key, k) {
			return s.val, true
		}
		return nil, false
	}
}

func (h hamt) assoc(k, v Value) hamt {
	leaf := hslot{hash: Hash(k), key: k, val: v}
	if h.root == nil {
		return hamt{root: &hnode{bitmap: 1 << (leaf.hash & 31), slots: []hslot{leaf}}, count: 1}
	}
	root, added := h.root.assoc(leaf, 0)
	if added {
		return hamt{root: root, count: h.count + 1}
	}
	return hamt{root: root, count: h.count}
}

func (n *hnode) assoc(leaf hslot, shift uint) (*hnode, bool) {
	if n.collision {
		slots := append([]hslot(nil), n.slots...)
		for i, s := range slots {
			if Equal(s.key, leaf.key) {
				slots[i] = leaf
				return &hnode{collision: true, slots: slots}, false
			}
		}
		return &hnode{collision: true, slots: append(slots, leaf)}, true
	}
	bit := uint32(1) << ((leaf.hash >> shift) & 31)
	idx := bits.OnesCount32(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		slots := make([]hslot, len(n.slots)+1)
		copy(slots, n.slots[:idx])
		slots[idx] = leaf
		copy(slots[idx+1:], n.slots[idx:])
		return &hnode{bitmap: n.bitmap | bit, slots: slots}, true
	}
	slots := append([]hslot(nil), n.slots...)
	s := slots[idx]
	added := false
	switch {
	case s.sub != nil:
		slots[idx].sub, added = s.sub.assoc(leaf, shift+hbits)
	case s.hash == leaf.hash && Equal(s.key, leaf.key):
		slots[idx] = leaf
	default:
		slots[idx] = hslot{sub: merge(s, leaf, shift+hbits)}
		added = true
	}
	return &hnode{bitmap: n.bitmap, slots: slots}, added
}

// merge makes the node that holds two leaves whose hashes agree below shift.
func merge(a, b hslot, shift uint) *hnode {
	if a.hash == b.hash || shift >= 64 {
		return &hnode{collision: true, slots: []hslot{a, b}}
	}
	ia, ib := (a.hash>>shift)&31, (b.hash>>shift)&31
	if ia == ib {
		return &hnode{bitmap: 1 << ia, slots: []hslot{{sub: merge(a, b, shift+hbits)}}}
	}
	if ia > ib {
		a, b = b, a
	}
	return &hnode{bitmap: 1<<ia | 1<<ib, slots: []hslot{a, b}}
}

func (h hamt) dissoc(k Value) hamt {
	if h.root == nil {
		return h
	}
	root, removed := h.root.dissoc(Hash(k), k, 0)
	if !removed {
		return h
	}
	return hamt{root: root, count: h.count - 1}
}

// dissoc returns the node without k (nil when it becomes empty) and whether k was there.
func (n *hnode) dissoc(hash uint64, k Value, shift uint) (*hnode, bool) {
	if n.collision {
		for i, s := range n.slots {
			if Equal(s.key, k) {
				if len(n.slots) == 1 {
					return nil, true
				}
				slots := append(append([]hslot(nil), n.slots[:i]...), n.slots[i+1:]...)
				return &hnode{collision: true, slots: slots}, true
			}
		}
		return n, false
	}
	bit := uint32(1) << ((hash >> shift) & 31)
	if n.bitmap&bit == 0 {
		return n, false
	}
	idx := bits.OnesCount32(n.bitmap & (bit - 1))
	s := n.slots[idx]
	if s.sub != nil {
		sub, removed := s.sub.dissoc(hash, k, shift+hbits)
		if !removed {
			return n, false
		}
		if sub != nil {
			slots := append([]hslot(nil), n.slots...)
			slots[idx].sub = sub
			return &hnode{bitmap: n.bitmap, slots: slots}, true
		}
	} else if s.hash != hash || !Equal(s.key, k) {
		return n, false
	}
	if len(n.slots) == 1 {
		return nil, true
	}
	slots := append(append([]hslot(nil), n.slots[:idx]...), n.slots[idx+1:]...)
	return &hnode{bitmap: n.bitmap &^ bit, slots: slots}, true
}

// each visits every entry in trie order (not the total order) until f returns false.
func (n *hnode) each(f func(k, v Value) bool) bool {
	if n == nil {
		return true
	}
	for i := range n.slots {
		s := &n.slots[i]
		if s.sub != nil {
			if !s.sub.each(f) {
				return false
			}
		} else if !f(s.key, s.val) {
			return false
		}
	}
	return true
}
