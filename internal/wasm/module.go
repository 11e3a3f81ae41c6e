// Package wasm writes WebAssembly binary modules (core 2.0). Module holds the sections;
// Code is a function body being written, with one method an instruction; builder.go
// layers a structured builder on top so that generated runtime routines read like code.
package wasm

import (
	"bytes"
	"fmt"
	"math"
)

// ValType is a value type.
type ValType byte

const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
	F32 ValType = 0x7d
	F64 ValType = 0x7c
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("valtype(%#x)", byte(t))
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []ValType
}

// key appends the type's map key to b: its parameters' and results' bytes, apart.
func (t FuncType) key(b []byte) []byte {
	for _, p := range t.Params {
		b = append(b, byte(p))
	}
	b = append(b, 0) // no value type is 0
	for _, r := range t.Results {
		b = append(b, byte(r))
	}
	return b
}

// Import is an imported function (the only kind of import rtfsvm modules have).
type Import struct {
	Module, Name string
	Type         uint32 // type index
}

// Global is a mutable or constant global with a constant initial value.
type Global struct {
	Type    ValType
	Mutable bool
	Init    int64 // for I32/I64; F64 globals use math.Float64bits
}

// Export names a function, memory or global.
type Export struct {
	Name  string
	Kind  ExportKind
	Index uint32
}

type ExportKind byte

const (
	ExportFunc   ExportKind = 0
	ExportTable  ExportKind = 1
	ExportMemory ExportKind = 2
	ExportGlobal ExportKind = 3
)

// Data is an active data segment placed at a fixed address of memory 0.
type Data struct {
	Offset uint32
	Bytes  []byte
}

// Module is a module under construction. Function indices count imports first.
type Module struct {
	Types     []FuncType
	typeIndex map[string]uint32
	Imports   []Import
	Funcs     []*Func // defined functions, in index order after the imports
	// Table lists function indices for call_indirect, as one element segment at 0.
	Table      []uint32
	MinPages   uint32
	MaxPages   uint32 // 0: no maximum
	Globals    []Global
	Exports    []Export
	Datas      []Data
	Start      *uint32
	CustomName string // a custom section of this name, when not empty (Encode only)
	CustomData string
}

// Type returns the index of a signature, adding it when new.
func (m *Module) Type(t FuncType) uint32 {
	if m.typeIndex == nil {
		m.typeIndex = map[string]uint32{}
	}
	var buf [32]byte
	k := t.key(buf[:0])
	if i, ok := m.typeIndex[string(k)]; ok { // no allocation for the lookup
		return i
	}
	i := uint32(len(m.Types))
	m.Types = append(m.Types, t)
	m.typeIndex[string(k)] = i
	return i
}

// Encode writes the binary module.
func (m *Module) Encode() ([]byte, error) { return m.encode(forCompiler) }

// EncodeForInterpreter writes the module for an interpreter: without the code of its
// functions' anchors (see Func.Anchor), with the interpreted side of their tiered code
// (Func.Tiered), and without the custom section, which is for us, not for wazero. It
// behaves as Encode's module does, with fewer instructions to validate, compile and
// run.
func (m *Module) EncodeForInterpreter() ([]byte, error) { return m.encode(forInterpreter) }

