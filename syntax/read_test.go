package syntax_test

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

func TestReadPrints(t *testing.T) {
	tests := []struct{ src, want string }{
		{`[1, 2]`, `[1 2]`},
		{`{:b 1 :a 2}`, `{:a 2 :b 1}`},
		{`#{3 1 2}`, `#{1 2 3}`},
		{`'x`, `(quote x)`},
		{`#(+ % %2)`, `(fn [%1 %2] (+ %1 %2))`},
		{`#(apply f %&)`, `(fn [& %&] (apply f %&))`},
		{`#_ (ignored form) 7`, `7`},
		{"#| block\n comment |# 8", `8`},
		{`"a\"b\n\u{1F600}"`, "\"a\\\"b\\n\U0001F600\""},
		{`1.5e21`, `1.5e+21`},
		{`1e-7`, `1e-7`},
		{`2.0`, `2.0`},
		{`-0.0`, `-0.0`},
		{`##Inf ##-Inf`, `##Inf`},
		{`:com.acme:v1.0/x`, `:com.acme:v1.0/x`},
		{`true-x`, `true-x`},
		{`my.ns/f`, `my.ns/f`},
		{`x'`, `x'`},
		{`^{:timeout-ms 5} (call :a)`, `(call :a)`},
	}
	for _, tt := range tests {
		forms, err := syntax.Read("t", tt.src)
		if err != nil {
			t.Errorf("Read(%q): %v", tt.src, err)
			continue
		}
		if got := syntax.Print(forms[0]); got != tt.want {
			t.Errorf("Read(%q) prints %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`(a b`, `t:1:1: unclosed`},
		{`(a ]`, `t:1:4: unexpected`},
		{`"\q"`, `t:1:2: bad escape`},
		{`99999999999999999999`, `t:1:1: integer`},
		{`{:a 1 :a 2}`, `t:1:7: duplicate map key :a`},
		{`#{1 1}`, `t:1:5: duplicate set element 1`},
		{`[(1 2) [1 2]]`, ``},
		{`{(1 2) 3 [1 2] 4}`, `t:1:10: duplicate map key [1 2]`},
		{"\n  #(#(%))", `t:2:5: #( ) cannot be nested`},
		{`{:a}`, `t:1:1: a map literal needs an even number`},
		{`1.`, `t:1:1: invalid number`},
		{`"abc`, `t:1:1: unterminated string`},
		{`##Foo`, `t:1:3: unknown symbolic value`},
		{`^5 x`, `t:1:2: metadata must be`},
		{`::a`, `t:1:1: invalid keyword`},
		{"\xff", `t:1:1: source is not valid UTF-8`},
		{`.a`, `t:1:1: invalid token .a`},
	}
	for _, tt := range tests {
		_, err := syntax.Read("t", tt.src)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Read(%q): unexpected error %v", tt.src, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("Read(%q) = %v, want an error starting %q", tt.src, err, tt.want)
		}
	}
}

func TestPositions(t *testing.T) {
	forms, err := syntax.Read("plan.rtfs", "(do\n  (f  x))")
	if err != nil {
		t.Fatal(err)
	}
	inner := forms[0].(*syntax.List).Elems[1].(*syntax.List)
	if got := inner.Elems[1].Position().String(); got != "plan.rtfs:2:7" {
		t.Errorf("position of x = %s, want plan.rtfs:2:7", got)
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	src := strings.Repeat("(", 100_000) + strings.Repeat(")", 100_000)
	_, err := syntax.Read("deep", src)
	if err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("Read of 100,000 nested lists = %v, want a nesting error", err)
	}
	ok := strings.Repeat("[", syntax.MaxDepth) + strings.Repeat("]", syntax.MaxDepth)
	if _, err := syntax.Read("deep", ok); err != nil {
		t.Fatalf("nesting of exactly MaxDepth: %v", err)
	}
}

// genValue draws a printable value: everything but functions (and NaN, which equals
// nothing).
func genValue(depth int) *rapid.Generator[value.Value] {
	scalars := []*rapid.Generator[value.Value]{
		rapid.Just(value.Nil),
		rapid.Map(rapid.Bool(), func(b bool) value.Value { return value.Bool(b) }),
		rapid.Map(rapid.Int64(), func(i int64) value.Value { return value.Int(i) }),
		rapid.Map(rapid.Float64(), func(f float64) value.Value {
			if math.IsNaN(f) {
				f = 0.5
			}
			return value.Float(f)
		}),
		rapid.Map(rapid.String(), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.StringMatching(`[a-z][a-z0-9.\-]{0,6}(/[a-z][a-z0-9]{0,4})?`), func(s string) value.Value { return value.Keyword(s) }),
		rapid.Map(rapid.StringMatching(`[a-z*+!?<>][a-z0-9\-?!]{0,6}`), func(s string) value.Value {
			if s == "nil" || s == "true" || s == "false" {
				s += "x"
			}
			return value.Symbol(s)
		}),
	}
	if depth == 0 {
		return rapid.OneOf(scalars...)
	}
	elem := genValue(depth - 1)
	colls := append(scalars,
		rapid.Map(rapid.SliceOfN(elem, 0, 5), func(xs []value.Value) value.Value { return value.NewVector(xs) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 5), func(xs []value.Value) value.Value { return value.NewList(xs...) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 5), func(xs []value.Value) value.Value { return value.NewSet(xs...) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 8), func(xs []value.Value) value.Value {
			m := value.EmptyMap
			for i := 0; i+1 < len(xs); i += 2 {
				m = m.Assoc(xs[i], xs[i+1])
			}
			return m
		}),
	)
	return rapid.OneOf(colls...)
}

// Printing any value and reading it back gives an equal value.
func TestPrintReadRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genValue(3).Draw(t, "v")
		text := value.Print(v)
		n, err := syntax.ReadOne("rt", text)
		if err != nil {
			t.Fatalf("reading %s: %v", text, err)
		}
		back := syntax.Datum(n)
		if !value.Equal(v, back) {
			t.Fatalf("%s read back as %s", text, value.Print(back))
		}
		if again := value.Print(back); again != text {
			t.Fatalf("printing is not stable: %s then %s", text, again)
		}
	})
}

// FuzzRead: the reader never panics, and whatever it reads prints to text that reads
// back to the same forms.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"(+ 1 2)", `{:a [1 2.5 "x"] #{:k} nil}`, "#(f % %2)", "^:m (call :a.b/c 1)", "'(a . b)", `"\u{48}"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		forms, err := syntax.Read("fuzz", src)
		if err != nil {
			if _, ok := err.(*syntax.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, form := range forms {
			text := syntax.Print(form)
			n, err := syntax.ReadOne("again", text)
			if err != nil {
				t.Fatalf("%q printed as %q, which does not read: %v", src, text, err)
			}
			if value.Compare(syntax.Datum(form), syntax.Datum(n)) != 0 {
				t.Fatalf("%q printed as %q, which reads differently", src, text)
			}
		}
	})
}
