package stdlib

import "github.com/rtfsvm/rtfsvm/value"

var hofFns = []*value.Builtin{
	fn("map", 2, variadic, mapFn("map")),
	fn("mapv", 2, variadic, mapFn("mapv")),
	fn("filter", 2, 2, filterFn("filter", true)),
	fn("remove", 2, 2, filterFn("remove", false)),
	fn("keep", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "keep", a[1])
		if err != nil {
			return nil, err
		}
		out := xs[:0]
		for _, x := range xs {
			y, err := call(c, a[0], x)
			if err != nil {
				return nil, err
			}
			if !value.IsNil(y) {
				out = append(out, y)
			}
		}
		return vec(out), nil
	}),
	fn("reduce", 2, 3, reduce),
	fn("apply", 2, variadic, func(c Caller, a []Value) (Value, error) {
		last, err := seqOf(c, "apply", a[len(a)-1])
		if err != nil {
			return nil, err
		}
		return call(c, a[0], append(append([]Value(nil), a[1:len(a)-1]...), last...)...)
	}),
	fn("map-indexed", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "map-indexed", a[1])
		if err != nil {
			return nil, err
		}
		for i, x := range xs {
			if xs[i], err = call(c, a[0], value.Int(i), x); err != nil {
				return nil, err
			}
		}
		return vec(xs), nil
	}),
	fn("some", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "some", a[1])
		if err != nil {
			return nil, err
		}
		for _, x := range xs {
			y, err := call(c, a[0], x)
			if err != nil || value.Truthy(y) {
				return y, err
			}
		}
		return value.Nil, nil
	}),
	fn("every?", 2, 2, func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, "every?", a[1])
		if err != nil {
			return nil, err
		}
		for _, x := range xs {
			if ok, err := truthyCall(c, a[0], x); err != nil || !ok {
				return value.False, err
			}
		}
		return value.True, nil
	}),
	identity,
	fn("comp", 0, variadic, comp),
	fn("partial", 1, variadic, func(_ Caller, a []Value) (Value, error) {
		f, bound := a[0], append([]Value(nil), a[1:]...)
		return closure(func(c Caller, args []Value) (Value, error) {
			return call(c, f, append(append([]Value(nil), bound...), args...)...)
		}), nil
	}),
	fn("constantly", 1, 1, func(_ Caller, a []Value) (Value, error) {
		x := a[0]
		return closure(func(Caller, []Value) (Value, error) { return x, nil }), nil
	}),
	fn("juxt", 1, variadic, func(_ Caller, a []Value) (Value, error) {
		fs := append([]Value(nil), a...)
		return closure(func(c Caller, args []Value) (Value, error) {
			out := make([]Value, len(fs))
			for i, f := range fs {
				var err error
				if out[i], err = call(c, f, args...); err != nil {
					return nil, err
				}
			}
			return vec(out), nil
		}), nil
	}),
}

var identity = fn("identity", 1, 1, func(_ Caller, a []Value) (Value, error) { return a[0], nil })

// closure is a function value made by comp, partial, constantly and juxt. It is
// anonymous and takes any number of arguments; the functions it calls check theirs.
func closure(f fnImpl) *value.Builtin { return fn("", 0, variadic, f) }

// mapFn is map and mapv: f over one collection, or over several in step, stopping at the
// shortest.
func mapFn(name string) fnImpl {
	return func(c Caller, a []Value) (Value, error) {
		xss, err := seqsOf(c, name, a[1:])
		if err != nil {
			return nil, err
		}
		n := len(xss[0])
		for _, xs := range xss {
			n = min(n, len(xs))
		}
		out := make([]Value, n)
		args := make([]Value, len(xss))
		for i := range out {
			for j, xs := range xss {
				args[j] = xs[i]
			}
			// The engine copies the arguments where the callee's frame starts, so args can
			// be reused for the next call.
			if out[i], err = call(c, a[0], args...); err != nil {
				return nil, err
			}
		}
		return vec(out), nil
	}
}

func filterFn(name string, keep bool) fnImpl {
	return func(c Caller, a []Value) (Value, error) {
		xs, err := seqOf(c, name, a[1])
		if err != nil {
			return nil, err
		}
		out := xs[:0]
		arg := make([]Value, 1)
		for _, x := range xs {
			arg[0] = x
			ok, err := truthyCall(c, a[0], arg...)
			if err != nil {
				return nil, err
			}
			if ok == keep {
				out = append(out, x)
			}
		}
		return vec(out), nil
	}
}

// reduce follows Clojure: without an initial value the first element is one, and an
// empty collection gives (f).
func reduce(c Caller, a []Value) (Value, error) {
	xs, err := seqOf(c, "reduce", a[len(a)-1])
	if err != nil {
		return nil, err
	}
	var acc Value
	switch {
	case len(a) == 3:
		acc = a[1]
	case len(xs) == 0:
		return call(c, a[0])
	default:
		acc, xs = xs[0], xs[1:]
	}
	args := make([]Value, 2) // reused: the engine does not keep arguments
	for _, x := range xs {
		args[0], args[1] = acc, x
		if acc, err = call(c, a[0], args...); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// comp composes right to left: the last function takes the arguments, each earlier one
// the result of the next. (comp) is identity.
func comp(_ Caller, a []Value) (Value, error) {
	switch len(a) {
	case 0:
		return identity, nil
	case 1:
		return a[0], nil
	}
	fs := append([]Value(nil), a...)
	return closure(func(c Caller, args []Value) (Value, error) {
		v, err := call(c, fs[len(fs)-1], args...)
		for i := len(fs) - 2; i >= 0 && err == nil; i-- {
			v, err = call(c, fs[i], v)
		}
		return v, err
	}), nil
}