func (m *Module) encode(enc encoding) ([]byte, error) {
	// The code section, the bulk of the module, is sized first, so that the module is
	// written into one buffer of about its size: the functions' locals are encoded
	// (into one buffer) and their bodies measured.
	var locals bytes.Buffer
	localsEnd := make([]int, len(m.Funcs))
	bodyLen := make([]int, len(m.Funcs))
	size := uleb128Len(uint32(len(m.Funcs)))
	for i, f := range m.Funcs {
		if f.depth != 0 {
			return nil, fmt.Errorf("wasm: function %s: %d blocks left open", f.Name, f.depth)
		}
		start := locals.Len()
		f.encodeLocals(&locals)
		localsEnd[i] = locals.Len()
		bodyLen[i] = f.encodedLen(enc)
		n := uint32(locals.Len() - start + bodyLen[i] + 1)
		size += uleb128Len(n) + int(n)
	}
	var out bytes.Buffer
	custom := 0
	if enc == forCompiler {
		custom = len(m.CustomName) + len(m.CustomData) + 16
	}
	out.Grow(custom + m.headerSize() + 6 + size + m.dataSize())
	out.Write([]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00})
	var b bytes.Buffer
	section := func(id byte, body []byte) {
		out.WriteByte(id)
		writeU32(&out, uint32(len(body)))
		out.Write(body)
	}
	if m.CustomName != "" && enc == forCompiler {
		// Written in place: the section's size is known before its body.
		out.WriteByte(0)
		writeU32(&out, uint32(uleb128Len(uint32(len(m.CustomName)))+len(m.CustomName)+len(m.CustomData)))
		writeName(&out, m.CustomName)
		out.WriteString(m.CustomData)
	}
	// Type section.
	writeU32(&b, uint32(len(m.Types)))
	for _, t := range m.Types {
		b.WriteByte(0x60)
		writeU32(&b, uint32(len(t.Params)))
		for _, p := range t.Params {
			b.WriteByte(byte(p))
		}
		writeU32(&b, uint32(len(t.Results)))
		for _, r := range t.Results {
			b.WriteByte(byte(r))
		}
	}
	section(1, b.Bytes())
	if len(m.Imports) > 0 {
		b.Reset()
		writeU32(&b, uint32(len(m.Imports)))
		for _, im := range m.Imports {
			writeName(&b, im.Module)
			writeName(&b, im.Name)
			b.WriteByte(0x00)
			writeU32(&b, im.Type)
		}
		section(2, b.Bytes())
	}
	b.Reset()
	writeU32(&b, uint32(len(m.Funcs)))
	for _, f := range m.Funcs {
		writeU32(&b, f.TypeIndex)
	}
	section(3, b.Bytes())
	if len(m.Table) > 0 {
		b.Reset()
		writeU32(&b, 1)
		b.WriteByte(0x70) // funcref
		b.WriteByte(0x01)
		writeU32(&b, uint32(len(m.Table)))
		writeU32(&b, uint32(len(m.Table)))
		section(4, b.Bytes())
	}
	b.Reset()
	writeU32(&b, 1)
	if m.MaxPages > 0 {
		b.WriteByte(0x01)
		writeU32(&b, m.MinPages)
		writeU32(&b, m.MaxPages)
	} else {
		b.WriteByte(0x00)
		writeU32(&b, m.MinPages)
	}
	section(5, b.Bytes())
	if len(m.Globals) > 0 {
		b.Reset()
		writeU32(&b, uint32(len(m.Globals)))
		for _, g := range m.Globals {
			b.WriteByte(byte(g.Type))
			if g.Mutable {
				b.WriteByte(1)
			} else {
				b.WriteByte(0)
			}
			switch g.Type {
			case I32:
				b.WriteByte(0x41)
				writeS64(&b, int64(int32(g.Init)))
			case I64:
				b.WriteByte(0x42)
				writeS64(&b, g.Init)
			case F64:
				b.WriteByte(0x44)
				var f [8]byte
				putU64(f[:], uint64(g.Init))
				b.Write(f[:])
			default:
				return nil, fmt.Errorf("wasm: global of type %s", g.Type)
			}
			b.WriteByte(0x0b)
		}
		section(6, b.Bytes())
	}
	if len(m.Exports) > 0 {
		b.Reset()
		writeU32(&b, uint32(len(m.Exports)))
		for _, e := range m.Exports {
			writeName(&b, e.Name)
			b.WriteByte(byte(e.Kind))
			writeU32(&b, e.Index)
		}
		section(7, b.Bytes())
	}
	if m.Start != nil {
		b.Reset()
		writeU32(&b, *m.Start)
		section(8, b.Bytes())
	}
	if len(m.Table) > 0 {
		b.Reset()
		writeU32(&b, 1)
		b.WriteByte(0x00) // active, table 0, funcref
		b.WriteByte(0x41)
		writeS64(&b, 0)
		b.WriteByte(0x0b)
		writeU32(&b, uint32(len(m.Table)))
		for _, fi := range m.Table {
			writeU32(&b, fi)
		}
		section(9, b.Bytes())
	}
	if len(m.Datas) > 0 {
		b.Reset()
		writeU32(&b, uint32(len(m.Datas)))
		section(12, b.Bytes()) // data count, for bulk memory validation
	}
	// The code section is written straight into out: its size is known.
	out.WriteByte(10)
	writeU32(&out, uint32(size))
	writeU32(&out, uint32(len(m.Funcs)))
	at := 0
	for i, f := range m.Funcs {
		loc := locals.Bytes()[at:localsEnd[i]]
		at = localsEnd[i]
		writeU32(&out, uint32(len(loc)+bodyLen[i]+1))
		out.Write(loc)
		f.kept(enc, func(part []byte) { out.Write(part) })
		out.WriteByte(opEnd)
	}
	if len(m.Datas) > 0 {
		// Written straight into out too, with its size worked out first.
		n := uleb128Len(uint32(len(m.Datas)))
		for _, d := range m.Datas {
			n += 3 + sleb128Len(int64(int32(d.Offset))) + uleb128Len(uint32(len(d.Bytes))) + len(d.Bytes)
		}
		out.WriteByte(11)
		writeU32(&out, uint32(n))
		writeU32(&out, uint32(len(m.Datas)))
		for _, d := range m.Datas {
			out.WriteByte(0x00)
			out.WriteByte(0x41)
			writeS64(&out, int64(int32(d.Offset)))
			out.WriteByte(0x0b)
			writeU32(&out, uint32(len(d.Bytes)))
			out.Write(d.Bytes)
		}
	}
	return out.Bytes(), nil
}

