package wasm

// X is an expression: code that leaves its value(s) on the operand stack. Expressions
// compose like the code they stand for, so a runtime routine can be written as
//
//	f.If(LtU32(i, n), func() { f.Return(Load64(addr, 8)) }, nil)
//
// Constants are C32, C64 and CF64; the value types are I32, I64 and F64.
type X func(f *Func)

// Emit writes an expression (or statement) into the body.
func (f *Func) Emit(xs ...X) {
	for _, x := range xs {
		x(f)
	}
}

// Constants.

func C32(v int32) X {
	if v >= smallMin && v < smallEnd {
		return smallC32[v-smallMin]
	}
	return func(f *Func) { f.op(opI32Const); f.s64(int64(v)) }
}
func CU32(v uint32) X { return C32(int32(v)) }
func C64(v int64) X {
	if v >= smallMin && v < smallEnd {
		return smallC64[v-smallMin]
	}
	return func(f *Func) { f.op(opI64Const); f.s64(v) }
}
func CF64(v float64) X {
	return func(f *Func) {
		f.op(opF64Const)
		var b [8]byte
		putU64(b[:], f64bits(v))
		f.body.Write(b[:])
	}
}

// Small constants and the reads of the first locals and globals are most of the
// expressions a compile makes: each is made once, rather than allocated at every use.
const smallMin, smallEnd = -16, 256

var (
	smallC32, smallC64 [smallEnd - smallMin]X
	localGets          [64]X
	globalGets         [32]X
)

func init() {
	for v := int64(smallMin); v < smallEnd; v++ {
		smallC32[v-smallMin] = func(f *Func) { f.op(opI32Const); f.s64(v) }
		smallC64[v-smallMin] = func(f *Func) { f.op(opI64Const); f.s64(v) }
	}
	for i := range localGets {
		localGets[i] = func(f *Func) { f.opU32(opLocalGet, uint32(i)) }
	}
	for i := range globalGets {
		globalGets[i] = func(f *Func) { f.opU32(opGlobalGet, uint32(i)) }
	}
}

// Variables.

func (l Local) Get() X {
	if l.Index < uint32(len(localGets)) {
		return localGets[l.Index]
	}
	return func(f *Func) { f.opU32(opLocalGet, l.Index) }
}

// Set assigns x to the local.
func (f *Func) Set(l Local, x X) { x(f); f.opU32(opLocalSet, l.Index) }

// Tee assigns x to the local and keeps the value.
func Tee(l Local, x X) X { return func(f *Func) { x(f); f.opU32(opLocalTee, l.Index) } }

// GlobalRef is a global variable of the module.
type GlobalRef struct {
	Index uint32
	Type  ValType
}

// AddGlobal declares a global.
func (m *Module) AddGlobal(t ValType, mutable bool, init int64) GlobalRef {
	m.Globals = append(m.Globals, Global{t, mutable, init})
	return GlobalRef{uint32(len(m.Globals) - 1), t}
}

func (g GlobalRef) Get() X {
	if g.Index < uint32(len(globalGets)) {
		return globalGets[g.Index]
	}
	return func(f *Func) { f.opU32(opGlobalGet, g.Index) }
}

// SetGlobal assigns x to a global.
func (f *Func) SetGlobal(g GlobalRef, x X) { x(f); f.opU32(opGlobalSet, g.Index) }

// Operators.

// Op applies an instruction to its operands.
func Op(opcode byte, args ...X) X {
	return func(f *Func) {
		for _, a := range args {
			a(f)
		}
		f.op(opcode)
	}
}

// op1 and op2 are Op for one and two operands, without a slice to hold them.
func op1(opcode byte, a X) X    { return func(f *Func) { a(f); f.op(opcode) } }
func op2(opcode byte, a, b X) X { return func(f *Func) { a(f); b(f); f.op(opcode) } }

