package heap

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// Instance is what the Writer needs of a guest instance: writes to its memory, calls of
// its exported functions, and its exported globals. Module adapts a wazero module.
type Instance interface {
	Write(addr uint32, b []byte) bool
	Call(fn string, args ...uint64) (uint64, error)
	Global(name string) uint64
}

// Module is the Instance of a wazero module, whose calls run under ctx.
func Module(ctx context.Context, m api.Module) Instance { return &module{ctx: ctx, m: m} }

type module struct {
	ctx context.Context
	m   api.Module
	// fns are the exported functions called so far: wazero makes a new function, with
	// a call stack of its own (10 KB), each time one is looked up.
	fns map[string]*guestFn
}

// guestFn is an exported function, and whether a call of it is under way (a call
// that reached the writer again through an import must not reuse its stack).
type guestFn struct {
	fn   api.Function
	busy bool
}

func (m *module) Write(addr uint32, b []byte) bool { return m.m.Memory().Write(addr, b) }

func (m *module) Call(name string, args ...uint64) (uint64, error) {
	g := m.fns[name]
	if g == nil {
		fn := m.m.ExportedFunction(name)
		if fn == nil {
			return 0, fmt.Errorf("heap: the guest does not export %s", name)
		}
		if m.fns == nil {
			m.fns = map[string]*guestFn{}
		}
		g = &guestFn{fn: fn}
		m.fns[name] = g
	}
	fn := g.fn
	if g.busy {
		fn = m.m.ExportedFunction(name)
	} else {
		g.busy = true
		defer func() { g.busy = false }()
	}
	out, err := fn.Call(m.ctx, args...)
	if err != nil {
		return 0, err
	}
	return out[0], nil
}

func (m *module) Global(name string) uint64 {
	if w, _ := m.m.Memory().ReadUint64Le(layout.StaticEndWord); !layout.FixedStatic(w) {
		// A module compiled before the empty collections had fixed addresses.
		if g := m.m.ExportedGlobal(name); g != nil {
			return g.Get()
		}
		return layout.Err // not a value: the writer reports it
	}
	switch name {
	case "empty_list":
		return layout.EmptyList
	case "empty_vector":
		return layout.EmptyVector
	case "empty_map":
		return layout.EmptyMap
	case "empty_set":
		return layout.EmptySet
	}
	return layout.Err // not a value: the writer reports it
}

// Writer writes Go values into a guest. Strings, keywords, symbols and numbers are laid
// out through the guest's alloc, box_int and box_float; collections are built with the
// guest's own routines (list_cons, vector_conj, map_assoc, set_conj) from its empty
// collections (the globals empty_list, empty_vector, empty_map, empty_set), so that they
// have exactly the shape the guest would give them. The module must export all of these.
type Writer struct {
	In Instance
}

// Write converts a value into the guest and returns it.
func (w Writer) Write(v value.Value) (uint64, error) {
	switch v := v.(type) {
	case value.NilType:
		return layout.Nil, nil
	case value.Bool:
		if v {
			return layout.True, nil
		}
		return layout.False, nil
	case value.Int:
		if layout.FitsFixnum(int64(v)) {
			return layout.Fixnum(int64(v)), nil
		}
		return w.In.Call("box_int", uint64(v))
	case value.Float:
		return w.In.Call("box_float", math.Float64bits(float64(v)))
	case value.String:
		return w.text(layout.TypeString, string(v))
	case value.Keyword:
		return w.text(layout.TypeKeyword, string(v))
	case value.Symbol:
		return w.text(layout.TypeSymbol, string(v))
	case *GuestFunction:
		return v.Ref, nil
	case *value.List:
		xs := v.Slice()
		backwards := func(f func(value.Value) bool) {
			for i := len(xs) - 1; i >= 0 && f(xs[i]); i-- {
			}
		}
		return w.build("empty_list", backwards, func(l, x uint64) (uint64, error) { return w.In.Call("list_cons", x, l) })
	case *value.Vector:
		return w.build("empty_vector", v.Each, func(vec, x uint64) (uint64, error) { return w.In.Call("vector_conj", vec, x) })
	case *value.Set:
		return w.build("empty_set", v.EachUnordered, func(s, x uint64) (uint64, error) { return w.In.Call("set_conj", s, x) })
	case *value.Map:
		m, err := w.empty("empty_map")
		v.EachUnordered(func(k, x value.Value) bool {
			var kv, xv uint64
			if err == nil {
				kv, err = w.Write(k)
			}
			if err == nil {
				xv, err = w.Write(x)
			}
			if err == nil {
				m, err = w.In.Call("map_assoc", m, kv, xv)
			}
			return err == nil
		})
		return m, err
	}
	return 0, fmt.Errorf("heap: cannot write %s into the guest", value.Describe(v))
}

// build starts from the guest's empty collection in global and adds each element with
// step.
func (w Writer) build(global string, each func(func(value.Value) bool), step func(coll, x uint64) (uint64, error)) (uint64, error) {
	coll, err := w.empty(global)
	if err != nil {
		return 0, err
	}
	each(func(x value.Value) bool {
		var xv uint64
		if xv, err = w.Write(x); err == nil {
			coll, err = step(coll, xv)
		}
		return err == nil
	})
	return coll, err
}

func (w Writer) empty(global string) (uint64, error) {
	v := w.In.Global(global)
	if !layout.IsPointer(v) {
		return 0, fmt.Errorf("heap: the guest does not export the global %s", global)
	}
	return v, nil
}

// text allocates a string, keyword or symbol object holding s.
func (w Writer) text(typ int, s string) (uint64, error) {
	payload := make([]byte, 8+len(s))
	binary.LittleEndian.PutUint32(payload, uint32(len(s)))
	binary.LittleEndian.PutUint32(payload[4:], uint32(utf8.RuneCountInString(s)))
	copy(payload[8:], s)
	words := uint64(len(payload)+layout.WordSize-1) / layout.WordSize
	p, err := w.In.Call("alloc", uint64(typ), words)
	if err != nil {
		return 0, err
	}
	if !w.In.Write(uint32(p)+layout.HeaderSize, payload) {
		return 0, fmt.Errorf("heap: string object at %#x is outside memory", p)
	}
	return uint64(uint32(p)), nil
}
