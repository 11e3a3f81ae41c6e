package value

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// ToJSON writes v as compact JSON, as rtfs-language.md §8 maps values: maps become
// objects with their keys in the total order (keywords as their text without the colon),
// lists, vectors and sets become arrays (sets in the total order), keywords and symbols
// strings, nil null. A value with no JSON form (a function, a NaN or infinite float, a
// map key that is not a string or keyword) is an :error/invalid-argument.
func ToJSON(v Value) (string, error) { return ToJSONMetered(v, nil) }

// ToJSONMetered is ToJSON that reports its output as it grows: charge is called with the
// number of bytes written since the last call, and an error from it stops the encoding
// and is returned as is. Structure sharing lets a small value have a huge JSON form, so
// a caller with a budget must learn of the size before the whole of it is built.
func ToJSONMetered(v Value, charge func(n int) error) (string, error) {
	w := &jsonWriter{charge: charge}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	if err := w.value(v); err != nil {
		return "", err
	}
	if err := w.meter(0); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

type jsonWriter struct {
	buf     bytes.Buffer
	enc     *json.Encoder
	charge  func(int) error
	charged int // bytes already reported to charge
}

// meter reports the bytes written so far once at least batch of them are unreported.
func (w *jsonWriter) meter(batch int) error {
	n := w.buf.Len() - w.charged
	if w.charge == nil || n == 0 || n < batch {
		return nil
	}
	w.charged += n
	return w.charge(n)
}

func noJSON(format string, args ...any) *Error {
	return Errorf(ErrInvalidArg, "no JSON form for "+format, args...)
}

func (w *jsonWriter) value(v Value) error {
	if err := w.meter(4096); err != nil {
		return err
	}
	switch v := v.(type) {
	case NilType:
		w.buf.WriteString("null")
	case Bool:
		w.buf.WriteString(strconv.FormatBool(bool(v)))
	case Int:
		w.buf.WriteString(strconv.FormatInt(int64(v), 10))
	case Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return noJSON("the float %s", FormatFloat(f))
		}
		w.buf.WriteString(FormatFloat(f)) // always valid JSON for a finite float: 2.0, 1e-7, 1.5e+21
	case String:
		w.str(string(v))
	case Keyword:
		w.str(string(v))
	case Symbol:
		w.str(string(v))
	case *List, *Vector:
		var err error
		w.buf.WriteByte('[')
		first := true
		v.(Sequential).Each(func(x Value) bool {
			if !first {
				w.buf.WriteByte(',')
			}
			first = false
			err = w.value(x)
			return err == nil
		})
		if err != nil {
			return err
		}
		w.buf.WriteByte(']')
	case *Set:
		w.buf.WriteByte('[')
		for i, x := range v.Elems() {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.value(x); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
	case *Map:
		return w.object(v)
	default:
		return noJSON("%s", Describe(v))
	}
	return nil
}

func (w *jsonWriter) object(m *Map) error {
	w.buf.WriteByte('{')
	var strKeys map[string]bool // string keys, to catch "a" and :a in one map
	for i, e := range m.Entries() {
		var k string
		switch key := e.Key.(type) {
		case String:
			k = string(key)
			if strKeys == nil {
				strKeys = map[string]bool{}
			}
			strKeys[k] = true
		case Keyword:
			// Entries sorts every string key before every keyword key.
			if k = string(key); strKeys[k] {
				return noJSON("a map with both %s and %s as keys", Print(String(k)), Print(key))
			}
		default:
			return noJSON("a map key that is a %s", Describe(e.Key))
		}
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.str(k)
		w.buf.WriteByte(':')
		if err := w.value(e.Val); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

// str writes a JSON string; encoding/json escapes it (without HTML escaping, and with
// invalid UTF-8 replaced by U+FFFD) and ends it with a newline, which is dropped.
func (w *jsonWriter) str(s string) {
	_ = w.enc.Encode(s) // a string always encodes; writes to a bytes.Buffer do not fail
	w.buf.Truncate(w.buf.Len() - 1)
}

// FromJSON reads one JSON value: objects become maps with keyword keys, arrays vectors,
// numbers written without fraction or exponent integers (floats when they do not fit in
// 64 bits), other numbers floats. Anything but a single JSON value, including trailing
// data, is an :error/invalid-argument.
func FromJSON(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, Errorf(ErrInvalidArg, "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(ErrInvalidArg, "invalid JSON: data after the value")
	}
	return fromJSON(x), nil
}

func fromJSON(x any) Value {
	switch x := x.(type) {
	case bool:
		return Bool(x)
	case string:
		return String(x)
	case json.Number:
		return jsonNumber(string(x))
	case []any:
		xs := make([]Value, len(x))
		for i, e := range x {
			xs[i] = fromJSON(e)
		}
		return NewVector(xs)
	case map[string]any:
		m := EmptyMap
		for k, e := range x {
			m = m.Assoc(Keyword(k), fromJSON(e))
		}
		return m
	}
	return Nil
}

func jsonNumber(s string) Value {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Int(n)
		}
	}
	// The decoder has checked the syntax; out of range, ParseFloat gives ±Inf, as
	// JavaScript's JSON.parse does.
	f, _ := strconv.ParseFloat(s, 64)
	return Float(f)
}
