package compile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// ManifestSection is the custom section of a module that describes it to the host: its
// inputs, capabilities, error positions and type annotations, as RTFS data. A module
// written by `rtfsvm compile` carries everything needed to run it.
const ManifestSection = "rtfsvm.manifest"

const manifestVersion = 1

func (p *Program) manifest() string {
	inputs := make([]value.Value, len(p.Inputs))
	for i, in := range p.Inputs {
		inputs[i] = value.NewVector([]value.Value{value.String(in.Name), value.Int(in.Global),
			value.String(in.Pos.File), value.Int(in.Pos.Line), value.Int(in.Pos.Col)})
	}
	caps := make([]value.Value, len(p.Capabilities))
	for i, c := range p.Capabilities {
		caps[i] = value.String(c)
	}
	positions := make([]value.Value, len(p.Positions))
	for i, s := range p.Positions {
		positions[i] = value.String(s)
	}
	typs := make([]value.Value, len(p.Types))
	for i, t := range p.Types {
		typs[i] = value.NewVector([]value.Value{t.Type, value.String(t.What)})
	}
	m := value.EmptyMap.
		Assoc(value.Keyword("version"), value.Int(manifestVersion)).
		Assoc(value.Keyword("inputs"), value.NewVector(inputs)).
		Assoc(value.Keyword("capabilities"), value.NewVector(caps)).
		Assoc(value.Keyword("globals"), value.Int(p.GlobalsAddr)).
		Assoc(value.Keyword("static-end"), value.Int(p.StaticEnd)).
		Assoc(value.Keyword("positions"), value.NewVector(positions)).
		Assoc(value.Keyword("types"), value.NewVector(typs))
	var b strings.Builder
	b.Grow(256 + 24*len(positions) + 64*(len(inputs)+len(caps)+len(typs))) // a position prints as "plan.rtfs:12:5"
	value.WriteValue(&b, m)
	return b.String()
}

// Load reads a module written by `rtfsvm compile`.
func Load(bin []byte) (*Program, error) {
	text, err := customSection(bin, ManifestSection)
	if err != nil {
		return nil, err
	}
	n, err := syntax.ReadOne(ManifestSection, string(text))
	if err != nil {
		return nil, fmt.Errorf("the module's manifest does not read: %w", err)
	}
	m, ok := syntax.Datum(n).(*value.Map)
	bad := func(what string) error { return fmt.Errorf("the module's manifest has a bad %s", what) }
	if !ok {
		return nil, bad("shape")
	}
	get := func(k string) value.Value { v, _ := m.Get(value.Keyword(k)); return v }
	if !value.Equal(get("version"), value.Int(manifestVersion)) {
		return nil, fmt.Errorf("the module was written by another version of rtfsvm (manifest %s)", value.Print(get("version")))
	}
	p := &Program{Binary: bin, Hash: sha256.Sum256(bin)}
	vec := func(k string) []value.Value {
		if v, ok := get(k).(*value.Vector); ok {
			return v.Slice()
		}
		return nil
	}
	for _, x := range vec("inputs") {
		v, ok := x.(*value.Vector)
		if !ok || v.Len() != 5 {
			return nil, bad("input")
		}
		name, ok1 := v.Index(0).(value.String)
		global, ok2 := v.Index(1).(value.Int)
		file, ok3 := v.Index(2).(value.String)
		line, ok4 := v.Index(3).(value.Int)
		col, ok5 := v.Index(4).(value.Int)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) {
			return nil, bad("input")
		}
		p.Inputs = append(p.Inputs, Input{Name: string(name), Global: int(global), Pos: syntax.Pos{File: string(file), Line: int(line), Col: int(col)}})
	}
	for _, x := range vec("capabilities") {
		p.Capabilities = append(p.Capabilities, value.Str(x))
	}
	for _, x := range vec("positions") {
		p.Positions = append(p.Positions, value.Str(x))
	}
	for _, x := range vec("types") {
		v, ok := x.(*value.Vector)
		if !ok || v.Len() != 2 {
			return nil, bad("type")
		}
		p.Types = append(p.Types, TypeCheck{Type: v.Index(0), What: value.Str(v.Index(1))})
	}
	g, ok := get("globals").(value.Int)
	if !ok {
		return nil, bad("globals address")
	}
	p.GlobalsAddr = uint32(g)
	end, ok := get("static-end").(value.Int)
	if !ok {
		return nil, bad("static end")
	}
	p.StaticEnd = uint32(end)
	return p, nil
}

// customSection finds a custom section of a Wasm binary by name.
func customSection(bin []byte, name string) ([]byte, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:4], []byte("\x00asm")) {
		return nil, errors.New("not a WebAssembly module")
	}
	r := bytes.NewReader(bin[8:])
	for r.Len() > 0 {
		id, _ := r.ReadByte()
		size, err := binary.ReadUvarint(r)
		if err != nil || size > uint64(r.Len()) {
			return nil, errors.New("the WebAssembly module is truncated")
		}
		body := make([]byte, size)
		r.Read(body)
		if id != 0 {
			continue
		}
		br := bytes.NewReader(body)
		n, err := binary.ReadUvarint(br)
		if err != nil || n > uint64(br.Len()) {
			return nil, errors.New("the WebAssembly module has a bad custom section")
		}
		sec := make([]byte, n)
		br.Read(sec)
		if string(sec) == name {
			rest := make([]byte, br.Len())
			br.Read(rest)
			return rest, nil
		}
	}
	return nil, errors.New("not a module written by rtfsvm compile (no " + strconv.Quote(name) + " section)")
}
