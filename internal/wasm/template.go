package wasm

import "slices"

// A Template is a function written once and copied into other modules: a runtime
// routine is the same code in every module, apart from the indices of the functions it
// calls and of the types it uses, which depend on what each module holds. Writing it
// again from its template costs a copy instead of running the builder.
//
// The template also keeps, in order, what writing the function asked of the module
// (Need) and the types it registered, so that copying it registers the same functions
// and types in the same order as writing it did: a module is the same, byte for byte,
// whether its routines were written or copied.
type Template struct {
	Type   FuncType
	locals []ValType
	body   []byte
	events []event
	relocs []reloc // by position in body
}

// An event is something writing the function asked of the module: a function by name
// (need) or a type.
type event struct {
	need string
	typ  *FuncType
}

// A reloc is an index in the body that depends on the module: a function's (by name)
// or a type's. n is the length of its encoding in the template's body.
type reloc struct {
	pos, n int
	fn     string
	typ    *FuncType
}

// Record makes f keep what a Template needs while its body is written.
func (f *Func) Record() { f.rec = &Template{Type: f.Type} }

// Need records, in a recorded function, that writing it asked for the function name.
func (f *Func) Need(name string) {
	if f.rec != nil {
		f.rec.events = append(f.rec.events, event{need: name})
	}
}

// Template is the template of a recorded function whose body is written.
func (f *Func) Template() *Template {
	t := f.rec
	f.rec = nil
	t.locals = slices.Clone(f.locals)
	t.body = slices.Clone(f.body.Bytes())
	return t
}

func (f *Func) relocFunc(callee *Func) {
	if f.rec != nil {
		f.rec.relocs = append(f.rec.relocs, reloc{pos: f.body.Len(), n: uleb128Len(callee.Index), fn: callee.Name})
	}
}

// typeIndex is the index of type t in the module, for an instruction being written.
func (f *Func) typeIndex(t FuncType) uint32 {
	i := f.module.Type(t)
	if f.rec != nil {
		tt := &t
		f.rec.events = append(f.rec.events, event{typ: tt})
		f.rec.relocs = append(f.rec.relocs, reloc{pos: f.body.Len(), n: uleb128Len(i), typ: tt})
	}
	return i
}

// WriteFrom writes f's body from a template: need is called for each function the
// template asked for, in order (it adds the function to the module if it is not there
// yet), and returns the function of that name.
func (f *Func) WriteFrom(t *Template, need func(name string) *Func) {
	m := f.module
	for _, e := range t.events {
		if e.typ != nil {
			m.Type(*e.typ)
		} else {
			need(e.need)
		}
	}
	f.locals = slices.Clone(t.locals)
	f.body.Grow(len(t.body) + 2*len(t.relocs))
	at := 0
	for _, r := range t.relocs {
		f.body.Write(t.body[at:r.pos])
		if r.typ != nil {
			f.u32(m.Type(*r.typ))
		} else {
			f.u32(need(r.fn).Index)
		}
		at = r.pos + r.n
	}
	f.body.Write(t.body[at:])
}