func Add32(a, b X) X  { return op2(I32Add, a, b) }
func Sub32(a, b X) X  { return op2(I32Sub, a, b) }
func Mul32(a, b X) X  { return op2(I32Mul, a, b) }
func And32(a, b X) X  { return op2(I32And, a, b) }
func Or32(a, b X) X   { return op2(I32Or, a, b) }
func Shl32(a, b X) X  { return op2(I32Shl, a, b) }
func ShrU32(a, b X) X { return op2(I32ShrU, a, b) }
func Eq32(a, b X) X   { return op2(I32Eq, a, b) }
func Ne32(a, b X) X   { return op2(I32Ne, a, b) }
func LtU32(a, b X) X  { return op2(I32LtU, a, b) }
func LeU32(a, b X) X  { return op2(I32LeU, a, b) }
func GtU32(a, b X) X  { return op2(I32GtU, a, b) }
func GeU32(a, b X) X  { return op2(I32GeU, a, b) }
func LtS32(a, b X) X  { return op2(I32LtS, a, b) }
func GeS32(a, b X) X  { return op2(I32GeS, a, b) }
func Eqz32(a X) X     { return op1(I32Eqz, a) }
func Xor32(a, b X) X  { return op2(I32Xor, a, b) }
func Popcnt32(a X) X  { return op1(I32Popcnt, a) }
func Add64(a, b X) X  { return op2(I64Add, a, b) }
func Sub64(a, b X) X  { return op2(I64Sub, a, b) }
func Mul64(a, b X) X  { return op2(I64Mul, a, b) }
func And64(a, b X) X  { return op2(I64And, a, b) }
func Or64(a, b X) X   { return op2(I64Or, a, b) }
func Xor64(a, b X) X  { return op2(I64Xor, a, b) }
func Shl64(a, b X) X  { return op2(I64Shl, a, b) }
func ShrS64(a, b X) X { return op2(I64ShrS, a, b) }
func ShrU64(a, b X) X { return op2(I64ShrU, a, b) }
func Eq64(a, b X) X   { return op2(I64Eq, a, b) }
func Ne64(a, b X) X   { return op2(I64Ne, a, b) }
func LtS64(a, b X) X  { return op2(I64LtS, a, b) }
func GtS64(a, b X) X  { return op2(I64GtS, a, b) }
func LeS64(a, b X) X  { return op2(I64LeS, a, b) }
func GeS64(a, b X) X  { return op2(I64GeS, a, b) }
func Eqz64(a X) X     { return op1(I64Eqz, a) }
func GeU64(a, b X) X  { return op2(I64GeU, a, b) }

// Floats.

func AddF64(a, b X) X      { return op2(F64Add, a, b) }
func SubF64(a, b X) X      { return op2(F64Sub, a, b) }
func MulF64(a, b X) X      { return op2(F64Mul, a, b) }
func DivF64(a, b X) X      { return op2(F64Div, a, b) }
func EqF64(a, b X) X       { return op2(F64Eq, a, b) }
func NeF64(a, b X) X       { return op2(F64Ne, a, b) }
func LtF64(a, b X) X       { return op2(F64Lt, a, b) }
func GtF64(a, b X) X       { return op2(F64Gt, a, b) }
func LeF64(a, b X) X       { return op2(F64Le, a, b) }
func GeF64(a, b X) X       { return op2(F64Ge, a, b) }
func AbsF64(a X) X         { return op1(F64Abs, a) }
func NegF64(a X) X         { return op1(F64Neg, a) }
func TruncF64(a X) X       { return op1(F64Trunc, a) }
func CopysignF64(a, b X) X { return op2(F64Copysign, a, b) }

// BitsF64 reinterprets a float's bits as an i64, FromBitsF64 the reverse, and
// ConvertF64 converts a signed i64 to the nearest float.
func BitsF64(a X) X     { return op1(I64ReinterpretF64, a) }
func FromBitsF64(a X) X { return op1(F64ReinterpretI64, a) }
func ConvertF64(n X) X  { return op1(F64ConvertI64S, n) }

// Wrap is the low 32 bits of an i64; Extend widens an unsigned i32.
func Wrap(a X) X    { return op1(I32WrapI64, a) }
func ExtendU(a X) X { return op1(I64ExtendI32U, a) }
func ExtendS(a X) X { return op1(I64ExtendI32S, a) }

// Memory. Addresses are i32; offsets are constant and added to the address.

func load(opcode byte, align uint32, addr X, offset uint32) X {
	return func(f *Func) {
		addr(f)
		f.op(opcode)
		f.u32(align)
		f.u32(offset)
	}
}

func Load64(addr X, offset uint32) X    { return load(I64Load, 3, addr, offset) }
func Load32(addr X, offset uint32) X    { return load(I32Load, 2, addr, offset) }
func Load8U(addr X, offset uint32) X    { return load(I32Load8U, 0, addr, offset) }
func Load16U(addr X, offset uint32) X   { return load(I32Load16U, 1, addr, offset) }
func LoadF64(addr X, offset uint32) X   { return load(F64Load, 3, addr, offset) }
func Load32U64(addr X, offset uint32) X { return load(I64Load32U, 2, addr, offset) }

func (f *Func) store(opcode byte, align uint32, addr X, offset uint32, v X) {
	addr(f)
	v(f)
	f.op(opcode)
	f.u32(align)
	f.u32(offset)
}

