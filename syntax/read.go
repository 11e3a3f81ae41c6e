package syntax

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

// MaxDepth bounds the nesting of forms, so that no later stage (resolver, engines,
// printer) recurses without bound on a hostile plan.
const MaxDepth = 1000

// Read parses every form of src. file names the source in positions.
func Read(file, src string) ([]Node, error) {
	r := &reader{file: file, src: src, line: 1, col: 1}
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			c, size := utf8.DecodeRuneInString(src[i:])
			if c == utf8.RuneError && size <= 1 {
				break
			}
			r.advance(size)
			i += size
		}
		return nil, r.errorf(r.pos(), "source is not valid UTF-8")
	}
	var forms []Node
	for {
		n, err := r.next(0)
		if err != nil {
			return nil, err
		}
		if n == nil {
			if r.off < len(r.src) {
				return nil, r.errorf(r.pos(), "unexpected %q", r.src[r.off])
			}
			return forms, nil
		}
		forms = append(forms, n)
	}
}

// ReadOne parses src that must hold exactly one form (a value on the command line).
func ReadOne(file, src string) (Node, error) {
	forms, err := Read(file, src)
	if err != nil {
		return nil, err
	}
	if len(forms) != 1 {
		return nil, &Error{Pos{file, 1, 1}, fmt.Sprintf("expected one form, found %d", len(forms))}
	}
	return forms[0], nil
}

type reader struct {
	file      string
	src       string
	off       int
	line, col int
	anonFn    bool // inside #( ... )
	// pending holds the elements of the sequences being read, innermost last: each
	// sequence gets a slice of its exact length when it closes.
	pending []Node
}

func (r *reader) pos() Pos { return Pos{r.file, r.line, r.col} }

func (r *reader) errorf(p Pos, format string, args ...any) *Error {
	return &Error{p, fmt.Sprintf(format, args...)}
}

func (r *reader) advance(n int) {
	for _, c := range r.src[r.off : r.off+n] {
		if c == '\n' {
			r.line++
			r.col = 1
		} else {
			r.col++
		}
	}
	r.off += n
}

func (r *reader) peek() byte {
	if r.off < len(r.src) {
		return r.src[r.off]
	}
	return 0
}

func (r *reader) peekAt(k int) byte {
	if r.off+k < len(r.src) {
		return r.src[r.off+k]
	}
	return 0
}

