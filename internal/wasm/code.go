package wasm

import (
	"bytes"
	"math"
	"slices"
)

// Func is a function of the module; its body is written through the builder methods.
type Func struct {
	Name      string
	Type      FuncType
	TypeIndex uint32
	Index     uint32 // the function index (imports count first)
	locals    []ValType
	body      bytes.Buffer
	depth     int // open blocks, for relative branch depths
	module    *Module
	anchors   []Local // re-assigned to themselves where paths meet (see Anchor)
	// skip holds, for each encoding, the spans of the body it leaves out: for the
	// interpreter, the anchors' code and the compiled side of Tiered code; for the
	// compiler, the interpreted side. A span may lie inside another.
	skip [2][]span

	// What the builder knows of the control flow, to anchor only where paths meet: the
	// open blocks, and whether the code being written is unreachable (after a br, a
	// return or unreachable).
	blocks []openBlock
	dead   bool
	// anchorsDue: the anchors of the last end are still to be written, before the next
	// instruction (none if that is a return).
	anchorsDue bool
	// setEnd is where the body ended after its last instruction when that instruction
	// was a local.set of local setLocal (0: it was not); see opU32.
	setEnd   int
	setLocal uint32
	// rec, when set, records the body for a Template.
	rec *Template
}

// openBlock is a block, loop or if being written.
type openBlock struct {
	op       byte
	deadIn   bool // written in unreachable code
	hasElse  bool
	thenLive bool // an if's then part falls through to its end
	branches int  // branches to its label from reachable code
}

// Anchor makes the builder re-assign l to itself after the end of every block, loop
// and if, where control flow from several paths meets.
//
// This is for wazero's compiler, which checks each memory access against the memory's
// bounds unless the same address value (by SSA name) was checked as far already on
// every path. Where paths meet, reads of a local after the first get a new SSA name (an
// alias of the old one), so a frame pointer that never changes would be checked again
// after every if. Assigning it to itself there keeps one name for the whole function:
// the first access to the frame's last slot then covers every frame access.
//
// An interpreter gains nothing from them: Module.EncodeForInterpreter leaves them out.
func (f *Func) Anchor(l Local) { f.anchors = append(f.anchors, l) }

// span is a part of a body, [start, end). A body has thousands: int32 halves them.
type span struct{ start, end int32 }

// The encodings of a module: for wazero's optimizing compiler (Module.Encode) and for
// its interpreter (Module.EncodeForInterpreter).
type encoding int

const (
	forCompiler encoding = iota
	forInterpreter
)

// Tiered writes code whose two sides differ between the encodings: compiled for the
// compiler, interpreted for the interpreter. Both sides must leave the same values and
// have the same effects in the same order, for a VM to behave the same on either tier.
//
// Every instruction costs the interpreter time to compile and to run, where the
// compiler turns an inline fast path into a few machine instructions: the interpreted
// side calls a routine for what the compiled side writes out. Both sides may branch to
// enclosing labels; they must not leave a block open. Operands that both sides use
// belong before the call, on the stack or in locals: code that both sides write is
// written twice, and its effects on the builder (such as resume sites) would count
// twice.
func (f *Func) Tiered(compiled, interpreted func()) {
	f.startTiered()
	open, dead := len(f.blocks), f.dead
	var before, after [32]int // of the open blocks' branches, on the stack when few
	branches := slices.Grow(before[:0], open)[:open]
	for i, b := range f.blocks {
		branches[i] = b.branches
	}
	start := f.body.Len()
	compiled()
	mid := f.body.Len()
	if len(f.blocks) != open {
		panic("wasm: the compiled side of tiered code leaves a block open")
	}
	// The compiled side decides what the compiler's encoding does after: its anchors
	// and what it knows of the control flow. The interpreter's encoding has no anchors.
	deadAfter, dueAfter := f.dead, f.anchorsDue
	branchesAfter := slices.Grow(after[:0], open)[:open]
	for i, b := range f.blocks {
		branchesAfter[i], f.blocks[i].branches = b.branches, branches[i]
	}
	f.dead, f.anchorsDue, f.setEnd = dead, false, 0
	interpreted()
	if len(f.blocks) != open {
		panic("wasm: the interpreted side of tiered code leaves a block open")
	}
	for i := range f.blocks {
		f.blocks[i].branches = branchesAfter[i]
	}
	f.dead, f.anchorsDue, f.setEnd = deadAfter, dueAfter, 0
	f.leaveOut(forInterpreter, start, mid)
	f.leaveOut(forCompiler, mid, f.body.Len())
}