func (f *Func) Store64(addr X, offset uint32, v X)  { f.store(I64Store, 3, addr, offset, v) }
func (f *Func) Store32(addr X, offset uint32, v X)  { f.store(I32Store, 2, addr, offset, v) }
func (f *Func) Store8(addr X, offset uint32, v X)   { f.store(I32Store8, 0, addr, offset, v) }
func (f *Func) StoreF64(addr X, offset uint32, v X) { f.store(F64Store, 3, addr, offset, v) }

// MemoryCopy copies n bytes from src to dst (regions may overlap).
func (f *Func) MemoryCopy(dst, src, n X) {
	dst(f)
	src(f)
	n(f)
	f.op(opPrefixFC)
	f.u32(10)
	f.op(0)
	f.op(0)
}

// MemoryFill sets n bytes at dst to the low byte of v.
func (f *Func) MemoryFill(dst, v, n X) {
	dst(f)
	v(f)
	n(f)
	f.op(opPrefixFC)
	f.u32(11)
	f.op(0)
}

// MemorySize is the memory's size in pages.
func MemorySize() X { return func(f *Func) { f.op(opMemorySize); f.op(0) } }

// MemoryGrow grows memory by n pages and yields the old size, or -1.
func MemoryGrow(n X) X { return func(f *Func) { n(f); f.op(opMemoryGrow); f.op(0) } }

// Calls.

// Call calls a function of the module (or an import).
func Call(callee *Func, args ...X) X {
	return func(f *Func) {
		for _, a := range args {
			a(f)
		}
		f.op(opCall)
		f.relocFunc(callee)
		f.u32(callee.Index)
	}
}

// CallIndirect calls entry index of the table with signature t.
func CallIndirect(t FuncType, index X, args ...X) X {
	return func(f *Func) {
		for _, a := range args {
			a(f)
		}
		index(f)
		f.op(opCallIndirect)
		f.u32(f.typeIndex(t))
		f.u32(0)
	}
}

// Select is cond ? a : b, evaluating both.
func Select(a, b, cond X) X { return Op(opSelect, a, b, cond) }

// Statements.

// Do evaluates x and drops its value.
func (f *Func) Do(x X) { x(f); f.op(opDrop) }

// Exec evaluates x, which leaves nothing on the stack (a call of a function without
// results).
func (f *Func) Exec(x X) { x(f) }

// Return returns x (or nothing).
func (f *Func) Return(xs ...X) {
	for _, x := range xs {
		x(f)
	}
	f.op(opReturn)
	f.dead = true
}

// Unreachable traps.
func (f *Func) Unreachable() {
	f.op(opUnreachable)
	f.dead = true
}

func blockType(f *Func, results []ValType) {
	switch len(results) {
	case 0:
		f.op(0x40)
	case 1:
		f.op(byte(results[0]))
	default:
		f.u32(f.typeIndex(FuncType{nil, results}))
	}
}

// If runs then when cond (an i32) is non-zero, else els (which may be nil).
func (f *Func) If(cond X, then func(), els func()) {
	cond(f)
	f.op(opIf)
	f.op(0x40)
	f.open(opIf)
	then()
	if els != nil {
		f.elseArm()
		els()
	}
	f.depth--
	f.end()
}

// IfX is an if-expression with results of the given types.
func IfX(results []ValType, cond X, then, els func(f *Func)) X {
	return func(f *Func) {
		cond(f)
		f.op(opIf)
		blockType(f, results)
		f.open(opIf)
		then(f)
		f.elseArm()
		els(f)
		f.depth--
		f.end()
	}
}

// Block runs body; a Br to its label jumps past the block's end.
func (f *Func) Block(body func(exit Label)) { f.structured(opBlock, nil, body) }

// Loop runs body once; a Br to its label starts the body again.
func (f *Func) Loop(body func(again Label)) { f.structured(opLoop, nil, body) }

// Br branches to a label.
func (f *Func) Br(l Label) {
	f.branch(l)
	f.opU32(opBr, uint32(f.depth-l.depth))
	f.dead = true
}

// BrIf branches to a label when cond is non-zero.
func (f *Func) BrIf(l Label, cond X) {
	cond(f)
	f.branch(l)
	f.opU32(opBrIf, uint32(f.depth-l.depth))
}

// ReturnIf returns the value under cond (an i32) when cond is non-zero, and leaves it
// otherwise: a br_if to the function's own label.
func (f *Func) ReturnIf(cond X) {
	cond(f)
	f.opU32(opBrIf, uint32(f.depth))
}

// Result marks the end of a function body that leaves its value on the stack.
func (f *Func) Result(x X) { x(f) }

// Stack is the value already on the operand stack, for a statement that consumes it:
// f.Set(l, Stack) pops it into l, f.Do(Stack) drops it.
func Stack(*Func) {}
