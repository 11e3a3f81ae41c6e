package types_test

import (
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

func datum(t *testing.T, src string) value.Value {
	t.Helper()
	n, err := syntax.ReadOne("t", src)
	if err != nil {
		t.Fatal(err)
	}
	return syntax.Datum(n)
}

func TestCheck(t *testing.T) {
	tests := []struct {
		typ, val string
		want     bool
	}{
		{":int", "1", true}, {":int", "1.0", false}, {":float", "1", true}, {":number", "2.5", true},
		{":string", `"s"`, true}, {":keyword", ":k", true}, {":nil", "nil", true}, {":any", "[1]", true},
		{"[:vector :int]", "[1 2]", true}, {"[:vector :int]", "[1 :x]", false}, {"[:vector :int]", "(1)", false},
		{"[:list :int]", "(1 2)", true},
		{"[:map [:a :int] [:b :string :optional]]", "{:a 1}", true},
		{"[:map [:a :int] [:b :string :optional]]", "{:a 1 :b 2}", false},
		{"[:map [:a :int]]", "{:b 1}", false},
		{"[:map [:a :int]]", "{:a 1 :extra true}", true},
		{"[:map-of :keyword :int]", "{:a 1 :b 2}", true}, {"[:map-of :keyword :int]", `{"a" 1}`, false},
		{"[:tuple :int :string]", `[1 "a"]`, true}, {"[:tuple :int :string]", `[1]`, false},
		{"[:union :int :string]", `"a"`, true}, {"[:union :int :string]", `:a`, false},
		{"[:enum :red :green]", ":green", true}, {"[:enum :red :green]", ":blue", false},
		{"[:and :int [:> 0] [:<= 10]]", "10", true}, {"[:and :int [:> 0]]", "0", false},
		{"[:and :number [:>= 1]]", "1.0", true}, {"[:and :number [:< 1]]", "##NaN", false},
		{"[:and :string [:min-length 2] [:max-length 3]]", `"héé"`, true},
		{"[:and :string [:max-length 2]]", `"héé"`, false},
		{`[:and :string [:matches-regex "^[a-z]+$"]]`, `"abc"`, true},
		{`[:and :string [:matches-regex "^[a-z]+$"]]`, `"ab1"`, false},
	}
	for _, tt := range tests {
		typ := datum(t, tt.typ)
		if err := types.Validate(typ); err != nil {
			t.Errorf("Validate(%s): %v", tt.typ, err)
			continue
		}
		if got := types.Check(typ, datum(t, tt.val)); got != tt.want {
			t.Errorf("Check(%s, %s) = %v, want %v", tt.typ, tt.val, got, tt.want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, src := range []string{":integer", "[]", "[1]", "[:vector]", "[:map-of :int]", "[:map [:a]]",
		"[:map [:a :int :maybe]]", "[:and]", "[:and :int [:> :x]]", `[:and :string [:matches-regex "("]]`,
		"[:and :int [:between 1 2]]", "[:frob :int]", "42"} {
		if err := types.Validate(datum(t, src)); err == nil || strings.TrimSpace(err.Error()) == "" {
			t.Errorf("Validate(%s) accepted it", src)
		}
	}
}