// skip passes over white space and comments (but not #_, which needs a form).
func (r *reader) skip() error {
	for r.off < len(r.src) {
		c := r.src[r.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',':
			r.advance(1)
		case c == ';':
			end := strings.IndexByte(r.src[r.off:], '\n')
			if end < 0 {
				end = len(r.src) - r.off
			}
			r.advance(end)
		case c == '#' && r.peekAt(1) == '|':
			start := r.pos()
			end := strings.Index(r.src[r.off+2:], "|#")
			if end < 0 {
				return r.errorf(start, "unterminated block comment")
			}
			r.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

// next reads one form. It returns nil, nil at the end of input or before a closing
// bracket, which the caller checks.
func (r *reader) next(depth int) (Node, error) {
	for {
		if err := r.skip(); err != nil {
			return nil, err
		}
		if r.peek() == '#' && r.peekAt(1) == '_' {
			p := r.pos()
			r.advance(2)
			n, err := r.next(depth)
			if err != nil {
				return nil, err
			}
			if n == nil {
				return nil, r.errorf(p, "#_ needs a form to discard")
			}
			continue
		}
		break
	}
	if r.off >= len(r.src) {
		return nil, nil
	}
	p := r.pos()
	c := r.src[r.off]
	if c == ')' || c == ']' || c == '}' {
		return nil, nil
	}
	if depth >= MaxDepth {
		return nil, r.errorf(p, "forms nested deeper than %d", MaxDepth)
	}
	switch c {
	case '(':
		r.advance(1)
		elems, err := r.seq(p, ')', depth)
		if err != nil {
			return nil, err
		}
		return &List{Common{Pos: p}, elems}, nil
	case '[':
		r.advance(1)
		elems, err := r.seq(p, ']', depth)
		if err != nil {
			return nil, err
		}
		return &Vector{Common{Pos: p}, elems}, nil
	case '{':
		r.advance(1)
		elems, err := r.seq(p, '}', depth)
		if err != nil {
			return nil, err
		}
		if len(elems)%2 != 0 {
			return nil, r.errorf(p, "a map literal needs an even number of forms, found %d", len(elems))
		}
		keys := make([]Node, 0, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			keys = append(keys, elems[i])
		}
		if err := r.checkDistinct(keys, "map key"); err != nil {
			return nil, err
		}
		return &Map{Common{Pos: p}, elems}, nil
	case '"':
		return r.str()
	case '\'':
		r.advance(1)
		n, err := r.need(p, depth, "quote")
		if err != nil {
			return nil, err
		}
		return &List{Common{Pos: p}, []Node{&Symbol{Common{Pos: p}, "quote"}, n}}, nil
	case '^':
		r.advance(1)
		meta, err := r.need(p, depth, "^")
		if err != nil {
			return nil, err
		}
		var m *Map
		switch meta := meta.(type) {
		case *Map:
			m = meta
		case *Atom:
			if _, ok := meta.Value.(value.Keyword); ok {
				m = &Map{Common{Pos: meta.Pos}, []Node{meta, &Atom{Common{Pos: meta.Pos}, value.True}}}
			}
		}
		if m == nil {
			return nil, r.errorf(meta.Position(), "metadata must be a map or a keyword")
		}
		form, err := r.need(p, depth, "metadata")
		if err != nil {
			return nil, err
		}
		attachMeta(form, m)
		return form, nil
	case '#':
		return r.dispatch(p, depth)
	}
	return r.token(p)
}

// need reads the form that must follow a prefix such as ' or ^.
func (r *reader) need(p Pos, depth int, what string) (Node, error) {
	n, err := r.next(depth + 1)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, r.errorf(p, "%s needs a form after it", what)
	}
	return n, nil
}

func attachMeta(n Node, m *Map) {
	c := commonOf(n)
	if c.Meta == nil {
		c.Meta = m
		return
	}
	merged := &Map{Common{Pos: c.Meta.Pos}, append(append([]Node(nil), c.Meta.Elems...), m.Elems...)}
	c.Meta = merged
}

func commonOf(n Node) *Common {
	switch n := n.(type) {
	case *Atom:
		return &n.Common
	case *Symbol:
		return &n.Common
	case *Colon:
		return &n.Common
	case *List:
		return &n.Common
	case *Vector:
		return &n.Common
	case *Map:
		return &n.Common
	case *Set:
		return &n.Common
	}
	panic("unreachable")
}

// seq reads forms up to the closing bracket.
func (r *reader) seq(open Pos, close byte, depth int) ([]Node, error) {
	start := len(r.pending)
	defer func() { clear(r.pending[start:]); r.pending = r.pending[:start] }()
	for {
		n, err := r.next(depth + 1)
		if err != nil {
			return nil, err
		}
		if n != nil {
			r.pending = append(r.pending, n)
			continue
		}
		if r.off >= len(r.src) {
			return nil, r.errorf(open, "unclosed %q: no matching %q", openerOf(close), close)
		}
		if c := r.src[r.off]; c != close {
			return nil, r.errorf(r.pos(), "unexpected %q: %q at %d:%d is still open", c, openerOf(close), open.Line, open.Col)
		}
		r.advance(1)
		if len(r.pending) == start {
			return nil, nil
		}
		return slices.Clone(r.pending[start:]), nil
	}
}

func openerOf(close byte) string {
	switch close {
	case ')':
		return "("
	case ']':
		return "["
	}
	return "{"
}

func (r *reader) checkDistinct(nodes []Node, what string) error {
	seen := value.EmptySet
	for _, n := range nodes {
		d := Datum(n)
		if seen.Has(d) {
			return r.errorf(n.Position(), "duplicate %s %s", what, value.Print(d))
		}
		seen = seen.Conj(d)
	}
	return nil
}

func (r *reader) dispatch(p Pos, depth int) (Node, error) {
	switch r.peekAt(1) {
	case '{':
		r.advance(2)
		elems, err := r.seq(p, '}', depth)
		if err != nil {
			return nil, err
		}
		if err := r.checkDistinct(elems, "set element"); err != nil {
			return nil, err
		}
		return &Set{Common{Pos: p}, elems}, nil
	case '(':
		if r.anonFn {
			return nil, r.errorf(p, "#( ) cannot be nested")
		}
		r.advance(2)
		r.anonFn = true
		elems, err := r.seq(p, ')', depth)
		r.anonFn = false
		if err != nil {
			return nil, err
		}
		return anonFn(p, &List{Common{Pos: p}, elems})
	case '#':
		r.advance(2)
		tp := r.pos()
		tok := r.scanToken()
		switch tok {
		case "Inf":
			return &Atom{Common{Pos: p}, value.Float(math.Inf(1))}, nil
		case "-Inf":
			return &Atom{Common{Pos: p}, value.Float(math.Inf(-1))}, nil
		case "NaN":
			return &Atom{Common{Pos: p}, value.Float(math.NaN())}, nil
		}
		return nil, r.errorf(tp, "unknown symbolic value ##%s", tok)
	}
	return nil, r.errorf(p, "unknown dispatch #%s", string(r.peekAt(1)))
}

// anonFn expands #(body) into (fn [%1 ... %N & %&] body), where % means %1.
func anonFn(p Pos, body *List) (Node, error) {
	maxN, rest := 0, false
	var walk func(n Node) error
	walk = func(n Node) error {
		switch n := n.(type) {
		case *Symbol:
			switch {
			case n.Name == "%":
				n.Name = "%1"
				maxN = max(maxN, 1)
			case n.Name == "%&":
				rest = true
			case strings.HasPrefix(n.Name, "%"):
				k, err := strconv.Atoi(n.Name[1:])
				if err != nil || k < 1 || k > 20 {
					return &Error{n.Pos, fmt.Sprintf("bad argument %s in #( ): use %%, %%1 to %%20 or %%&", n.Name)}
				}
				maxN = max(maxN, k)
			}
		case *List:
			return walkAll(n.Elems, walk)
		case *Vector:
			return walkAll(n.Elems, walk)
		case *Map:
			return walkAll(n.Elems, walk)
		case *Set:
			return walkAll(n.Elems, walk)
		}
		return nil
	}
	if err := walk(body); err != nil {
		return nil, err
	}
	params := &Vector{Common: Common{Pos: p}}
	for i := 1; i <= maxN; i++ {
		params.Elems = append(params.Elems, &Symbol{Common{Pos: p}, "%" + strconv.Itoa(i)})
	}
	if rest {
		params.Elems = append(params.Elems, &Symbol{Common{Pos: p}, "&"}, &Symbol{Common{Pos: p}, "%&"})
	}
	return &List{Common{Pos: p}, []Node{&Symbol{Common{Pos: p}, "fn"}, params, body}}, nil
}

func walkAll(ns []Node, f func(Node) error) error {
	for _, n := range ns {
		if err := f(n); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) str() (Node, error) {
	p := r.pos()
	r.advance(1)
	var b strings.Builder
	for {
		if r.off >= len(r.src) {
			return nil, r.errorf(p, "unterminated string")
		}
		c := r.src[r.off]
		switch c {
		case '"':
			r.advance(1)
			return &Atom{Common{Pos: p}, value.String(b.String())}, nil
		case '\\':
			ep := r.pos()
			switch r.peekAt(1) {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\':
				b.WriteByte('\\')
			case '"':
				b.WriteByte('"')
			case 'u':
				if r.peekAt(2) != '{' {
					return nil, r.errorf(ep, `bad escape: \u must be followed by {HEX}`)
				}
				end := strings.IndexByte(r.src[r.off:], '}')
				if end < 0 {
					return nil, r.errorf(ep, `bad escape: \u{ is not closed`)
				}
				hex := r.src[r.off+3 : r.off+end]
				cp, err := strconv.ParseUint(hex, 16, 32)
				if err != nil || len(hex) == 0 || len(hex) > 6 || cp > unicode.MaxRune || (cp >= 0xD800 && cp <= 0xDFFF) {
					return nil, r.errorf(ep, `bad escape \u{%s}: not a Unicode code point`, hex)
				}
				b.WriteRune(rune(cp))
				r.advance(end + 1)
				continue
			case 0:
				return nil, r.errorf(p, "unterminated string")
			default:
				ch, _ := utf8.DecodeRuneInString(r.src[r.off+1:])
				return nil, r.errorf(ep, `bad escape \%c in string`, ch)
			}
			r.advance(2)
		default:
			_, size := utf8.DecodeRuneInString(r.src[r.off:])
			b.WriteString(r.src[r.off : r.off+size])
			r.advance(size)
		}
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', '(', ')', '[', ']', '{', '}', '"', ';', '^':
		return true
	}
	return false
}

// scanToken takes the maximal run of characters up to a delimiter.
func (r *reader) scanToken() string {
	start := r.off
	end := start
	for end < len(r.src) && !isDelimiter(r.src[end]) {
		end++
	}
	r.advance(end - start)
	return r.src[start:end]
}

var (
	intRE   = regexp.MustCompile(`^-?[0-9]+$`)
	floatRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)$`)
)

func (r *reader) token(p Pos) (Node, error) {
	tok := r.scanToken()
	if tok == "" {
		ch, _ := utf8.DecodeRuneInString(r.src[r.off:])
		return nil, r.errorf(p, "unexpected %q", ch)
	}
	// Only a token that starts like a number is matched against the number syntaxes.
	number := tok[0] >= '0' && tok[0] <= '9' || tok[0] == '-' && len(tok) > 1 && tok[1] >= '0' && tok[1] <= '9'
	switch {
	case number && intRE.MatchString(tok):
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return nil, r.errorf(p, "integer %s does not fit in 64 bits", tok)
		}
		return &Atom{Common{Pos: p}, value.Int(n)}, nil
	case number && floatRE.MatchString(tok):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, r.errorf(p, "bad float %s", tok)
		}
		return &Atom{Common{Pos: p}, value.Float(f)}, nil
	case tok == "nil":
		return &Atom{Common{Pos: p}, value.Nil}, nil
	case tok == "true":
		return &Atom{Common{Pos: p}, value.True}, nil
	case tok == "false":
		return &Atom{Common{Pos: p}, value.False}, nil
	case tok == ":":
		return &Colon{Common{Pos: p}}, nil
	case tok[0] == ':':
		body := tok[1:]
		if body[0] == ':' || !validBody(body) {
			return nil, r.errorf(p, "invalid keyword %s", tok)
		}
		return &Atom{Common{Pos: p}, value.Keyword(body)}, nil
	}
	first, _ := utf8.DecodeRuneInString(tok)
	if !isSymbolStart(first) || !validBody(tok) {
		if first >= '0' && first <= '9' || first == '-' && len(tok) > 1 && tok[1] >= '0' && tok[1] <= '9' {
			return nil, r.errorf(p, "invalid number %s", tok)
		}
		return nil, r.errorf(p, "invalid token %s", tok)
	}
	return &Symbol{Common{Pos: p}, tok}, nil
}

func isSymbolStart(c rune) bool {
	return unicode.IsLetter(c) || strings.ContainsRune("_$+-*/=<>!?%&", c)
}

func validBody(s string) bool {
	for _, c := range s {
		if !(isSymbolStart(c) || unicode.IsDigit(c) || strings.ContainsRune(".-'#:", c)) {
			return false
		}
	}
	return true
}