// dataSize bounds the size of the data section.
func (m *Module) dataSize() int {
	n := 16
	for _, d := range m.Datas {
		n += len(d.Bytes) + 16
	}
	return n
}

// headerSize bounds the size of the sections before the code section (but the custom
// section): a module is written into a buffer of about its size.
func (m *Module) headerSize() int {
	const leb = 5                     // the longest u32
	n := 8 + 10*(6+leb) + 8*(2+2*leb) // the magic and version; the sections' ids, sizes and counts; table and memory
	for _, t := range m.Types {
		n += 1 + 2*leb + len(t.Params) + len(t.Results)
	}
	for _, im := range m.Imports {
		n += 2*leb + len(im.Module) + len(im.Name) + 1 + leb
	}
	n += leb * len(m.Funcs)
	n += 14 * len(m.Globals) // type, mutability, a constant of at most 10 bytes, end
	for _, e := range m.Exports {
		n += leb + len(e.Name) + 1 + leb
	}
	return n + 16 + leb*len(m.Table) // start; the element segment's header and entries
}

// sleb128Len is the length of v's signed encoding (writeS64).
func sleb128Len(v int64) int {
	n := 1
	for v < -64 || v >= 64 {
		v >>= 7
		n++
	}
	return n
}

func writeU32(b *bytes.Buffer, v uint32) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b.WriteByte(c | 0x80)
			continue
		}
		b.WriteByte(c)
		return
	}
}

func writeS64(b *bytes.Buffer, v int64) {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			b.WriteByte(c)
			return
		}
		b.WriteByte(c | 0x80)
	}
}

func writeName(b *bytes.Buffer, s string) {
	writeU32(b, uint32(len(s)))
	b.WriteString(s)
}

func putU64(p []byte, v uint64) {
	for i := 0; i < 8; i++ {
		p[i] = byte(v >> (8 * i))
	}
}

// F64Bits is the Init of an F64 global.
func F64Bits(f float64) int64 { return int64(math.Float64bits(f)) }
