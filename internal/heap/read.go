// Package heap is the host's view of a MicroVM's values: it reads guest values out of
// linear memory into the Go value model and writes Go values into the guest. It uses
// the definitions of package layout, like the guest runtime does.
package heap

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// Memory is the part of a wazero api.Memory the reader needs.
type Memory interface {
	Read(offset, byteCount uint32) ([]byte, bool)
}

// GuestFunction stands for a function value of the guest: the host can print it and
// pass it back, but not call it.
type GuestFunction struct {
	Name string
	Ref  uint64 // the guest value
}

func (*GuestFunction) Kind() value.Kind   { return value.KindFunction }
func (f *GuestFunction) FuncName() string { return f.Name }

// Reader reads values from one memory.
type Reader struct{ Mem Memory }

func (r Reader) bytes(addr, n uint32) ([]byte, error) {
	b, ok := r.Mem.Read(addr, n)
	if !ok {
		return nil, fmt.Errorf("heap: read of %d bytes at %#x is outside memory", n, addr)
	}
	return b, nil
}

func (r Reader) word(addr uint32) (uint64, error) {
	b, err := r.bytes(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r Reader) u32(addr uint32) (uint32, error) {
	b, err := r.bytes(addr, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// Read converts a guest value.
func (r Reader) Read(v uint64) (value.Value, error) { return r.read(v, 0) }

// MaxDepth bounds the nesting of a value the host reads: the guest builds no cycles,
// but a damaged memory (a damaged snapshot) could, and the reader recurses.
const MaxDepth = 100_000

func (r Reader) read(v uint64, depth int) (value.Value, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("heap: a value nested more than %d deep (the guest's memory is damaged)", MaxDepth)
	}
	switch {
	case v == layout.Nil:
		return value.Nil, nil
	case v == layout.True:
		return value.True, nil
	case v == layout.False:
		return value.False, nil
	case layout.IsFixnum(v):
		return value.Int(layout.FixnumValue(v)), nil
	case !layout.IsPointer(v):
		return nil, fmt.Errorf("heap: %#x is not a value", v)
	}
	p := layout.Pointer(v)
	hdr, err := r.bytes(p, layout.HeaderSize)
	if err != nil {
		return nil, err
	}
	switch typ := hdr[layout.HeaderTypeOffset]; typ {
	case layout.TypeBigInt:
		w, err := r.word(p + layout.BoxValue)
		return value.Int(int64(w)), err
	case layout.TypeFloat:
		w, err := r.word(p + layout.BoxValue)
		return value.Float(math.Float64frombits(w)), err
	case layout.TypeString, layout.TypeKeyword, layout.TypeSymbol:
		s, err := r.Text(v)
		if err != nil {
			return nil, err
		}
		switch typ {
		case layout.TypeKeyword:
			return value.Keyword(s), nil
		case layout.TypeSymbol:
			return value.Symbol(s), nil
		}
		return value.String(s), nil
	case layout.TypeList:
		var elems []value.Value
		for {
			n, err := r.u32(p + layout.CountOffset)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return value.NewList(elems...), nil
			}
			first, err := r.word(p + layout.ListFirst)
			if err != nil {
				return nil, err
			}
			x, err := r.read(first, depth+1)
			if err != nil {
				return nil, err
			}
			elems = append(elems, x)
			rest, err := r.word(p + layout.ListRest)
			if err != nil {
				return nil, err
			}
			if !layout.IsPointer(rest) {
				return nil, fmt.Errorf("heap: list cell at %#x has a bad rest", p)
			}
			p = layout.Pointer(rest)
		}
	case layout.TypeVector:
		var elems []value.Value
		err := r.eachVector(p, func(x uint64) error {
			e, err := r.read(x, depth+1)
			elems = append(elems, e)
			return err
		})
		if err != nil {
			return nil, err
		}
		return value.NewVector(elems), nil
	case layout.TypeMap, layout.TypeSet:
		root, err := r.word(p + layout.MapRoot)
		if err != nil {
			return nil, err
		}
		m, s := value.EmptyMap, value.EmptySet
		err = r.eachEntry(root, 0, func(k, x uint64) error {
			kv, err := r.read(k, depth+1)
			if err != nil {
				return err
			}
			if typ == layout.TypeSet {
				s = s.Conj(kv)
				return nil
			}
			xv, err := r.read(x, depth+1)
			m = m.Assoc(kv, xv)
			return err
		})
		if err != nil {
			return nil, err
		}
		if typ == layout.TypeSet {
			return s, nil
		}
		return m, nil
	case layout.TypeClosure:
		name, err := r.word(p + layout.ClosureName)
		if err != nil {
			return nil, err
		}
		f := &GuestFunction{Ref: v}
		if name != layout.Nil {
			if f.Name, err = r.Text(name); err != nil {
				return nil, err
			}
		}
		return f, nil
	default:
		return nil, fmt.Errorf("heap: object at %#x has unknown type %d", p, typ)
	}
}

// Text is the text of a string, keyword or symbol object.
// KeywordBytes is the name of the keyword v, as a view of the guest's memory (valid
// until the guest runs again), or false when v is not a keyword.
func (r Reader) KeywordBytes(v uint64) ([]byte, bool) {
	if !layout.IsPointer(v) {
		return nil, false
	}
	p := layout.Pointer(v)
	hdr, err := r.bytes(p, layout.HeaderSize)
	if err != nil || hdr[layout.HeaderTypeOffset] != layout.TypeKeyword {
		return nil, false
	}
	n, err := r.u32(p + layout.StringByteLen)
	if err != nil {
		return nil, false
	}
	b, err := r.bytes(p+layout.StringBytes, n)
	return b, err == nil
}

func (r Reader) Text(v uint64) (string, error) {
	p := layout.Pointer(v)
	n, err := r.u32(p + layout.StringByteLen)
	if err != nil {
		return "", err
	}
	b, err := r.bytes(p+layout.StringBytes, n)
	return string(b), err
}

// eachVector visits the elements of the vector at p in order.
func (r Reader) eachVector(p uint32, f func(uint64) error) error {
	hdr, err := r.word(p + layout.CountOffset)
	if err != nil {
		return err
	}
	count, shift := uint32(hdr), uint32(hdr>>32)
	if shift%layout.VectorBits != 0 || shift > 32 {
		return fmt.Errorf("heap: the vector at %#x is damaged (shift %d)", p, shift)
	}
	root, err := r.word(p + layout.VectorRoot)
	if err != nil {
		return err
	}
	tail, err := r.word(p + layout.VectorTail)
	if err != nil {
		return err
	}
	tailOff := uint32(0)
	if count >= layout.VectorWidth {
		tailOff = ((count - 1) >> layout.VectorBits) << layout.VectorBits
	}
	var walk func(node uint64, level uint32) error
	walk = func(node uint64, level uint32) error {
		np := layout.Pointer(node)
		size, err := r.u32(np + layout.HeaderSizeOffset)
		if err != nil {
			return err
		}
		if size > layout.VectorWidth {
			return fmt.Errorf("heap: a vector node at %#x is damaged (size %d)", np, size)
		}
		for i := uint32(0); i < size; i++ {
			x, err := r.word(np + layout.VNodeSlots + 8*i)
			if err != nil {
				return err
			}
			if level == 0 {
				err = f(x)
			} else {
				err = walk(x, level-layout.VectorBits)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if tailOff > 0 {
		if err := walk(root, shift); err != nil {
			return err
		}
	}
	tp := layout.Pointer(tail)
	for i := uint32(0); i < count-tailOff; i++ {
		x, err := r.word(tp + layout.VNodeSlots + 8*i)
		if err != nil {
			return err
		}
		if err := f(x); err != nil {
			return err
		}
	}
	return nil
}

// eachEntry visits the key/value pairs of a map or set trie, whose node is at depth.
func (r Reader) eachEntry(node uint64, depth int, f func(k, v uint64) error) error {
	if node == layout.Nil {
		return nil
	}
	if depth > 16 { // 5 bits of a 64-bit hash a level, then a collision node
		return fmt.Errorf("heap: a map trie deeper than 16 levels (the guest's memory is damaged)")
	}
	np := layout.Pointer(node)
	hdr, err := r.bytes(np, layout.HeaderSize)
	if err != nil {
		return err
	}
	size := binary.LittleEndian.Uint32(hdr[layout.HeaderSizeOffset:])
	pairs, children := uint32(0), uint32(0)
	slots := uint32(layout.HNodeSlots)
	switch hdr[layout.HeaderTypeOffset] {
	case layout.TypeHNode:
		maps, err := r.word(np + layout.HNodeDatamap)
		if err != nil {
			return err
		}
		pairs = uint32(bits.OnesCount32(uint32(maps)))
		children = uint32(bits.OnesCount32(uint32(maps >> 32)))
	case layout.TypeCNode:
		pairs = size / 2
		slots = layout.CNodeSlots
	default:
		return fmt.Errorf("heap: %#x is not a map node", np)
	}
	for i := uint32(0); i < pairs; i++ {
		k, err := r.word(np + slots + 16*i)
		if err != nil {
			return err
		}
		v, err := r.word(np + slots + 16*i + 8)
		if err != nil {
			return err
		}
		if err := f(k, v); err != nil {
			return err
		}
	}
	for i := uint32(0); i < children; i++ {
		c, err := r.word(np + slots + 16*pairs + 8*i)
		if err != nil {
			return err
		}
		if err := r.eachEntry(c, depth+1, f); err != nil {
			return err
		}
	}
	return nil
}
