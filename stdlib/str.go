package stdlib

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

var stringFns = []*value.Builtin{
	fn("str", 0, variadic, func(c Caller, a []Value) (Value, error) { return joinStr(c, "", a) }),
	fn("pr-str", 0, variadic, func(c Caller, a []Value) (Value, error) {
		parts := make([]Value, len(a))
		for i, v := range a {
			parts[i] = value.String(value.Print(v))
		}
		return joinStr(c, " ", parts)
	}),
	fn("subs", 2, 3, subs),
	fn("string-length", 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := strArg("string-length", a[0])
		if err != nil {
			return nil, err
		}
		return value.Int(utf8.RuneCountInString(s)), charge(c, len(s))
	}),
	strFn("upper-case", strings.ToUpper),
	strFn("lower-case", strings.ToLower),
	strFn("trim", strings.TrimSpace),
	fn("split", 2, 3, split),
	fn("join", 1, 2, join),
	strTest("starts-with?", strings.HasPrefix),
	strTest("ends-with?", strings.HasSuffix),
	strTest("includes?", strings.Contains),
	fn("replace", 3, 3, replace),
	fn("re-find", 2, 2, reFn("re-find", false, func(re *regexp.Regexp, s string) [][]int {
		if m := re.FindStringSubmatchIndex(s); m != nil {
			return [][]int{m}
		}
		return nil
	})),
	fn("re-matches", 2, 2, reFn("re-matches", true, func(re *regexp.Regexp, s string) [][]int {
		if m := re.FindStringSubmatchIndex(s); m != nil {
			return [][]int{m}
		}
		return nil
	})),
	fn("re-seq", 2, 2, reFn("re-seq", false, func(re *regexp.Regexp, s string) [][]int {
		return re.FindAllStringSubmatchIndex(s, -1)
	})),
	fn("format", 1, variadic, format),
	fn("parse-int", 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := strArg("parse-int", a[0])
		if err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return value.Int(n), nil
		}
		return value.Nil, nil
	}),
	fn("parse-float", 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := strArg("parse-float", a[0])
		if err != nil {
			return nil, err
		}
		// ParseFloat also takes "inf", "nan" and hex floats, which are not RTFS numbers;
		// out-of-range text becomes ±Inf, as Java's Double.parseDouble does.
		if s == "" || strings.ContainsAny(s, "nNxXiI_") {
			return value.Nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return value.Nil, nil
		}
		return value.Float(f), nil
	}),
	fn("name", 1, 1, func(_ Caller, a []Value) (Value, error) {
		switch v := a[0].(type) {
		case value.String:
			return v, nil
		case value.Keyword:
			return value.String(localName(string(v))), nil
		case value.Symbol:
			return value.String(localName(string(v))), nil
		}
		return nil, value.TypeError("name", "a string, keyword or symbol", a[0])
	}),
	fn("keyword", 1, 2, named("keyword", func(s string) Value { return value.Keyword(s) })),
	fn("symbol", 1, 2, named("symbol", func(s string) Value { return value.Symbol(s) })),
}

func strFn(name string, f func(string) string) *value.Builtin {
	return fn(name, 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := strArg(name, a[0])
		if err != nil {
			return nil, err
		}
		return value.String(f(s)), charge(c, len(s))
	})
}

func strTest(name string, f func(s, t string) bool) *value.Builtin {
	return fn(name, 2, 2, func(c Caller, a []Value) (Value, error) {
		s, err := strArg(name, a[0])
		if err != nil {
			return nil, err
		}
		t, err := strArg(name, a[1])
		if err != nil {
			return nil, err
		}
		return value.FromBool(f(s, t)), charge(c, len(s))
	})
}

