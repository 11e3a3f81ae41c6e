package stdlib

import (
	_ "embed"
	"sort"
	"strings"
	"sync"

	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/syntax"
)

// Prelude is the source of the library functions written in RTFS (prelude.rtfs): the
// ones that call back into RTFS functions and those built on them. An engine resolves
// it with the plan (resolve.ProgramWith, ResolvedPrelude) and compiles it like the plan's
// own code.
//
//go:embed prelude.rtfs
var Prelude string

// ResolvedPrelude is the prelude resolved once for the library, for the plans of the
// process to share (resolve.ProgramWith).
var ResolvedPrelude = sync.OnceValue(func() *resolve.Prelude {
	p, err := resolve.ResolvePrelude(PreludeForms(), Lookup)
	if err != nil {
		panic("stdlib: the prelude does not resolve: " + err.Error())
	}
	return p
})

// PreludeFile is the file name that positions in the prelude carry.
const PreludeFile = "prelude.rtfs"

// PreludeNames lists, sorted, the library functions that the prelude defines (not its
// prelude-* helpers). Each replaces the Go function of the same name.
var PreludeNames = preludeNames()

// PreludeForms reads the prelude; each call reads it anew. The process keeps no forms:
// plans share the resolved prelude (ResolvedPrelude), and the forms would be some
// 400 KB that every collection marks.
func PreludeForms() []syntax.Node {
	forms, err := syntax.Read(PreludeFile, Prelude)
	if err != nil {
		panic("stdlib: the prelude does not read: " + err.Error())
	}
	return forms
}

func preludeNames() []string {
	var names []string
	for _, f := range PreludeForms() {
		l, ok := f.(*syntax.List)
		if !ok || len(l.Elems) < 2 {
			continue
		}
		head, _ := l.Elems[0].(*syntax.Symbol)
		name, _ := l.Elems[1].(*syntax.Symbol)
		if head == nil || name == nil || head.Name != "defn" && head.Name != "def" {
			continue
		}
		if !strings.HasPrefix(name.Name, "prelude-") {
			names = append(names, name.Name)
		}
	}
	sort.Strings(names)
	return names
}
