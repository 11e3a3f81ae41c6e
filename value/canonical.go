package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// The canonical encoding: the same value always gives the same bytes (maps and sets in
// the total order, one NaN), so that hashes of encoded values, such as the causal
// chain's, are reproducible. Decode accepts only canonical bytes, so that encoding what
// it decoded gives the same bytes back.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagInt // zigzag varint
	tagFloat
	tagString // uvarint length, UTF-8
	tagKeyword
	tagSymbol
	tagList // uvarint count, elements
	tagVector
	tagSet // elements in the total order
	tagMap // keys and values, keys in the total order
)

// MaxEncodedDepth bounds the nesting Decode accepts.
const MaxEncodedDepth = 1000

// Encode appends the canonical encoding of v; functions have none.
func Encode(b []byte, v Value) ([]byte, error) {
	switch v := v.(type) {
	case NilType:
		return append(b, tagNil), nil
	case Bool:
		if v {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case Int:
		return EncodeInt(b, int64(v)), nil
	case Float:
		bits := math.Float64bits(float64(v))
		if math.IsNaN(float64(v)) {
			bits = 0x7ff8000000000001 // one NaN, whatever its payload
		}
		return binary.BigEndian.AppendUint64(append(b, tagFloat), bits), nil
	case String:
		return appendText(b, tagString, string(v)), nil
	case Keyword:
		return appendText(b, tagKeyword, string(v)), nil
	case Symbol:
		return appendText(b, tagSymbol, string(v)), nil
	case *List:
		return encodeAll(b, tagList, v.Slice())
	case *Vector:
		if v.Len() == 0 {
			return EncodeVectorHeader(b, 0), nil
		}
		return encodeAll(b, tagVector, v.Slice())
	case *Set:
		return encodeAll(b, tagSet, v.Elems())
	case *Map:
		entries := v.Entries()
		b = EncodeMapHeader(b, len(entries))
		var err error
		for _, e := range entries {
			if b, err = Encode(b, e.Key); err != nil {
				return nil, err
			}
			if b, err = Encode(b, e.Val); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, Errorf(ErrInvalidArg, "%s has no canonical encoding", Describe(v))
}

// The pieces of the canonical encoding, for records with fixed fields (the causal
// chain's actions, host-call messages) that are made too often to build a Map first.
// EncodeMapHeader starts a map of n entries: the caller appends the n keys and values
// after it, keys in the total order. A test of each user checks its bytes against Encode.

func EncodeMapHeader(b []byte, n int) []byte {
	return binary.AppendUvarint(append(b, tagMap), uint64(n))
}

// EncodeStringHeader starts a string of n bytes: the caller appends them, UTF-8, after
// it (a string made of parts, written without making it first).
func EncodeStringHeader(b []byte, n int) []byte {
	return binary.AppendUvarint(append(b, tagString), uint64(n))
}

// EncodeVectorHeader starts a vector of n elements.
func EncodeVectorHeader(b []byte, n int) []byte {
	return binary.AppendUvarint(append(b, tagVector), uint64(n))
}

func EncodeInt(b []byte, i int64) []byte { return binary.AppendVarint(append(b, tagInt), i) }

func EncodeString(b []byte, s string) []byte { return appendText(b, tagString, s) }

func EncodeKeyword(b []byte, k string) []byte { return appendText(b, tagKeyword, k) }

func appendText(b []byte, tag byte, s string) []byte {
	return append(binary.AppendUvarint(append(b, tag), uint64(len(s))), s...)
}

func encodeAll(b []byte, tag byte, xs []Value) ([]byte, error) {
	b = binary.AppendUvarint(append(b, tag), uint64(len(xs)))
	var err error
	for _, x := range xs {
		if b, err = Encode(b, x); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Decode reads one canonically encoded value that must fill data.
func Decode(data []byte) (Value, error) {
	d := decoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(d.data) {
		return nil, fmt.Errorf("canonical encoding: %d bytes after the value", len(d.data)-d.off)
	}
	return v, nil
}

type decoder struct {
	data []byte
	off  int
}

var errTruncated = errors.New("canonical encoding: truncated")

func (d *decoder) uvarint() (uint64, error) {
	n, k := binary.Uvarint(d.data[d.off:])
	if k <= 0 {
		return 0, errTruncated
	}
	if k != len(binary.AppendUvarint(nil, n)) {
		return 0, errors.New("canonical encoding: a length is not in its shortest form")
	}
	d.off += k
	return n, nil
}

// count reads a length that the rest of the input can hold (each item takes a byte).
func (d *decoder) count() (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.data)-d.off) {
		return 0, errTruncated
	}
	return int(n), nil
}

func (d *decoder) value(depth int) (Value, error) {
	if depth > MaxEncodedDepth {
		return nil, fmt.Errorf("canonical encoding: nested deeper than %d", MaxEncodedDepth)
	}
	if d.off >= len(d.data) {
		return nil, errTruncated
	}
	tag := d.data[d.off]
	d.off++
	switch tag {
	case tagNil:
		return Nil, nil
	case tagFalse:
		return False, nil
	case tagTrue:
		return True, nil
	case tagInt:
		start := d.off
		n, k := binary.Varint(d.data[d.off:])
		if k <= 0 {
			return nil, errTruncated
		}
		d.off += k
		if again := binary.AppendVarint(nil, n); string(again) != string(d.data[start:d.off]) {
			return nil, errors.New("canonical encoding: an integer is not in its shortest form")
		}
		return Int(n), nil
	case tagFloat:
		if len(d.data)-d.off < 8 {
			return nil, errTruncated
		}
		bits := binary.BigEndian.Uint64(d.data[d.off:])
		d.off += 8
		f := math.Float64frombits(bits)
		if math.IsNaN(f) && bits != 0x7ff8000000000001 {
			return nil, errors.New("canonical encoding: a NaN that is not the canonical one")
		}
		return Float(f), nil
	case tagString, tagKeyword, tagSymbol:
		n, err := d.count()
		if err != nil {
			return nil, err
		}
		s := string(d.data[d.off : d.off+n])
		d.off += n
		if !utf8.ValidString(s) {
			return nil, errors.New("canonical encoding: text that is not UTF-8")
		}
		switch tag {
		case tagKeyword:
			return Keyword(s), nil
		case tagSymbol:
			return Symbol(s), nil
		}
		return String(s), nil
	case tagList, tagVector, tagSet:
		n, err := d.count()
		if err != nil {
			return nil, err
		}
		xs := make([]Value, n)
		for i := range xs {
			if xs[i], err = d.value(depth + 1); err != nil {
				return nil, err
			}
			if tag == tagSet && i > 0 && Compare(xs[i-1], xs[i]) >= 0 {
				return nil, errors.New("canonical encoding: set elements out of order or repeated")
			}
		}
		switch tag {
		case tagList:
			return NewList(xs...), nil
		case tagVector:
			return NewVector(xs), nil
		}
		return NewSet(xs...), nil
	case tagMap:
		n, err := d.count()
		if err != nil {
			return nil, err
		}
		entries := make([]Entry, 0, min(n, 1024)) // n is not trusted until read
		var prev Value
		for i := 0; i < n; i++ {
			k, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if i > 0 && Compare(prev, k) >= 0 {
				return nil, errors.New("canonical encoding: map keys out of order or repeated")
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			entries, prev = append(entries, Entry{k, v}), k
		}
		return NewMap(entries), nil
	}
	return nil, fmt.Errorf("canonical encoding: unknown tag %d", tag)
}

// Encodable tells whether v has a canonical encoding (Encode will not fail): whether
// no function is in it. It allocates nothing, so a caller can check a value now and
// encode it later, elsewhere.
func Encodable(v Value) bool {
	ok := true
	visit := func(x Value) bool { ok = Encodable(x); return ok }
	switch v := v.(type) {
	case NilType, Bool, Int, Float, String, Keyword, Symbol:
		return true
	case *List:
		v.Each(visit)
	case *Vector:
		v.Each(visit)
	case *Set:
		v.EachUnordered(visit)
	case *Map:
		v.EachUnordered(func(k, x Value) bool { ok = Encodable(k) && Encodable(x); return ok })
	default:
		return false
	}
	return ok
}