// joinStr concatenates the values as str does, with sep between them. The pieces are
// measured and metered first: they may all share one long string.
func joinStr(c Caller, sep string, vs []Value) (Value, error) {
	if len(sep) > 0 && len(vs) > maxBytes/len(sep) {
		return nil, memoryLimit()
	}
	parts := make([]string, len(vs))
	size := len(sep) * max(len(vs)-1, 0)
	for i, v := range vs {
		parts[i] = value.Str(v)
		if size += len(parts[i]); size > maxBytes {
			return nil, memoryLimit()
		}
	}
	if err := c.Allocate(int64(size)); err != nil {
		return nil, err
	}
	if err := charge(c, size); err != nil {
		return nil, err
	}
	return value.String(strings.Join(parts, sep)), nil
}

// localName is the part of a keyword or symbol after its namespace (the first '/').
func localName(s string) string {
	if _, name, ok := strings.Cut(s, "/"); ok && name != "" {
		return name
	}
	return s
}

// named is keyword and symbol: (keyword "a"), (keyword :a), (keyword "ns" "a").
func named(fn string, mk func(string) Value) fnImpl {
	return func(_ Caller, a []Value) (Value, error) {
		parts := make([]string, len(a))
		for i, v := range a {
			switch v := v.(type) {
			case value.String:
				parts[i] = string(v)
			case value.Keyword:
				parts[i] = string(v)
			case value.Symbol:
				parts[i] = string(v)
			case value.NilType:
				if len(a) == 1 {
					return value.Nil, nil
				}
				if i == 0 {
					continue // (keyword nil "a") has no namespace
				}
				return nil, value.TypeError(fn, "a string", v)
			default:
				return nil, value.TypeError(fn, "a string", v)
			}
		}
		if len(a) == 2 && parts[0] != "" {
			return mk(parts[0] + "/" + parts[1]), nil
		}
		return mk(parts[len(parts)-1]), nil
	}
}

func subs(c Caller, a []Value) (Value, error) {
	s, err := strArg("subs", a[0])
	if err != nil {
		return nil, err
	}
	if err := charge(c, len(s)); err != nil {
		return nil, err
	}
	n := utf8.RuneCountInString(s)
	start, err := intArg("subs", a[1])
	if err != nil {
		return nil, err
	}
	end := n
	if len(a) == 3 {
		if end, err = intArg("subs", a[2]); err != nil {
			return nil, err
		}
	}
	if start < 0 || end > n || start > end {
		return nil, value.Errorf(value.ErrIndex, "subs: [%d, %d) out of range for length %d", start, end, n)
	}
	// Turn code point offsets into byte offsets.
	bstart, bend, i := len(s), len(s), 0
	for off := range s {
		if i == start {
			bstart = off
		}
		if i == end {
			bend = off
			break
		}
		i++
	}
	return value.String(s[bstart:bend]), nil
}

func split(c Caller, a []Value) (Value, error) {
	s, err := strArg("split", a[0])
	if err != nil {
		return nil, err
	}
	sep, err := strArg("split", a[1])
	if err != nil {
		return nil, err
	}
	limit := -1
	if len(a) == 3 {
		if limit, err = intArg("split", a[2]); err != nil {
			return nil, err
		}
		if limit <= 0 {
			limit = -1
		}
	}
	if err := charge(c, len(s)); err != nil {
		return nil, err
	}
	parts := strings.SplitN(s, sep, limit)
	xs := make([]Value, len(parts))
	for i, p := range parts {
		xs[i] = value.String(p)
	}
	return vec(xs), nil
}

// join takes Clojure's order, (join coll) or (join sep coll). (join coll sep) with a
// string separator, as upstream RTFS writes it, means nothing useful in Clojure, so it
// is read the upstream way.
func join(c Caller, a []Value) (Value, error) {
	sep, coll := "", a[len(a)-1]
	if len(a) == 2 {
		s, isStr := a[1].(value.String)
		if isStr && isColl(a[0]) {
			sep, coll = string(s), a[0]
		} else {
			sep = value.Str(a[0])
		}
	}
	xs, err := seqOf(c, "join", coll)
	if err != nil {
		return nil, err
	}
	return joinStr(c, sep, xs)
}

