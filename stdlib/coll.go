package stdlib

import "github.com/rtfsvm/rtfsvm/value"

var collFns = []*value.Builtin{
	fn("list", 0, variadic, func(c Caller, a []Value) (Value, error) {
		return value.NewList(a...), charge(c, len(a))
	}),
	fn("vector", 0, variadic, func(c Caller, a []Value) (Value, error) {
		return value.NewVector(a), charge(c, len(a))
	}),
	fn("vec", 1, 1, vecFn),
	fn("hash-map", 0, variadic, hashMap),
	fn("set", 1, 1, setFn),
	fn("count", 1, 1, func(c Caller, a []Value) (Value, error) {
		if s, ok := a[0].(value.String); ok {
			if err := charge(c, len(s)); err != nil {
				return nil, err
			}
		}
		n, err := count("count", a[0])
		return value.Int(n), err
	}),
	fn("get", 2, 3, getFn),
	fn("get-in", 2, 3, getIn),
	fn("contains?", 2, 2, containsFn),
	fn("find", 2, 2, findFn),
	fn("assoc", 3, variadic, assocFn),
	fn("assoc-in", 3, 3, func(c Caller, a []Value) (Value, error) {
		ks, err := seqOf(c, "assoc-in", a[1])
		if err != nil {
			return nil, err
		}
		return updateIn(c, "assoc-in", a[0], ks, func(Value) (Value, error) { return a[2], nil })
	}),
	fn("dissoc", 1, variadic, dissocFn),
	fn("update", 3, variadic, func(c Caller, a []Value) (Value, error) {
		return updateIn(c, "update", a[0], a[1:2], updater(c, a[2], a[3:]))
	}),
	fn("update-in", 3, variadic, func(c Caller, a []Value) (Value, error) {
		ks, err := seqOf(c, "update-in", a[1])
		if err != nil {
			return nil, err
		}
		return updateIn(c, "update-in", a[0], ks, updater(c, a[2], a[3:]))
	}),
	fn("merge", 0, variadic, mergeFn),
	fn("keys", 1, 1, func(c Caller, a []Value) (Value, error) { return keysOrVals(c, "keys", a[0], true) }),
	fn("vals", 1, 1, func(c Caller, a []Value) (Value, error) { return keysOrVals(c, "vals", a[0], false) }),
	fn("select-keys", 2, 2, selectKeys),
	fn("zipmap", 2, 2, zipmap),
	fn("frequencies", 1, 1, frequencies),
	fn("group-by", 2, 2, groupBy),
	fn("conj", 0, variadic, conjFn),
	fn("into", 0, 2, intoFn),
	fn("empty", 1, 1, emptyFn),
}

func vecFn(c Caller, a []Value) (Value, error) {
	if v, ok := a[0].(*value.Vector); ok {
		return v, nil
	}
	xs, err := seqOf(c, "vec", a[0])
	return vec(xs), err
}

func setFn(c Caller, a []Value) (Value, error) {
	if s, ok := a[0].(*value.Set); ok {
		return s, nil
	}
	xs, err := seqOf(c, "set", a[0])
	if err != nil {
		return nil, err
	}
	return value.NewSet(xs...), nil
}

func hashMap(c Caller, a []Value) (Value, error) {
	if len(a)%2 != 0 {
		return nil, invalid("hash-map", "no value supplied for key %s", value.Print(a[len(a)-1]))
	}
	if err := charge(c, len(a)/2); err != nil {
		return nil, err
	}
	m := value.EmptyMap
	for i := 0; i < len(a); i += 2 {
		m = m.Assoc(a[i], a[i+1])
	}
	return m, nil
}

// lookup is get without a default: a map key, a set element, a vector or string index.
func lookup(coll, k Value) (Value, bool) {
	switch c := coll.(type) {
	case *value.Map:
		return c.Get(k)
	case *value.Set:
		if c.Has(k) {
			return k, true
		}
	case *value.Vector:
		if i, ok := k.(value.Int); ok && i >= 0 && i < value.Int(c.Len()) {
			return c.Index(int(i)), true
		}
	case value.String:
		if i, ok := k.(value.Int); ok && i >= 0 && i < value.Int(len(c)) {
			return runeAt(string(c), int(i))
		}
	}
	return nil, false
}

func orDefault(v Value, ok bool, a []Value, i int) Value {
	switch {
	case ok:
		return v
	case len(a) > i:
		return a[i]
	}
	return value.Nil
}

func getFn(_ Caller, a []Value) (Value, error) {
	v, ok := lookup(a[0], a[1])
	return orDefault(v, ok, a, 2), nil
}