// CompiledIf runs then when cond (an i32) is non-zero in the compiler's encoding; the
// interpreter's runs it always. It is for a test that only code on the compiled tier
// needs: Module.EncodeForInterpreter leaves out cond, and puts then in a block, so that
// the branches in then keep their depths.
func (f *Func) CompiledIf(cond X, then func()) {
	f.compiledIf(nil, cond, func(*Func) { then() }, nil)
}

// CompiledIfX is IfX in the compiler's encoding; the interpreter's takes els always,
// in a block of the same results.
func CompiledIfX(results []ValType, cond X, then, els func(f *Func)) X {
	return func(f *Func) { f.compiledIf(results, cond, then, els) }
}

// compiledIf writes an if whose opening (cond, if, and then when there is an else) only
// the compiler's encoding holds; the interpreter's has a block there. The builder
// follows the control flow of the compiler's encoding: the interpreter's needs no
// anchors.
func (f *Func) compiledIf(results []ValType, cond X, then, els func(*Func)) {
	f.startTiered()
	start := f.body.Len()
	cond(f)
	f.op(opIf)
	blockType(f, results)
	f.open(opIf)
	shared := then
	if els != nil {
		then(f)
		f.elseArm()
		shared = els
	}
	mid := f.body.Len()
	f.op(opBlock)
	blockType(f, results)
	f.leaveOut(forInterpreter, start, mid)
	f.leaveOut(forCompiler, mid, f.body.Len())
	f.setEnd = 0
	shared(f)
	f.depth--
	f.end()
}

// startTiered starts code that differs between the encodings, after the anchors owed
// by the code both hold. A template holds one encoding's code only.
func (f *Func) startTiered() {
	if f.rec != nil {
		panic("wasm: tiered code in a template")
	}
	if f.anchorsDue {
		f.anchorsDue = false
		f.writeAnchors()
	}
	f.setEnd = 0 // a local.set before it must stay one: one encoding does not read it
}

// writeAnchors writes the anchors' code, and notes where it lies. What follows cannot
// turn its last local.set into a local.tee (opU32): the code must be removable.
func (f *Func) writeAnchors() {
	start := f.body.Len()
	for _, l := range f.anchors {
		f.opU32(opLocalGet, l.Index)
		f.opU32(opLocalSet, l.Index)
	}
	f.leaveOut(forInterpreter, start, f.body.Len())
	f.setEnd = 0
}

// leaveOut records that encoding e leaves out [start, end) of the body, joining it to
// the last span it leaves out when they meet.
func (f *Func) leaveOut(e encoding, start, end int) {
	if start == end {
		return // a side with no code
	}
	s := span{int32(start), int32(end)}
	n := len(f.skip[e])
	if n > 0 && f.skip[e][n-1].end == s.start {
		f.skip[e][n-1].end = s.end
		return
	}
	if cap(f.skip[e]) == 0 {
		f.skip[e] = make([]span, 0, 16) // a function has a few dozen, not one or two
	}
	f.skip[e] = append(f.skip[e], s)
}

// kept calls keep for each part of the body that encoding e keeps, in order.
func (f *Func) kept(e encoding, keep func(part []byte)) {
	skip := f.skip[e]
	if !slices.IsSortedFunc(skip, bySpanStart) {
		slices.SortFunc(skip, bySpanStart)
	}
	body, at := f.body.Bytes(), 0
	for _, s := range skip {
		start, end := int(s.start), int(s.end)
		if start < at { // inside a span already left out
			at = max(at, end)
			continue
		}
		keep(body[at:start])
		at = end
	}
	keep(body[at:])
}