func replace(c Caller, a []Value) (Value, error) {
	var s [3]string
	for i := range s {
		var err error
		if s[i], err = strArg("replace", a[i]); err != nil {
			return nil, err
		}
	}
	// Meter the result before building it: replacing "" in a long string multiplies it.
	size := len(s[0])
	if n, grow := strings.Count(s[0], s[1]), len(s[2])-len(s[1]); grow > 0 {
		if n > (maxBytes-size)/grow {
			return nil, memoryLimit()
		}
		size += n * grow
	}
	if err := c.Allocate(int64(size)); err != nil {
		return nil, err
	}
	if err := charge(c, size); err != nil {
		return nil, err
	}
	return value.String(strings.ReplaceAll(s[0], s[1], s[2])), nil
}

// regexps caches compiled patterns: plans tend to use a few patterns many times.
var regexps struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

func compileRE(fn, pattern string, whole bool) (*regexp.Regexp, error) {
	key := pattern
	if whole {
		// re-matches must match the whole string even where leftmost-first matching
		// would stop early (a|ab on "ab").
		key = `^(?:` + pattern + `)\z`
	}
	regexps.Lock()
	re, ok := regexps.m[key]
	regexps.Unlock()
	if ok {
		return re, nil
	}
	if _, err := regexp.Compile(pattern); err != nil { // report errors in the user's pattern
		return nil, invalid(fn, "bad regular expression: %v", err)
	}
	re, err := regexp.Compile(key)
	if err != nil {
		return nil, invalid(fn, "bad regular expression: %v", err)
	}
	regexps.Lock()
	if regexps.m == nil || len(regexps.m) >= 256 {
		regexps.m = map[string]*regexp.Regexp{} // crude, but bounds the cache
	}
	regexps.m[key] = re
	regexps.Unlock()
	return re, nil
}

// reFn builds re-find, re-matches and re-seq, which differ in how they search; a match
// is the matched string, or a vector of it and its groups when the pattern has groups.
func reFn(fn string, whole bool, find func(*regexp.Regexp, string) [][]int) fnImpl {
	return func(c Caller, a []Value) (Value, error) {
		pattern, err := strArg(fn, a[0])
		if err != nil {
			return nil, err
		}
		s, err := strArg(fn, a[1])
		if err != nil {
			return nil, err
		}
		if err := charge(c, len(pattern)+len(s)); err != nil {
			return nil, err
		}
		re, err := compileRE(fn, pattern, whole)
		if err != nil {
			return nil, err
		}
		ms := find(re, s)
		out := make([]Value, len(ms))
		for i, m := range ms {
			if len(m) == 2 {
				out[i] = value.String(s[m[0]:m[1]])
				continue
			}
			groups := make([]Value, len(m)/2)
			for g := range groups {
				groups[g] = value.Nil // a group that did not take part
				if m[2*g] >= 0 {
					groups[g] = value.String(s[m[2*g]:m[2*g+1]])
				}
			}
			out[i] = vec(groups)
		}
		if fn == "re-seq" {
			return vec(out), nil
		}
		if len(out) == 0 {
			return value.Nil, nil
		}
		return out[0], nil
	}
}

