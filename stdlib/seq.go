package stdlib

import (
	"math"
	"unicode/utf8"

	"github.com/rtfsvm/rtfsvm/value"
)

var seqFns = []*value.Builtin{
	fn("seq", 1, 1, func(c Caller, a []Value) (Value, error) {
		if v, ok := a[0].(*value.Vector); ok && v.Len() > 0 {
			return v, nil
		}
		return nonEmpty(seqOf(c, "seq", a[0]))
	}),
	fn("first", 1, 1, func(c Caller, a []Value) (Value, error) { return elemAt(c, "first", a[0], 0) }),
	fn("second", 1, 1, func(c Caller, a []Value) (Value, error) { return elemAt(c, "second", a[0], 1) }),
	fn("last", 1, 1, lastFn),
	fn("rest", 1, 1, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "rest", a[0])
		if len(xs) > 0 {
			xs = xs[1:]
		}
		return vec(xs), err
	}),
	fn("next", 1, 1, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "next", a[0])
		if len(xs) > 0 {
			xs = xs[1:]
		}
		return nonEmpty(xs, err)
	}),
	fn("nth", 2, 3, nthFn),
	fn("cons", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "cons", a[1])
		return vec(append([]Value{a[0]}, xs...)), err
	}),
	fn("concat", 0, variadic, func(c Caller, a []Value) (Value, error) {
		xss, err := seqsOf(c, "concat", a)
		var out []Value
		for _, xs := range xss {
			out = append(out, xs...)
		}
		return vec(out), err
	}),
	fn("take", 2, 2, takeFn),
	fn("drop", 2, 2, func(c Caller, a []Value) (Value, error) {
		n, err := intArg("drop", a[0])
		if err != nil {
			return nil, err
		}
		xs, err := seqOf(c, "drop", a[1])
		return vec(xs[clamp(n, len(xs)):]), err
	}),
	fn("take-while", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, i, err := splitWhile(c, "take-while", a)
		return vec(xs[:i]), err
	}),
	fn("drop-while", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, i, err := splitWhile(c, "drop-while", a)
		return vec(xs[i:]), err
	}),
	fn("reverse", 1, 1, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "reverse", a[0])
		for i, j := 0, len(xs)-1; i < j; i, j = i+1, j-1 {
			xs[i], xs[j] = xs[j], xs[i]
		}
		return vec(xs), err
	}),
	fn("sort", 1, 2, sortFn),
	fn("sort-by", 2, 3, sortBy),
	fn("distinct", 1, 1, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "distinct", a[0])
		out, seen := xs[:0], value.EmptySet
		for _, x := range xs {
			if !seen.Has(x) {
				seen = seen.Conj(x)
				out = append(out, x)
			}
		}
		return vec(out), err
	}),
	fn("range", 0, 3, rangeFn),
	fn("repeat", 2, 2, func(c Caller, a []Value) (Value, error) {
		n, err := intArg("repeat", a[0])
		if err != nil {
			return nil, err
		}
		n = max(n, 0)
		if err := alloc(c, n); err != nil {
			return nil, err
		}
		xs := make([]Value, n)
		for i := range xs {
			xs[i] = a[1]
		}
		return vec(xs), nil
	}),
	fn("partition", 2, 4, partition),
	fn("flatten", 1, 1, flatten),
	fn("interleave", 0, variadic, func(c Caller, a []Value) (Value, error) {
		xss, err := seqsOf(c, "interleave", a)
		if err != nil || len(xss) == 0 {
			return value.EmptyVector, err
		}
		n := len(xss[0])
		for _, xs := range xss {
			n = min(n, len(xs))
		}
		out := make([]Value, 0, n*len(xss))
		for i := 0; i < n; i++ {
			for _, xs := range xss {
				out = append(out, xs[i])
			}
		}
		return vec(out), nil
	}),
	fn("subvec", 2, 3, subvec),
}

// nonEmpty is the result of seq and next: nil instead of an empty vector.
func nonEmpty(xs []Value, err error) (Value, error) {
	if err != nil || len(xs) == 0 {
		return value.Nil, err
	}
	return vec(xs), nil
}

