// Package types checks RTFS type expressions (rtfs-language.md §5). A type expression is
// data (a keyword or a vector), validated once when a plan is compiled and interpreted
// at run time by Check, which every engine shares through the library.
package types

import (
	"fmt"
	"regexp"
	"sync"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

var scalars = map[value.Keyword]func(value.Value) bool{
	"any":     func(value.Value) bool { return true },
	"nil":     func(v value.Value) bool { return v.Kind() == value.KindNil },
	"int":     func(v value.Value) bool { return v.Kind() == value.KindInt },
	"float":   isNumber, // an integer is accepted where a float is expected
	"number":  isNumber,
	"string":  func(v value.Value) bool { return v.Kind() == value.KindString },
	"bool":    func(v value.Value) bool { return v.Kind() == value.KindBool },
	"boolean": func(v value.Value) bool { return v.Kind() == value.KindBool },
	"keyword": func(v value.Value) bool { return v.Kind() == value.KindKeyword },
	"symbol":  func(v value.Value) bool { return v.Kind() == value.KindSymbol },
	"vector":  func(v value.Value) bool { return v.Kind() == value.KindVector },
	"list":    func(v value.Value) bool { return v.Kind() == value.KindList },
	"map":     func(v value.Value) bool { return v.Kind() == value.KindMap },
	"set":     func(v value.Value) bool { return v.Kind() == value.KindSet },
	"fn":      func(v value.Value) bool { return v.Kind() == value.KindFunction },
}

func isNumber(v value.Value) bool { k := v.Kind(); return k == value.KindInt || k == value.KindFloat }

// Validate reports what is wrong with a type expression, or nil.
func Validate(t value.Value) error {
	switch t := t.(type) {
	case value.Keyword:
		if _, ok := scalars[t]; !ok {
			return fmt.Errorf("unknown type %s", value.Print(t))
		}
		return nil
	case *value.Vector:
		if t.Len() == 0 {
			return fmt.Errorf("empty type expression []")
		}
		head, ok := t.Index(0).(value.Keyword)
		if !ok {
			return fmt.Errorf("type expression %s must start with a keyword", value.Print(t))
		}
		args := t.Slice()[1:]
		need := func(n int) error {
			if len(args) != n {
				return fmt.Errorf("%s takes %d type argument(s), got %d", value.Print(head), n, len(args))
			}
			return nil
		}
		switch head {
		case "vector", "list", "set":
			if err := need(1); err != nil {
				return err
			}
			return Validate(args[0])
		case "map-of":
			if err := need(2); err != nil {
				return err
			}
			if err := Validate(args[0]); err != nil {
				return err
			}
			return Validate(args[1])
		case "tuple", "union":
			for _, a := range args {
				if err := Validate(a); err != nil {
					return err
				}
			}
			return nil
		case "enum":
			return nil
		case "map":
			for _, a := range args {
				e, ok := a.(*value.Vector)
				if !ok || e.Len() < 2 || e.Len() > 3 {
					return fmt.Errorf("a [:map] entry must be [key type] or [key type :optional], got %s", value.Print(a))
				}
				if err := Validate(e.Index(1)); err != nil {
					return err
				}
				if e.Len() == 3 && !value.Equal(e.Index(2), value.Keyword("optional")) {
					return fmt.Errorf("a [:map] entry's third element must be :optional, got %s", value.Print(e.Index(2)))
				}
			}
			return nil
		case "and":
			if len(args) == 0 {
				return fmt.Errorf("[:and] needs a type")
			}
			if err := Validate(args[0]); err != nil {
				return err
			}
			for _, p := range args[1:] {
				if err := validatePredicate(p); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("unknown type constructor %s", value.Print(head))
	}
	return fmt.Errorf("%s is not a type expression", value.Print(t))
}

func validatePredicate(p value.Value) error {
	v, ok := p.(*value.Vector)
	if !ok || v.Len() != 2 {
		return fmt.Errorf("a predicate must be [op arg], got %s", value.Print(p))
	}
	op, _ := v.Index(0).(value.Keyword)
	arg := v.Index(1)
	switch op {
	case ">", ">=", "<", "<=":
		if !isNumber(arg) {
			return fmt.Errorf("predicate %s needs a number", value.Print(p))
		}
	case "min-length", "max-length":
		if arg.Kind() != value.KindInt {
			return fmt.Errorf("predicate %s needs an integer", value.Print(p))
		}
	case "matches-regex":
		s, ok := arg.(value.String)
		if !ok {
			return fmt.Errorf("predicate %s needs a string", value.Print(p))
		}
		if _, err := compileRegex(string(s)); err != nil {
			return fmt.Errorf("predicate %s: %v", value.Print(p), err)
		}
	default:
		return fmt.Errorf("unknown predicate %s", value.Print(p))
	}
	return nil
}

// Check reports whether v has type t; t must have passed Validate.
func Check(t value.Value, v value.Value) bool {
	switch t := t.(type) {
	case value.Keyword:
		f := scalars[t]
		return f != nil && f(v)
	case *value.Vector:
		head := t.Index(0).(value.Keyword)
		args := t.Slice()[1:]
		switch head {
		case "vector", "list":
			if string(head) != v.Kind().String() {
				return false
			}
			return all(v.(value.Sequential), args[0])
		case "set":
			s, ok := v.(*value.Set)
			if !ok {
				return false
			}
			good := true
			s.EachUnordered(func(x value.Value) bool { good = Check(args[0], x); return good })
			return good
		case "map-of":
			m, ok := v.(*value.Map)
			if !ok {
				return false
			}
			good := true
			m.EachUnordered(func(k, x value.Value) bool { good = Check(args[0], k) && Check(args[1], x); return good })
			return good
		case "tuple":
			s, ok := v.(value.Sequential)
			if !ok || s.Len() != len(args) {
				return false
			}
			for i, x := range s.Slice() {
				if !Check(args[i], x) {
					return false
				}
			}
			return true
		case "union":
			for _, a := range args {
				if Check(a, v) {
					return true
				}
			}
			return false
		case "enum":
			for _, a := range args {
				if value.Equal(a, v) {
					return true
				}
			}
			return false
		case "map":
			m, ok := v.(*value.Map)
			if !ok {
				return false
			}
			for _, a := range args {
				e := a.(*value.Vector)
				x, present := m.Get(e.Index(0))
				if !present {
					if e.Len() == 3 {
						continue
					}
					return false
				}
				if !Check(e.Index(1), x) {
					return false
				}
			}
			return true
		case "and":
			if !Check(args[0], v) {
				return false
			}
			for _, p := range args[1:] {
				if !holds(p.(*value.Vector), v) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func all(s value.Sequential, t value.Value) bool {
	good := true
	s.Each(func(x value.Value) bool { good = Check(t, x); return good })
	return good
}

func holds(p *value.Vector, v value.Value) bool {
	op := p.Index(0).(value.Keyword)
	arg := p.Index(1)
	switch op {
	case ">", ">=", "<", "<=":
		if !isNumber(v) {
			return false
		}
		c, ok := compareNumbers(v, arg)
		if !ok {
			return false
		}
		switch op {
		case ">":
			return c > 0
		case ">=":
			return c >= 0
		case "<":
			return c < 0
		}
		return c <= 0
	case "min-length", "max-length":
		n, ok := length(v)
		if !ok {
			return false
		}
		if op == "min-length" {
			return n >= int64(arg.(value.Int))
		}
		return n <= int64(arg.(value.Int))
	case "matches-regex":
		s, ok := v.(value.String)
		if !ok {
			return false
		}
		re, err := compileRegex(string(arg.(value.String)))
		return err == nil && re.MatchString(string(s))
	}
	return false
}

// compareNumbers compares by numeric value (1 and 1.0 are equal here); NaN compares
// with nothing.
func compareNumbers(a, b value.Value) (int, bool) {
	if x, ok := a.(value.Int); ok {
		if y, ok := b.(value.Int); ok {
			return value.Compare(x, y), true
		}
	}
	x, y := toFloat(a), toFloat(b)
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	return 0, false
}

func toFloat(v value.Value) float64 {
	switch v := v.(type) {
	case value.Int:
		return float64(v)
	case value.Float:
		return float64(v)
	}
	return 0
}

func length(v value.Value) (int64, bool) {
	switch v := v.(type) {
	case value.String:
		return int64(utf8.RuneCountInString(string(v))), true
	case value.Sequential:
		return int64(v.Len()), true
	case *value.Map:
		return int64(v.Len()), true
	case *value.Set:
		return int64(v.Len()), true
	}
	return 0, false
}

var regexCache sync.Map // string -> *regexp.Regexp

func compileRegex(s string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(s); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	regexCache.Store(s, re)
	return re, nil
}