// format implements the printf verbs %s %d %f %x %X %% and %n, with Java's flags
// (- + space 0 #), width and precision.
func format(c Caller, a []Value) (Value, error) {
	f, err := strArg("format", a[0])
	if err != nil {
		return nil, err
	}
	args := a[1:]
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("-+ 0#", f[j]) >= 0 {
			j++
		}
		flags := f[i+1 : j]
		width, j := digitsAt(f, j)
		prec := ""
		if j < len(f) && f[j] == '.' {
			prec, j = digitsAt(f, j+1)
			prec = "." + prec
		}
		if j >= len(f) {
			return nil, invalid("format", "incomplete format specifier %q", f[i:])
		}
		verb := f[j]
		spec := f[i:j]
		i = j
		// Bound the padding a format may ask for: "%999999999d" must not allocate a gigabyte.
		w, _ := strconv.Atoi("0" + width)
		p, _ := strconv.Atoi("0" + strings.TrimPrefix(prec, "."))
		if len(width) > 5 || len(prec) > 6 || w+p > 10000 {
			return nil, invalid("format", "width or precision too large in %q", spec+string(verb))
		}
		if err := charge(c, w+p); err != nil {
			return nil, err
		}
		switch verb {
		case '%':
			b.WriteByte('%')
			continue
		case 'n':
			b.WriteByte('\n')
			continue
		}
		if len(args) == 0 {
			return nil, invalid("format", "no argument left for %q", spec+string(verb))
		}
		arg := args[0]
		args = args[1:]
		spec = "%" + flags + width + prec
		switch verb {
		case 's':
			fmt.Fprintf(&b, spec+"s", value.Str(arg))
		case 'd', 'x', 'X':
			n, ok := arg.(value.Int)
			if !ok {
				return nil, value.TypeError("format", "an integer for %"+string(verb), arg)
			}
			if verb == 'd' {
				fmt.Fprintf(&b, spec+"d", int64(n))
			} else {
				fmt.Fprintf(&b, spec+string(verb), uint64(n)) // two's complement, as Java prints it
			}
		case 'f':
			x, err := floatOf("format", arg)
			if err != nil {
				return nil, err
			}
			if prec == "" {
				p = 6
			}
			b.WriteString(padNumber(flags, w, fixed(x, p), math.Signbit(x) && !math.IsNaN(x)))
		default:
			return nil, invalid("format", "unsupported verb %q", spec+string(verb))
		}
	}
	return value.String(b.String()), charge(c, b.Len())
}

// digitsAt returns the run of decimal digits of s starting at i and where it ends.
func digitsAt(s string, i int) (string, int) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return s[i:j], j
}

// fixed writes |x| with prec digits after the point. It rounds the shortest decimal form
// of x half up, as Java's Formatter (and so Clojure's format) does: (format "%.1f" 0.15)
// is "0.2" and (format "%.2f" 2.675) is "2.68", though neither is a tie in binary.
func fixed(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 0):
		return "Infinity"
	}
	mant, expText, _ := strings.Cut(strconv.FormatFloat(math.Abs(x), 'e', -1, 64), "e")
	digits := []byte(strings.Replace(mant, ".", "", 1))
	exp, _ := strconv.Atoi(expText)
	point := exp + 1 // the value is 0.digits times 10**point
	if x == 0 {
		digits, point = nil, 1
	}
	if keep := point + prec; keep < len(digits) {
		up := keep >= 0 && digits[keep] >= '5'
		digits = digits[:max(keep, 0)]
		if up {
			i := len(digits) - 1
			for ; i >= 0 && digits[i] == '9'; i-- {
				digits[i] = '0'
			}
			if i >= 0 {
				digits[i]++
			} else {
				digits, point = append([]byte{'1'}, digits...), point+1
			}
		}
	}
	var intPart, frac string
	switch {
	case point <= 0:
		intPart, frac = "0", strings.Repeat("0", -point)+string(digits)
	case point >= len(digits):
		intPart = string(digits) + strings.Repeat("0", point-len(digits))
	default:
		intPart, frac = string(digits[:point]), string(digits[point:])
	}
	if len(frac) < prec {
		frac += strings.Repeat("0", prec-len(frac))
	}
	if prec == 0 {
		return intPart
	}
	return intPart + "." + frac[:prec]
}

// padNumber adds the sign and the padding that the flags (- + space 0) and width ask for.
func padNumber(flags string, width int, digits string, negative bool) string {
	sign := ""
	switch {
	case negative:
		sign = "-"
	case strings.Contains(flags, "+"):
		sign = "+"
	case strings.Contains(flags, " "):
		sign = " "
	}
	pad := width - len(sign) - len(digits)
	switch {
	case pad <= 0:
		return sign + digits
	case strings.Contains(flags, "-"):
		return sign + digits + strings.Repeat(" ", pad)
	case strings.Contains(flags, "0") && digits[0] >= '0' && digits[0] <= '9':
		return sign + strings.Repeat("0", pad) + digits
	}
	return strings.Repeat(" ", pad) + sign + digits
}
