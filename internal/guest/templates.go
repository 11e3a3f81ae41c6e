package guest

import (
	"sync"

	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Routines are the same code in every module, so each is written by the builder once a
// process (per setting of GCStress) and copied from its template afterwards (see
// wasm.Template): writing the runtime took a third of the time of compiling a 200-line
// plan. A routine whose code depends on the module's static data (a string it returns,
// say) has addresses that differ from module to module, and is written every time.

type templateKey struct {
	name     string
	gcStress bool
}

var templates sync.Map // templateKey -> *Template, or nil when the routine cannot have one

// emit adds routine r to the module.
func (rt *Runtime) emit(name string, r routine) *Func {
	key := templateKey{name, rt.GCStress}
	uses, outerNested, parent := rt.Data.uses, rt.nestedUses, rt.writing
	rt.nestedUses = 0
	f := rt.M.NewFunc(name, r.sig.Params, r.sig.Results)
	rt.funcs[name] = f
	v, known := templates.Load(key)
	t, _ := v.(*Template)
	switch {
	case t != nil:
		rt.writing = nil // what the template asks for, it asks for itself
		f.WriteFrom(t, rt.need)
	case known:
		rt.writing = f
		r.body(rt, f)
	default:
		rt.writing = f
		f.Record()
		r.body(rt, f)
		t := f.Template()
		if rt.Data.uses-uses > rt.nestedUses {
			t = nil // it used the static data itself
		}
		templates.LoadOrStore(key, t)
	}
	rt.writing = parent
	// To the enclosing routine, what this one did is nested.
	rt.nestedUses = outerNested + rt.Data.uses - uses
	return f
}

// need is the function of a name that a template refers to: a routine (added when new),
// the function of the static roots, or an import.
func (rt *Runtime) need(name string) *Func {
	if name == staticRootsName {
		return rt.staticRoots()
	}
	if f := rt.funcs[name]; f != nil {
		return f
	}
	if Has(name) {
		return rt.Fn(name)
	}
	for i, im := range rt.M.Imports {
		if im.Module+"."+im.Name == name {
			return &Func{Name: name, Index: uint32(i)}
		}
	}
	panic("guest: a template calls an unknown function " + name)
}

// ForgetTemplates drops every template, so that the next modules write their routines
// with the builder again: for tests that compare written and copied routines.
func ForgetTemplates() { templates.Clear() }
