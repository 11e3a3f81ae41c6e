// Package stdlib is the pure standard library of RTFS (rtfs-language.md §8): every
// library function as a *value.Builtin. The engine checks arity and fills in error
// positions; the functions here meter their own work with Caller.Charge and call the
// function values they are given through Caller.Call.
package stdlib

import (
	"sort"

	"github.com/rtfsvm/rtfsvm/value"
)

type (
	Value  = value.Value
	Caller = value.Caller
)

type fnImpl = func(c Caller, args []Value) (Value, error)

// variadic marks a builtin without an upper bound on its arguments.
const variadic = -1

func fn(name string, min, max int, f fnImpl) *value.Builtin {
	return &value.Builtin{Name: name, MinArgs: min, MaxArgs: max, Fn: f}
}

// table lists the whole library; each group is defined next to its implementation.
var table = concatTables(arithFns, predFns, collFns, seqFns, stringFns, hofFns, miscFns)

var byName = func() map[string]*value.Builtin {
	m := make(map[string]*value.Builtin, len(table))
	for _, b := range table {
		if m[b.Name] != nil {
			panic("stdlib: duplicate builtin " + b.Name)
		}
		m[b.Name] = b
	}
	return m
}()

func concatTables(ts ...[]*value.Builtin) []*value.Builtin {
	var out []*value.Builtin
	for _, t := range ts {
		out = append(out, t...)
	}
	return out
}

// Lookup returns the library function with the given name.
func Lookup(name string) (*value.Builtin, bool) {
	b, ok := byName[name]
	return b, ok
}

// Names returns the names of all library functions, sorted.
func Names() []string {
	names := make([]string, 0, len(table))
	for _, b := range table {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}