func getIn(c Caller, a []Value) (Value, error) {
	ks, err := seqOf(c, "get-in", a[1])
	if err != nil {
		return nil, err
	}
	v := a[0]
	for _, k := range ks {
		var ok bool
		if v, ok = lookup(v, k); !ok {
			return orDefault(nil, false, a, 2), nil
		}
	}
	return v, nil
}

func containsFn(_ Caller, a []Value) (Value, error) {
	switch coll := a[0].(type) {
	case value.NilType:
		return value.False, nil
	case *value.Map, *value.Set, *value.Vector, value.String:
		_, ok := lookup(coll, a[1])
		return value.FromBool(ok), nil
	}
	return nil, value.TypeError("contains?", "a map, set, vector or string", a[0])
}

func findFn(_ Caller, a []Value) (Value, error) {
	switch coll := a[0].(type) {
	case value.NilType:
		return value.Nil, nil
	case *value.Map, *value.Vector:
		if v, ok := lookup(coll, a[1]); ok {
			return pair(a[1], v), nil
		}
		return value.Nil, nil
	}
	return nil, value.TypeError("find", "a map or vector", a[0])
}

// assoc1 sets one key of a map (nil counts as the empty map) or one index of a vector;
// a vector index may be its length, which appends.
func assoc1(fn string, coll, k, v Value) (Value, error) {
	switch c := coll.(type) {
	case value.NilType:
		return value.EmptyMap.Assoc(k, v), nil
	case *value.Map:
		return c.Assoc(k, v), nil
	case *value.Vector:
		i, ok := k.(value.Int)
		if !ok {
			return nil, value.TypeError(fn, "an integer index", k)
		}
		if i < 0 || i > value.Int(c.Len()) {
			return nil, indexError(fn, i, c.Len())
		}
		return c.Assoc(int(i), v), nil
	}
	return nil, value.TypeError(fn, "a map or vector", coll)
}

