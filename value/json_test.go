package value

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestToJSON(t *testing.T) {
	m := EmptyMap.Assoc(Keyword("b"), NewVector([]Value{Int(1), Float(2), Nil, True})).
		Assoc(Keyword("a/x"), String("q\"<&>\n\u00e9")).
		Assoc(String("s"), NewSet(Int(2), Int(1))).
		Assoc(Keyword("l"), NewList(Keyword("k"), Symbol("sym"), Float(1e-7), Float(1.5e21), Float(math.Copysign(0, -1))))
	cases := []struct {
		v    Value
		want string
	}{
		{Nil, "null"}, {False, "false"}, {Int(-42), "-42"}, {Float(2.5), "2.5"}, {Float(2), "2.0"},
		{String(""), `""`}, {EmptyVector, "[]"}, {EmptyMap, "{}"}, {EmptyList, "[]"},
		{m, `{"s":[1,2],"a/x":"q\"<&>\né","b":[1,2.0,null,true],"l":["k","sym",1e-7,1.5e+21,-0.0]}`},
		{String("\x01\u2028"), `"\u0001\u2028"`},
	}
	for _, c := range cases {
		got, err := ToJSON(c.v)
		if err != nil || got != c.want {
			t.Errorf("ToJSON(%s) = %s, %v; want %s", Print(c.v), got, err, c.want)
		}
	}
	fn := &Builtin{Name: "f"}
	for _, v := range []Value{
		fn, Float(math.NaN()), Float(math.Inf(1)), NewVector([]Value{fn}),
		EmptyMap.Assoc(Int(1), Int(2)), EmptyMap.Assoc(String("a"), Int(1)).Assoc(Keyword("a"), Int(2)),
	} {
		_, err := ToJSON(v)
		var e *Error
		if !errors.As(err, &e) || e.ErrKind != ErrInvalidArg {
			t.Errorf("ToJSON(%s): %v, want :error/invalid-argument", Print(v), err)
		}
	}
}

func TestToJSONMetered(t *testing.T) {
	v := Value(NewVector([]Value{String(strings.Repeat("x", 100))}))
	for i := 0; i < 30; i++ { // shared structure: 2**30 copies of the string
		v = NewVector([]Value{v, v})
	}
	total := 0
	stop := &LimitError{Limit: LimitFuel}
	_, err := ToJSONMetered(v, func(n int) error {
		total += n
		if total > 1<<20 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("metered encoding of a huge value: %v, want the charge error", err)
	}
	got, err := ToJSONMetered(NewVector([]Value{Int(1)}), func(n int) error { total = n; return nil })
	if got != "[1]" || err != nil || total != 3 {
		t.Errorf("metered [1]: %q %v charged %d", got, err, total)
	}
}

func TestFromJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`null`, "nil"}, {` true `, "true"}, {`42`, "42"}, {`-0`, "0"}, {`4.0`, "4.0"}, {`1e3`, "1000.0"},
		{`1E-7`, "1e-7"}, {`9223372036854775807`, "9223372036854775807"}, {`9223372036854775808`, "9223372036854776000.0"},
		{`1e400`, "##Inf"}, {`"a\u00e9\n"`, `"aé\n"`}, {`[]`, "[]"}, {`{}`, "{}"},
		{`{"b": [1, {"c": null}], "a": "x", "n/s": 1.5, "a b": 0}`, `{:a "x" :a b 0 :b [1 {:c nil}] :n/s 1.5}`},
		{`{"a": 1, "a": 2}`, "{:a 2}"},
	}
	for _, c := range cases {
		v, err := FromJSON([]byte(c.in))
		if err != nil || Print(v) != c.want {
			t.Errorf("FromJSON(%s) = %v, %v; want %s", c.in, v, err, c.want)
		}
	}
	for _, in := range []string{``, ` `, `[1,`, `{"a" 1}`, `1 2`, `[] x`, `{a: 1}`, `'a'`, `NaN`, `01`, strings.Repeat("[", 20000)} {
		_, err := FromJSON([]byte(in))
		var e *Error
		if !errors.As(err, &e) || e.ErrKind != ErrInvalidArg {
			t.Errorf("FromJSON(%.20q): %v, want :error/invalid-argument", in, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	v := EmptyMap.Assoc(Keyword("xs"), NewVector([]Value{Int(-1), Float(0.1), Float(-2), String("é\"\\"), Nil, False})).
		Assoc(Keyword("m"), EmptyMap.Assoc(Keyword("k/v"), EmptyVector)).
		Assoc(Keyword("big"), Int(math.MinInt64))
	s, err := ToJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromJSON([]byte(s))
	if err != nil || !Equal(back, v) {
		t.Fatalf("round trip of %s through %s gave %v, %v", Print(v), s, back, err)
	}
	s2, _ := ToJSON(back)
	if s2 != s {
		t.Errorf("second encoding %s differs from %s", s2, s)
	}
}