func bySpanStart(a, b span) int { return int(a.start - b.start) }

// encodedLen is the length of the body in encoding e.
func (f *Func) encodedLen(e encoding) int {
	n := 0
	f.kept(e, func(part []byte) { n += len(part) })
	return n
}

// end closes a block, loop or if. Its anchors are due when paths meet after it: when
// two or more of its fall-through, its branches and an if's other arm reach it. Where
// only one path arrives, wazero's compiler keeps the locals' SSA names anyway, and the
// anchors would only be code for both tiers to compile and the interpreter to run.
func (f *Func) end() {
	f.op(opEnd)
	b := f.blocks[len(f.blocks)-1]
	f.blocks = f.blocks[:len(f.blocks)-1]
	paths := b.branches
	if !f.dead {
		paths++
	}
	switch b.op {
	case opLoop:
		paths -= b.branches // they go to the loop's start
	case opIf:
		if b.hasElse {
			if b.thenLive {
				paths++
			}
		} else {
			paths++ // the condition was false
		}
	}
	if b.deadIn {
		paths = 0
	}
	f.dead = paths == 0
	f.anchorsDue = paths >= 2 && len(f.anchors) > 0
}

// open starts writing a block, loop or if (whose opcode the caller writes).
func (f *Func) open(op byte) {
	f.blocks = append(f.blocks, openBlock{op: op, deadIn: f.dead})
	f.depth++
}

// elseArm starts the else arm of the innermost if.
func (f *Func) elseArm() {
	f.op(opElse)
	b := &f.blocks[len(f.blocks)-1]
	b.hasElse, b.thenLive = true, !f.dead
	f.dead = b.deadIn
}

// branch records a branch to l from the code being written.
func (f *Func) branch(l Label) {
	if !f.dead {
		f.blocks[l.depth-1].branches++
	}
}

// Local is a parameter or local variable.
type Local struct {
	Index uint32
	Type  ValType
}

// Label is a branch target: an enclosing block or loop.
type Label struct{ depth int }

// NewFunc adds a function to the module. Every import must be added before.
func (m *Module) NewFunc(name string, params, results []ValType) *Func {
	t := FuncType{params, results}
	f := &Func{Name: name, Type: t, TypeIndex: m.Type(t), module: m,
		Index: uint32(len(m.Imports) + len(m.Funcs))}
	m.Funcs = append(m.Funcs, f)
	return f
}

// ImportFunc adds an imported function and returns its index. It must come before any
// NewFunc, since imports take the first function indices.
func (m *Module) ImportFunc(module, name string, params, results []ValType) *Func {
	if len(m.Funcs) > 0 {
		panic("wasm: imports must be added before functions")
	}
	t := FuncType{params, results}
	ti := m.Type(t)
	m.Imports = append(m.Imports, Import{module, name, ti})
	return &Func{Name: module + "." + name, Type: t, TypeIndex: ti, Index: uint32(len(m.Imports) - 1), module: m}
}

// Grow makes room for n more bytes of code: a hint, for a body about to be written. The
// spans of tiered code get room in proportion, in one allocation for both encodings.
func (f *Func) Grow(n int) {
	f.body.Grow(n)
	if k := n / 24; k > 0 && f.skip[0] == nil && f.skip[1] == nil {
		spans := make([]span, 2*k)
		f.skip[0], f.skip[1] = spans[:0:k], spans[k:k:2*k]
	}
}

// Param is parameter i.
func (f *Func) Param(i int) Local { return Local{uint32(i), f.Type.Params[i]} }

// NewLocal declares a local variable.
func (f *Func) NewLocal(t ValType) Local {
	f.locals = append(f.locals, t)
	return Local{uint32(len(f.Type.Params) + len(f.locals) - 1), t}
}