func clamp(n, hi int) int { return min(max(n, 0), hi) }

// nth looks up index i of a vector, list or string without copying it; other
// seqables (sets, maps) go through seqOf. ok is false when i is out of range.
func nth(c Caller, fn string, coll Value, i int) (v Value, ok bool, err error) {
	switch s := coll.(type) {
	case value.NilType:
		return nil, false, nil
	case *value.Vector:
		if i >= 0 && i < s.Len() {
			return s.Index(i), true, nil
		}
		return nil, false, nil
	case *value.List:
		if i < 0 || i >= s.Len() {
			return nil, false, nil
		}
		if err := charge(c, i); err != nil {
			return nil, false, err
		}
		for ; i > 0; i-- {
			s = s.Rest()
		}
		return s.First(), true, nil
	case value.String:
		v, ok := runeAt(string(s), i)
		return v, ok, charge(c, min(max(i, 0), len(s)))
	}
	xs, err := seqOf(c, fn, coll)
	if err != nil || i < 0 || i >= len(xs) {
		return nil, false, err
	}
	return xs[i], true, nil
}

func elemAt(c Caller, fn string, coll Value, i int) (Value, error) {
	v, ok, err := nth(c, fn, coll, i)
	if !ok {
		v = value.Nil
	}
	return v, err
}

func nthFn(c Caller, a []Value) (Value, error) {
	i, err := intArg("nth", a[1])
	if err != nil {
		return nil, err
	}
	switch a[0].(type) {
	case value.NilType, *value.Vector, *value.List, value.String:
	default:
		return nil, value.TypeError("nth", "a vector, list or string", a[0])
	}
	v, ok, err := nth(c, "nth", a[0], i)
	switch {
	case err != nil || ok:
		return v, err
	case len(a) == 3:
		return a[2], nil
	}
	n, _ := count("nth", a[0])
	return nil, indexError("nth", i, n)
}

func lastFn(c Caller, a []Value) (Value, error) {
	switch s := a[0].(type) {
	case *value.Vector:
		if s.Len() == 0 {
			return value.Nil, nil
		}
		return s.Index(s.Len() - 1), nil
	case value.String:
		if s == "" {
			return value.Nil, nil
		}
		r, _ := utf8.DecodeLastRuneInString(string(s))
		return value.String(string(r)), nil
	}
	xs, err := seqOf(c, "last", a[0])
	if err != nil || len(xs) == 0 {
		return value.Nil, err
	}
	return xs[len(xs)-1], nil
}

func takeFn(c Caller, a []Value) (Value, error) {
	n, err := intArg("take", a[0])
	if err != nil {
		return nil, err
	}
	// A vector is read only as far as needed: (take 3 big) is cheap.
	if v, ok := a[1].(*value.Vector); ok {
		n = clamp(n, v.Len())
		xs := make([]Value, n)
		for i := range xs {
			xs[i] = v.Index(i)
		}
		return vec(xs), charge(c, n)
	}
	xs, err := seqOf(c, "take", a[1])
	return vec(xs[:clamp(n, len(xs))]), err
}

// splitWhile returns the elements of a[1] and the index of the first one for which the
// predicate a[0] is falsy.
func splitWhile(c Caller, fn string, a []Value) ([]Value, int, error) {
	xs, err := seqOf(c, fn, a[1])
	if err != nil {
		return nil, 0, err
	}
	for i, x := range xs {
		ok, err := truthyCall(c, a[0], x)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return xs, i, nil
		}
	}
	return xs, len(xs), nil
}

