package value

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Print returns the canonical printed form of v (rtfs-language.md §2): what rtfsvm run
// prints and pr-str returns.
func Print(v Value) string {
	var b strings.Builder
	WriteValue(&b, v)
	return b.String()
}

// Str is v as str concatenates it: strings as they are, nil as nothing, everything
// else printed canonically.
func Str(v Value) string {
	switch v := v.(type) {
	case String:
		return string(v)
	case NilType:
		return ""
	}
	return Print(v)
}

// WriteValue writes the canonical printed form of v.
func WriteValue(b *strings.Builder, v Value) {
	switch v := v.(type) {
	case NilType:
		b.WriteString("nil")
	case Bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Int:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case Float:
		b.WriteString(FormatFloat(float64(v)))
	case String:
		WriteQuoted(b, string(v))
	case Keyword:
		b.WriteByte(':')
		b.WriteString(string(v))
	case Symbol:
		b.WriteString(string(v))
	case *List:
		writeSeq(b, "(", ")", v)
	case *Vector:
		writeSeq(b, "[", "]", v)
	case *Set:
		b.WriteString("#{")
		for i, x := range v.Elems() {
			if i > 0 {
				b.WriteByte(' ')
			}
			WriteValue(b, x)
		}
		b.WriteByte('}')
	case *Map:
		b.WriteByte('{')
		for i, e := range v.Entries() {
			if i > 0 {
				b.WriteByte(' ')
			}
			WriteValue(b, e.Key)
			b.WriteByte(' ')
			WriteValue(b, e.Val)
		}
		b.WriteByte('}')
	case Function:
		if name := v.FuncName(); name != "" {
			b.WriteString("#<fn " + name + ">")
		} else {
			b.WriteString("#<fn>")
		}
	default:
		fmt.Fprintf(b, "#<%T>", v)
	}
}

func writeSeq(b *strings.Builder, open, close string, s Sequential) {
	b.WriteString(open)
	first := true
	s.Each(func(x Value) bool {
		if !first {
			b.WriteByte(' ')
		}
		first = false
		WriteValue(b, x)
		return true
	})
	b.WriteString(close)
}

// WriteQuoted writes s as a string literal that reads back as s.
func WriteQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(b, `\u{%x}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// FormatFloat prints a float as JavaScript prints numbers (the shortest digits that read
// back to the same float; plain notation when 1e-6 <= |x| < 1e21, exponent notation
// otherwise), with ".0" added to a plain form that has no decimal point.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "##NaN"
	case math.IsInf(f, 1):
		return "##Inf"
	case math.IsInf(f, -1):
		return "##-Inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// e-form gives the shortest digits d.ddd and the exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	k := len(digits)
	n := exp + 1 // position of the decimal point relative to the digits
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k) + ".0"
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		es := "+"
		if n-1 < 0 {
			es = "-"
		}
		ex := strconv.Itoa(abs(n - 1))
		if k == 1 {
			s = digits + "e" + es + ex
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + es + ex
		}
	}
	return sign + s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