// encodeLocals writes the declarations of the function's locals, run-length encoded by
// type.
func (f *Func) encodeLocals(b *bytes.Buffer) {
	var runs []struct {
		n uint32
		t ValType
	}
	for _, t := range f.locals {
		if len(runs) > 0 && runs[len(runs)-1].t == t {
			runs[len(runs)-1].n++
		} else {
			runs = append(runs, struct {
				n uint32
				t ValType
			}{1, t})
		}
	}
	writeU32(b, uint32(len(runs)))
	for _, r := range runs {
		writeU32(b, r.n)
		b.WriteByte(byte(r.t))
	}
}

// Raw emission, used by the builder.

// op writes an opcode, after the anchors due unless it returns or traps. (It also
// writes the immediate bytes that follow an opcode; no anchors are due then.)
func (f *Func) op(o byte) {
	if f.anchorsDue {
		f.anchorsDue = false
		if o != opReturn && o != opUnreachable {
			f.writeAnchors()
		}
	}
	f.body.WriteByte(o)
}

func (f *Func) u32(v uint32) { writeU32(&f.body, v) }
func (f *Func) s64(v int64)  { writeS64(&f.body, v) }

// opU32 writes an instruction with an index. A local.get right after a local.set of the
// same local turns the set into a local.tee: one instruction less to validate, compile
// and interpret, and the same value.
func (f *Func) opU32(o byte, v uint32) {
	if o == opLocalGet && f.setEnd == f.body.Len() && f.setEnd > 0 && f.setLocal == v && !f.anchorsDue {
		b := f.body.Bytes()
		b[f.setEnd-1-uleb128Len(v)] = opLocalTee
		f.setEnd = 0
		return
	}
	f.op(o)
	f.u32(v)
	if o == opLocalSet {
		f.setEnd, f.setLocal = f.body.Len(), v
	}
}

// uleb128Len is the length of v's encoding.
func uleb128Len(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Opcodes the builder uses.
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opSelect       = 0x1b
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF64Const     = 0x44
	opMemorySize   = 0x3f
	opMemoryGrow   = 0x40
	opPrefixFC     = 0xfc
)

// Memory access opcodes.
const (
	I32Load    = 0x28
	I64Load    = 0x29
	F64Load    = 0x2b
	I32Load8U  = 0x2d
	I32Load16U = 0x2f
	I64Load32U = 0x35
	I32Store   = 0x36
	I64Store   = 0x37
	F64Store   = 0x39
	I32Store8  = 0x3a
	I64Store32 = 0x3e
)

// Numeric opcodes, named as in the specification.
const (
	I32Eqz            = 0x45
	I32Eq             = 0x46
	I32Ne             = 0x47
	I32LtS            = 0x48
	I32LtU            = 0x49
	I32GtS            = 0x4a
	I32GtU            = 0x4b
	I32LeS            = 0x4c
	I32LeU            = 0x4d
	I32GeS            = 0x4e
	I32GeU            = 0x4f
	I64Eqz            = 0x50
	I64Eq             = 0x51
	I64Ne             = 0x52
	I64LtS            = 0x53
	I64LtU            = 0x54
	I64GtS            = 0x55
	I64GtU            = 0x56
	I64LeS            = 0x57
	I64LeU            = 0x58
	I64GeS            = 0x59
	I64GeU            = 0x5a
	F64Eq             = 0x61
	F64Ne             = 0x62
	F64Lt             = 0x63
	F64Gt             = 0x64
	F64Le             = 0x65
	F64Ge             = 0x66
	I32Clz            = 0x67
	I32Ctz            = 0x68
	I32Popcnt         = 0x69
	I32Add            = 0x6a
	I32Sub            = 0x6b
	I32Mul            = 0x6c
	I32DivS           = 0x6d
	I32DivU           = 0x6e
	I32RemS           = 0x6f
	I32RemU           = 0x70
	I32And            = 0x71
	I32Or             = 0x72
	I32Xor            = 0x73
	I32Shl            = 0x74
	I32ShrS           = 0x75
	I32ShrU           = 0x76
	I32Rotl           = 0x77
	I64Clz            = 0x79
	I64Add            = 0x7c
	I64Sub            = 0x7d
	I64Mul            = 0x7e
	I64DivS           = 0x7f
	I64DivU           = 0x80
	I64RemS           = 0x81
	I64RemU           = 0x82
	I64And            = 0x83
	I64Or             = 0x84
	I64Xor            = 0x85
	I64Shl            = 0x86
	I64ShrS           = 0x87
	I64ShrU           = 0x88
	I64Rotl           = 0x89
	F64Abs            = 0x99
	F64Neg            = 0x9a
	F64Ceil           = 0x9b
	F64Floor          = 0x9c
	F64Trunc          = 0x9d
	F64Nearest        = 0x9e
	F64Sqrt           = 0x9f
	F64Add            = 0xa0
	F64Sub            = 0xa1
	F64Mul            = 0xa2
	F64Div            = 0xa3
	F64Copysign       = 0xa6
	I32WrapI64        = 0xa7
	I64ExtendI32S     = 0xac
	I64ExtendI32U     = 0xad
	I64TruncF64S      = 0xb0
	F64ConvertI64S    = 0xb9
	I64ReinterpretF64 = 0xbd
	F64ReinterpretI64 = 0xbf
)

