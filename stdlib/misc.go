package stdlib

import "github.com/rtfsvm/rtfsvm/value"

var miscFns = []*value.Builtin{
	fn("parse-json", 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := strArg("parse-json", a[0])
		if err != nil {
			return nil, err
		}
		if err := charge(c, len(s)); err != nil {
			return nil, err
		}
		v, err := value.FromJSON([]byte(s))
		return v, prefixed("parse-json", err)
	}),
	fn("to-json", 1, 1, func(c Caller, a []Value) (Value, error) {
		s, err := value.ToJSONMetered(a[0], c.Charge)
		if err != nil {
			return nil, prefixed("to-json", err)
		}
		return value.String(s), nil
	}),
	fn("error-message", 1, 1, errorField("error-message", func(e *value.Error) Value { return value.String(e.Message) })),
	fn("getMessage", 1, 1, errorField("getMessage", func(e *value.Error) Value { return value.String(e.Message) })),
	fn("error-kind", 1, 1, errorField("error-kind", func(e *value.Error) Value { return e.ErrKind })),
	fn("ex-data", 1, 1, func(_ Caller, a []Value) (Value, error) {
		// As Clojure's ex-data: nil for anything that carries no data.
		if e, ok := value.ErrorFromValue(a[0]); ok && e.Data != nil {
			return e.Data, nil
		}
		return value.Nil, nil
	}),
}

// prefixed names the library function in an RTFS error's message; other errors (limits)
// pass unchanged.
func prefixed(fn string, err error) error {
	if e, ok := err.(*value.Error); ok {
		c := *e
		c.Message = fn + ": " + e.Message
		return &c
	}
	return err
}

func errorField(fn string, f func(*value.Error) Value) fnImpl {
	return func(_ Caller, a []Value) (Value, error) {
		e, ok := value.ErrorFromValue(a[0])
		if !ok {
			return nil, value.TypeError(fn, "an error map", a[0])
		}
		return f(e), nil
	}
}