// mergeSort sorts stably. Which comparisons it makes depends only on the length of the
// input, so a comparator function is called the same way on every run and every engine.
func mergeSort[T any](xs []T, less func(a, b T) (bool, error)) error {
	buf := make([]T, len(xs))
	var sortRange func(lo, hi int) error
	sortRange = func(lo, hi int) error {
		if hi-lo < 2 {
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := sortRange(lo, mid); err != nil {
			return err
		}
		if err := sortRange(mid, hi); err != nil {
			return err
		}
		copy(buf[lo:hi], xs[lo:hi])
		i, j, k := lo, mid, lo
		for ; i < mid && j < hi; k++ {
			// Take from the right run only when strictly less: equal elements keep their order.
			l, err := less(buf[j], buf[i])
			if err != nil {
				return err
			}
			if l {
				xs[k], j = buf[j], j+1
			} else {
				xs[k], i = buf[i], i+1
			}
		}
		copy(xs[k:], buf[i:mid]) // what is left of the right run is already in place
		return nil
	}
	return sortRange(0, len(xs))
}

func naturalLess(a, b Value) (bool, error) { return value.Compare(a, b) < 0, nil }

// comparatorLess turns a comparator function into less: it may return a number
// (negative means less, as in compare) or a boolean (a predicate such as <).
func comparatorLess(c Caller, fn string, f Value) func(a, b Value) (bool, error) {
	return func(a, b Value) (bool, error) {
		r, err := call(c, f, a, b)
		if err != nil {
			return false, err
		}
		switch r := r.(type) {
		case value.Bool:
			return bool(r), nil
		case value.Int:
			return r < 0, nil
		case value.Float:
			return r < 0, nil
		}
		return false, value.TypeError(fn, "a comparator result (number or boolean)", r)
	}
}

func sortFn(c Caller, a []Value) (Value, error) {
	less, coll := naturalLess, a[len(a)-1]
	if len(a) == 2 {
		less = comparatorLess(c, "sort", a[0])
	}
	xs, err := seqOf(c, "sort", coll)
	if err != nil {
		return nil, err
	}
	if err := charge(c, sortCost(len(xs))); err != nil {
		return nil, err
	}
	if err := mergeSort(xs, less); err != nil {
		return nil, err
	}
	return vec(xs), nil
}

func sortBy(c Caller, a []Value) (Value, error) {
	less := naturalLess
	if len(a) == 3 {
		less = comparatorLess(c, "sort-by", a[1])
	}
	xs, err := seqOf(c, "sort-by", a[len(a)-1])
	if err != nil {
		return nil, err
	}
	if err := charge(c, sortCost(len(xs))); err != nil {
		return nil, err
	}
	type keyed struct{ k, x Value }
	ks := make([]keyed, len(xs))
	for i, x := range xs {
		k, err := call(c, a[0], x)
		if err != nil {
			return nil, err
		}
		ks[i] = keyed{k, x}
	}
	if err := mergeSort(ks, func(p, q keyed) (bool, error) { return less(p.k, q.k) }); err != nil {
		return nil, err
	}
	for i, p := range ks {
		xs[i] = p.x
	}
	return vec(xs), nil
}

func rangeFn(c Caller, a []Value) (Value, error) {
	if len(a) == 0 {
		return nil, invalid("range", "(range) without an end would be infinite; sequences are not lazy")
	}
	start, end, step := Value(value.Int(0)), a[0], Value(value.Int(1))
	switch len(a) {
	case 2:
		start, end = a[0], a[1]
	case 3:
		start, end, step = a[0], a[1], a[2]
	}
	s, ok1 := start.(value.Int)
	e, ok2 := end.(value.Int)
	st, ok3 := step.(value.Int)
	if ok1 && ok2 && ok3 {
		return intRange(c, int64(s), int64(e), int64(st))
	}
	var fs [3]float64
	for i, v := range []Value{start, end, step} {
		var err error
		if fs[i], err = floatOf("range", v); err != nil {
			return nil, err
		}
	}
	return floatRange(c, fs[0], fs[1], fs[2])
}

func intRange(c Caller, s, e, st int64) (Value, error) {
	var n uint64 // computed in uint64 so that no difference overflows
	switch {
	case st == 0:
		return nil, invalid("range", "step must not be 0")
	case st > 0 && e > s:
		n = (uint64(e)-uint64(s)-1)/uint64(st) + 1
	case st < 0 && e < s:
		n = (uint64(s)-uint64(e)-1)/(-uint64(st)) + 1
	}
	if err := alloc(c, int(min(n, math.MaxInt64))); err != nil {
		return nil, err
	}
	xs := make([]Value, n)
	for i, x := 0, s; i < len(xs); i, x = i+1, x+st {
		xs[i] = value.Int(x)
	}
	return vec(xs), nil
}

// floatRange adds the step repeatedly, as Clojure does.
func floatRange(c Caller, s, e, st float64) (Value, error) {
	if st == 0 || math.IsNaN(s) || math.IsNaN(e) || math.IsNaN(st) {
		return nil, invalid("range", "bounds must be numbers and the step must not be 0")
	}
	inRange := func(x float64) bool { return st > 0 && x < e || st < 0 && x > e }
	if !inRange(s) {
		return value.EmptyVector, nil
	}
	est := math.Ceil((e - s) / st) // rounding of the additions can make it off by a few
	if err := alloc(c, int(min(est, MaxElems+1))); err != nil {
		return nil, err
	}
	var xs []Value
	for x := s; inRange(x); {
		if len(xs) >= int(est) {
			if err := alloc(c, 1); err != nil {
				return nil, err
			}
		}
		xs = append(xs, value.Float(x))
		next := x + st
		if next == x {
			return nil, invalid("range", "step %s is too small to advance from %s", value.FormatFloat(st), value.FormatFloat(x))
		}
		x = next
	}
	return vec(xs), nil
}

func partition(c Caller, a []Value) (Value, error) {
	n, err := intArg("partition", a[0])
	if err != nil {
		return nil, err
	}
	step := n
	if len(a) >= 3 {
		if step, err = intArg("partition", a[1]); err != nil {
			return nil, err
		}
	}
	if n <= 0 || step <= 0 {
		return nil, invalid("partition", "size and step must be positive")
	}
	var pad []Value
	padded := len(a) == 4 // even a nil pad keeps the short last group, as in Clojure
	if padded {
		if pad, err = seqOf(c, "partition", a[2]); err != nil {
			return nil, err
		}
	}
	xs, err := seqOf(c, "partition", a[len(a)-1])
	if err != nil {
		return nil, err
	}
	var groups []Value
	for i := 0; i < len(xs); i += step {
		g := xs[i:]
		if len(g) > n {
			g = g[:n]
		}
		short := len(g) < n
		if short {
			if !padded {
				break
			}
			g = append(append([]Value(nil), g...), pad[:min(n-len(g), len(pad))]...)
		}
		if err := charge(c, len(g)); err != nil {
			return nil, err
		}
		groups = append(groups, vec(g))
		if short || step >= len(xs)-i {
			break // padded groups end the partition; a huge step must not overflow i
		}
	}
	return vec(groups), nil
}

// flatten follows Clojure: lists and vectors are opened at any depth; anything else,
// including maps and sets, is a leaf; a non-sequential argument gives [].
func flatten(c Caller, a []Value) (Value, error) {
	var out []Value
	var walk func(s value.Sequential) error
	walk = func(s value.Sequential) error {
		if err := charge(c, s.Len()); err != nil {
			return err
		}
		var err error
		s.Each(func(x Value) bool {
			if sub, ok := x.(value.Sequential); ok {
				err = walk(sub)
				return err == nil
			}
			out = append(out, x)
			return true
		})
		return err
	}
	if s, ok := a[0].(value.Sequential); ok {
		if err := walk(s); err != nil {
			return nil, err
		}
	}
	return vec(out), nil
}

func subvec(c Caller, a []Value) (Value, error) {
	v, ok := a[0].(*value.Vector)
	if !ok {
		return nil, value.TypeError("subvec", "a vector", a[0])
	}
	start, err := intArg("subvec", a[1])
	if err != nil {
		return nil, err
	}
	end := v.Len()
	if len(a) == 3 {
		if end, err = intArg("subvec", a[2]); err != nil {
			return nil, err
		}
	}
	if start < 0 || end > v.Len() || start > end {
		return nil, value.Errorf(value.ErrIndex, "subvec: [%d, %d) out of range for length %d", start, end, v.Len())
	}
	xs := make([]Value, end-start)
	for i := range xs {
		xs[i] = v.Index(start + i)
	}
	return vec(xs), charge(c, len(xs))
}
