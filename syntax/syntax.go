// Package syntax reads RTFS source into forms: the AST, where every node carries its
// file, line and column. A form is also data: Datum turns any form into the value that
// (quote form) denotes, and the canonical printer of the value package prints it.
package syntax

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rtfsvm/rtfsvm/value"
)

// Pos is a position in a source file. Line and Col count from 1; Col counts characters.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	// Not fmt: a compile formats the position of every error site.
	var s strings.Builder
	var num [20]byte
	s.Grow(len(p.File) + 12)
	s.WriteString(p.File)
	s.WriteByte(':')
	s.Write(strconv.AppendInt(num[:0], int64(p.Line), 10))
	s.WriteByte(':')
	s.Write(strconv.AppendInt(num[:0], int64(p.Col), 10))
	return s.String()
}

// Node is a form.
type Node interface {
	Position() Pos
	Metadata() *Map // the ^{...} attached to the form, or nil
}

// Common holds what every node has.
type Common struct {
	Pos  Pos
	Meta *Map
}

func (c *Common) Position() Pos  { return c.Pos }
func (c *Common) Metadata() *Map { return c.Meta }

type (
	// Atom is a literal scalar: nil, boolean, integer, float, string or keyword.
	Atom struct {
		Common
		Value value.Value
	}
	// Symbol is a name.
	Symbol struct {
		Common
		Name string
	}
	// Colon is a lone ':' that starts a type annotation.
	Colon struct{ Common }
	// List is (...).
	List struct {
		Common
		Elems []Node
	}
	// Vector is [...].
	Vector struct {
		Common
		Elems []Node
	}
	// Map is {...}; Elems alternate keys and values.
	Map struct {
		Common
		Elems []Node
	}
	// Set is #{...}.
	Set struct {
		Common
		Elems []Node
	}
)

// Error is a read error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Datum is the value that (quote n) denotes. Metadata is dropped; a lone colon is the
// symbol ":".
func Datum(n Node) value.Value {
	switch n := n.(type) {
	case *Atom:
		return n.Value
	case *Symbol:
		return value.Symbol(n.Name)
	case *Colon:
		return value.Symbol(":")
	case *List:
		return value.NewList(datums(n.Elems)...)
	case *Vector:
		return value.NewVector(datums(n.Elems))
	case *Set:
		return value.NewSet(datums(n.Elems)...)
	case *Map:
		m := value.EmptyMap
		for i := 0; i+1 < len(n.Elems); i += 2 {
			m = m.Assoc(Datum(n.Elems[i]), Datum(n.Elems[i+1]))
		}
		return m
	}
	panic(fmt.Sprintf("syntax.Datum: unexpected node %T", n))
}

func datums(ns []Node) []value.Value {
	out := make([]value.Value, len(ns))
	for i, n := range ns {
		out[i] = Datum(n)
	}
	return out
}

// Print is the canonical printed form of a form (as data).
func Print(n Node) string { return value.Print(Datum(n)) }