func assocFn(c Caller, a []Value) (Value, error) {
	kvs := a[1:]
	if len(kvs)%2 != 0 {
		return nil, invalid("assoc", "expects a value for every key")
	}
	if err := charge(c, len(kvs)/2); err != nil {
		return nil, err
	}
	m := a[0]
	for i := 0; i < len(kvs); i += 2 {
		var err error
		if m, err = assoc1("assoc", m, kvs[i], kvs[i+1]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func updater(c Caller, f Value, extra []Value) func(Value) (Value, error) {
	return func(old Value) (Value, error) {
		return call(c, f, append([]Value{old}, extra...)...)
	}
}

// updateIn replaces the value at the path ks by f of it, creating maps where the path
// is missing. An empty path stands for the key nil, as in Clojure.
func updateIn(c Caller, fn string, coll Value, ks []Value, f func(Value) (Value, error)) (Value, error) {
	if len(ks) == 0 {
		ks = []Value{value.Nil}
	}
	if err := charge(c, len(ks)); err != nil {
		return nil, err
	}
	old, ok := lookup(coll, ks[0])
	if !ok {
		old = value.Nil
	}
	var nv Value
	var err error
	if len(ks) == 1 {
		nv, err = f(old)
	} else {
		nv, err = updateIn(c, fn, old, ks[1:], f)
	}
	if err != nil {
		return nil, err
	}
	return assoc1(fn, coll, ks[0], nv)
}

func dissocFn(c Caller, a []Value) (Value, error) {
	switch m := a[0].(type) {
	case value.NilType:
		return value.Nil, nil
	case *value.Map:
		if err := charge(c, len(a)-1); err != nil {
			return nil, err
		}
		for _, k := range a[1:] {
			m = m.Dissoc(k)
		}
		return m, nil
	}
	return nil, value.TypeError("dissoc", "a map", a[0])
}

func mergeFn(c Caller, a []Value) (Value, error) {
	var acc Value = value.Nil
	for _, m := range a {
		switch {
		case value.IsNil(m):
		case value.IsNil(acc):
			if _, ok := m.(*value.Map); !ok {
				return nil, value.TypeError("merge", "a map", m)
			}
			acc = m
		default:
			var err error
			if acc, err = conj1(c, "merge", acc, m); err != nil {
				return nil, err
			}
		}
	}
	return acc, nil
}

func keysOrVals(c Caller, fn string, m Value, keys bool) (Value, error) {
	switch m := m.(type) {
	case value.NilType:
		return value.EmptyVector, nil
	case *value.Map:
		if err := charge(c, sortCost(m.Len())); err != nil {
			return nil, err
		}
		es := m.Entries()
		xs := make([]Value, len(es))
		for i, e := range es {
			xs[i] = e.Val
			if keys {
				xs[i] = e.Key
			}
		}
		return vec(xs), nil
	}
	return nil, value.TypeError(fn, "a map", m)
}

func selectKeys(c Caller, a []Value) (Value, error) {
	switch a[0].(type) {
	case value.NilType, *value.Map, *value.Vector:
	default:
		return nil, value.TypeError("select-keys", "a map", a[0])
	}
	ks, err := seqOf(c, "select-keys", a[1])
	if err != nil {
		return nil, err
	}
	m := value.EmptyMap
	for _, k := range ks {
		if v, ok := lookup(a[0], k); ok {
			m = m.Assoc(k, v)
		}
	}
	return m, nil
}

func zipmap(c Caller, a []Value) (Value, error) {
	xss, err := seqsOf(c, "zipmap", a)
	if err != nil {
		return nil, err
	}
	m := value.EmptyMap
	for i := 0; i < len(xss[0]) && i < len(xss[1]); i++ {
		m = m.Assoc(xss[0][i], xss[1][i])
	}
	return m, nil
}

func frequencies(c Caller, a []Value) (Value, error) {
	xs, err := seqOf(c, "frequencies", a[0])
	if err != nil {
		return nil, err
	}
	m := value.EmptyMap
	for _, x := range xs {
		n, _ := m.Get(x)
		k, _ := n.(value.Int)
		m = m.Assoc(x, k+1)
	}
	return m, nil
}

func groupBy(c Caller, a []Value) (Value, error) {
	xs, err := seqOf(c, "group-by", a[1])
	if err != nil {
		return nil, err
	}
	m := value.EmptyMap
	for _, x := range xs {
		k, err := call(c, a[0], x)
		if err != nil {
			return nil, err
		}
		g, ok := m.Get(k)
		if !ok {
			g = value.EmptyVector
		}
		m = m.Assoc(k, g.(*value.Vector).Conj(x))
	}
	return m, nil
}

// conj1 adds one element the way the collection grows: a list in front, a vector at the
// end, a map an entry ([k v] vector or every entry of a map), a set an element. nil
// grows into a list, as in Clojure.
func conj1(c Caller, fn string, coll, x Value) (Value, error) {
	switch coll := coll.(type) {
	case value.NilType:
		return value.NewList(x), nil
	case *value.List:
		return coll.Cons(x), nil
	case *value.Vector:
		return coll.Conj(x), nil
	case *value.Set:
		return coll.Conj(x), nil
	case *value.Map:
		switch e := x.(type) {
		case value.NilType:
			return coll, nil
		case *value.Vector:
			if e.Len() != 2 {
				return nil, invalid(fn, "a map entry must be a [key value] vector, got %s", value.Describe(x))
			}
			return coll.Assoc(e.Index(0), e.Index(1)), nil
		case *value.Map:
			if err := charge(c, e.Len()); err != nil {
				return nil, err
			}
			e.EachUnordered(func(k, v Value) bool { coll = coll.Assoc(k, v); return true })
			return coll, nil
		}
		return nil, value.TypeError(fn, "a [key value] vector or a map", x)
	}
	return nil, value.TypeError(fn, "a collection", coll)
}

func conjAll(c Caller, fn string, coll Value, xs []Value) (Value, error) {
	switch coll.(type) {
	case value.NilType, *value.List, *value.Vector, *value.Set, *value.Map:
	default:
		return nil, value.TypeError(fn, "a collection", coll)
	}
	if err := charge(c, len(xs)); err != nil {
		return nil, err
	}
	for _, x := range xs {
		var err error
		if coll, err = conj1(c, fn, coll, x); err != nil {
			return nil, err
		}
	}
	return coll, nil
}

func conjFn(c Caller, a []Value) (Value, error) {
	if len(a) == 0 {
		return value.EmptyVector, nil
	}
	return conjAll(c, "conj", a[0], a[1:])
}

func intoFn(c Caller, a []Value) (Value, error) {
	switch len(a) {
	case 0:
		return value.EmptyVector, nil
	case 1:
		return conjAll(c, "into", a[0], nil)
	}
	xs, err := seqOf(c, "into", a[1])
	if err != nil {
		return nil, err
	}
	return conjAll(c, "into", a[0], xs)
}

func emptyFn(_ Caller, a []Value) (Value, error) {
	switch a[0].(type) {
	case *value.List:
		return value.EmptyList, nil
	case *value.Vector:
		return value.EmptyVector, nil
	case *value.Map:
		return value.EmptyMap, nil
	case *value.Set:
		return value.EmptySet, nil
	}
	return value.Nil, nil
}
