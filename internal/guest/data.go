package guest

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/internal/layout"
)

// Static is the static region: constant objects laid out at compile time. They never move
// and are never freed.
type Static struct {
	buf     []byte
	strings map[stringKey]uint32
	// uses counts the calls that read or change the region: a routine that makes one
	// depends on the module's data, and is not copied from a template (templates.go).
	uses int
}

type stringKey struct {
	typ  byte
	text string
}

func newData() *Static {
	return &Static{strings: map[stringKey]uint32{}}
}

// End is the first address after the static data, 8-aligned.
func (d *Static) End() uint32 { return layout.StaticBase + uint32(len(d.buf)) }

// Bytes is the static region's content, placed at layout.StaticBase.
func (d *Static) Bytes() []byte { return d.buf }

// object appends an object of the given type and payload words; it returns its address.
func (d *Static) object(typ byte, payload []byte) uint32 {
	addr := d.End()
	var h [8]byte
	h[layout.HeaderTypeOffset] = typ
	words := (len(payload) + 7) / 8
	binary.LittleEndian.PutUint32(h[layout.HeaderSizeOffset:], uint32(words))
	d.buf = append(d.buf, h[:]...)
	d.buf = append(d.buf, payload...)
	for len(d.buf)%8 != 0 {
		d.buf = append(d.buf, 0)
	}
	return addr
}

// Text returns a static string, keyword or symbol object, shared by equal texts.
func (d *Static) Text(typ byte, s string) uint64 {
	d.uses++
	k := stringKey{typ, s}
	if a, ok := d.strings[k]; ok {
		return uint64(a)
	}
	payload := make([]byte, 8+len(s))
	binary.LittleEndian.PutUint32(payload[0:], uint32(len(s)))
	binary.LittleEndian.PutUint32(payload[4:], uint32(utf8.RuneCountInString(s)))
	copy(payload[8:], s)
	a := d.object(typ, payload)
	d.strings[k] = a
	return uint64(a)
}

// Box returns a static boxed integer or float (bits is the i64 or the f64's bits).
func (d *Static) Box(typ byte, bits uint64) uint64 {
	d.uses++
	var p [8]byte
	binary.LittleEndian.PutUint64(p[:], bits)
	return uint64(d.object(typ, p[:]))
}

// Object returns a static object with raw words and value slots.
func (d *Static) Object(typ byte, raw []uint64, values []uint64) uint64 {
	d.uses++
	p := make([]byte, 8*(len(raw)+len(values)))
	for i, w := range append(append([]uint64(nil), raw...), values...) {
		binary.LittleEndian.PutUint64(p[8*i:], w)
	}
	return uint64(d.object(typ, p))
}

// Reserve appends n zero words (such as the globals area) and returns their address.
func (d *Static) Reserve(words int) uint32 {
	d.uses++
	addr := d.End()
	d.buf = append(d.buf, make([]byte, 8*words)...)
	return addr
}

// SetWord sets the word at addr (inside the static region) to v.
func (d *Static) SetWord(addr uint32, v uint64) {
	d.uses++
	binary.LittleEndian.PutUint64(d.buf[addr-layout.StaticBase:], v)
}