func f64bits(v float64) uint64 { return math.Float64bits(v) }

// Prepend runs emit to write code before everything written so far: a prologue whose
// constants (such as the frame size) are only known once the body is written.
func (f *Func) Prepend(emit func()) {
	// The prologue is written into a buffer of its own, then the body moves up in place
	// to make room for it: no copy of the whole body into a new buffer.
	body := f.body
	dead, due := f.dead, f.anchorsDue
	f.body = bytes.Buffer{}
	f.body.Grow(256)
	f.dead, f.anchorsDue, f.setEnd = false, false, 0
	var before int
	if f.rec != nil {
		before = len(f.rec.relocs)
	}
	skip := f.skip
	f.skip = [2][]span{}
	emit()
	if f.anchorsDue {
		// Paths meet before the code written earlier.
		f.anchorsDue = false
		f.writeAnchors()
	}
	// The earlier code's spans move by the prologue's length, in place; the prologue's
	// follow them (kept sorts the spans).
	moved := int32(f.body.Len())
	for e, spans := range skip {
		for i := range spans {
			spans[i].start += moved
			spans[i].end += moved
		}
		f.skip[e] = append(spans, f.skip[e]...)
	}
	if f.rec != nil {
		// The earlier code's indices move by the prologue's length, after its own.
		rs := f.rec.relocs
		for i := range rs[:before] {
			rs[i].pos += f.body.Len()
		}
		f.rec.relocs = append(rs[before:len(rs):len(rs)], rs[:before]...)
	}
	prologue, n := f.body.Bytes(), body.Len()
	f.body = body
	f.body.Write(prologue) // room at the end, to move the body into
	b := f.body.Bytes()
	copy(b[len(prologue):], b[:n])
	copy(b, prologue)
	f.dead, f.anchorsDue, f.setEnd = dead, due, 0
}

// BlockX is a block with results: body leaves them, or branches to exit with them.
func BlockX(results []ValType, body func(f *Func, exit Label)) X {
	return func(f *Func) { f.structured(opBlock, results, func(l Label) { body(f, l) }) }
}

// LoopX is a loop with results: body leaves them, or branches to again to repeat.
func LoopX(results []ValType, body func(f *Func, again Label)) X {
	return func(f *Func) { f.structured(opLoop, results, func(l Label) { body(f, l) }) }
}

// structured writes a block or loop around body, which gets the label that targets it.
func (f *Func) structured(op byte, results []ValType, body func(Label)) {
	f.op(op)
	blockType(f, results)
	f.open(op)
	body(Label{f.depth})
	f.depth--
	f.end()
}
