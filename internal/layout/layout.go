// Package layout defines how RTFS values live in a MicroVM's linear memory. It is the
// one definition shared by the guest runtime (which the compiler emits as Wasm) and the
// host's reader and writer of guest values; LAYOUT.md beside it explains the design.
package layout

// A value is an i64.
const (
	Nil   uint64 = 0    // zeroed memory reads as nil
	False uint64 = 0x02 // 0b0_010
	True  uint64 = 0x0a // 0b1_010
	// Err is what a function returns when it raises an error; the error itself is in
	// the global err. It is never a value a plan can see.
	Err uint64 = 0x12
	// Unbound marks a global whose def has not run yet.
	Unbound uint64 = 0x1a

	FixnumTag  = 1   // low bit set: a 63-bit integer in the high bits
	PointerTag = 0   // low three bits clear (and not 0): the address of an object
	TagMask    = 0x7 // the low three bits
	// Fixnums hold integers in [FixnumMin, FixnumMax]; other integers are boxed.
	FixnumMin = -(1 << 62)
	FixnumMax = 1<<62 - 1
)

// Fixnum is the value of a small integer.
func Fixnum(n int64) uint64 { return uint64(n)<<1 | FixnumTag }

// IsFixnum reports whether v is a small integer; FixnumValue gives it.
func IsFixnum(v uint64) bool     { return v&1 == FixnumTag }
func FixnumValue(v uint64) int64 { return int64(v) >> 1 }
func IsPointer(v uint64) bool    { return v != 0 && v&TagMask == PointerTag }
func Pointer(v uint64) uint32    { return uint32(v) }
func FitsFixnum(n int64) bool    { return n >= FixnumMin && n <= FixnumMax }

// Every object starts with an 8-byte header: its type in byte 0, collector bits in
// byte 1, and in bytes 4..7 the size of its payload in 8-byte words. The payload is a
// fixed number of raw words (RawWords of the type) followed by value slots, so that a
// collector can find every value an object holds without knowing more of the type.
const (
	HeaderSize = 8
	WordSize   = 8
	// HeaderTypeOffset and HeaderSizeOffset are byte offsets within the header.
	HeaderTypeOffset = 0
	HeaderGCOffset   = 1
	HeaderSizeOffset = 4
)

// Object types.
const (
	TypeBigInt  = 1  // raw: the i64
	TypeFloat   = 2  // raw: the f64
	TypeString  = 3  // raw: byte length (u32) and code point count (u32), then the UTF-8 bytes
	TypeKeyword = 4  // as a string: the name without the colon
	TypeSymbol  = 5  // as a string
	TypeList    = 6  // raw: count; values: first, rest (the next cell; the empty list ends it)
	TypeVector  = 7  // raw: count (u32), shift (u32); values: root, tail (vector nodes)
	TypeVNode   = 8  // values: up to 32 children or elements
	TypeMap     = 9  // raw: count; values: root (a map node, or nil when empty)
	TypeSet     = 10 // as a map; each element maps to true
	TypeHNode   = 11 // raw: datamap (u32), nodemap (u32); values: key/value pairs, then children
	TypeCNode   = 12 // collision node; values: key/value pairs with one hash
	TypeClosure = 13 // raw: table index (u32), parameter count (u16), flags (u16); values: name, captured values
	TypeCount   = 14
)

// RawWords is the number of raw (non-value) payload words of each type; for strings,
// keywords and symbols it is the whole payload.
var RawWords = [TypeCount]int{
	TypeBigInt: 1, TypeFloat: 1, TypeList: 1, TypeVector: 1, TypeMap: 1, TypeSet: 1,
	TypeHNode: 1, TypeClosure: 1,
}

// AllRaw reports whether an object of the type holds no values at all.
func AllRaw(t int) bool {
	return t == TypeBigInt || t == TypeFloat || t == TypeString || t == TypeKeyword || t == TypeSymbol
}

// Field offsets, in bytes from the start of the object.
const (
	StringByteLen  = 8  // u32
	StringRunes    = 12 // u32
	StringBytes    = 16
	BoxValue       = 8 // the i64 or f64 of a BigInt or Float
	CountOffset    = 8 // u32 count of a list, vector, map or set
	VectorShift    = 12
	VectorRoot     = 16
	VectorTail     = 24
	ListFirst      = 16
	ListRest       = 24
	MapRoot        = 16
	HNodeDatamap   = 8
	HNodeNodemap   = 12
	HNodeSlots     = 16
	VNodeSlots     = 8
	CNodeSlots     = 8
	ClosureIndex   = 8  // u32
	ClosureParams  = 12 // u16
	ClosureFlags   = 14 // u16
	ClosureName    = 16 // a string, or nil
	ClosureCapture = 24 // first captured value
)

// ClosureHasRest is the flag of a closure whose function takes & rest.
const ClosureHasRest = 1

// Vector tries are 32 wide, as in the Go value model.
const (
	VectorBits  = 5
	VectorWidth = 1 << VectorBits
)

// Memory map: a null word, the static data (constants, the globals area), the shadow
// stack, then the heap. Static objects never move; the heap is managed by the runtime.
const (
	StaticBase = 8
	PageSize   = 65536
)

// The static data starts the same in every module: two words the host reads when it sets
// an instance up, then the collector's table of raw words, then the empty collections,
// which the host's writer starts collections from. They were constant globals; in memory
// they cost an instance nothing (wazero allocates for every global of every instance).
const (
	StaticEndWord = StaticBase     // the end of the static data, tagged with StaticTag
	GCMinHeapWord = StaticBase + 8 // the room the heap gets before the first collection
	EmptyList     = 48
	EmptyVector   = 80
	EmptyMap      = 112
	EmptySet      = 136
)

// StaticTag is the upper half of the word at StaticEndWord. Modules compiled before
// that word existed exported these values as globals instead, and had the collector's
// table of raw words there, whose bytes (small counts, or 0xff) never spell it; the
// host tells the two apart by it without looking exports up (which, when they are
// missing, costs wazero an error value each time).
const StaticTag = 0x5254_4653 // "RTFS"

// FixedStatic reports whether the word at StaticEndWord is tagged, and so whether
// the static data starts as described above.
func FixedStatic(word uint64) bool { return word>>32 == StaticTag }
