package host

import (
	"context"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/value"
)

// Declared types are checked at the boundary: bad arguments never reach the
// capability, a bad result never reaches the plan.
func TestDeclaredTypes(t *testing.T) {
	h := NewLocal(nil)
	ran := 0
	h.Register("len", func(_ context.Context, args []value.Value) (value.Value, error) {
		ran++
		if s, ok := args[0].(value.String); ok && s == "lie" {
			return value.String("not a number"), nil
		}
		return value.Int(len(value.Str(args[0]))), nil
	})
	if err := h.Declare("len", Types{Args: vec(value.Keyword("tuple"), value.Keyword("string")), Result: value.Keyword("int")}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if v, err := h.Call(ctx, &Request{Capability: "len", Args: []value.Value{value.String("abc")}}); err != nil || v != value.Int(3) {
		t.Fatalf("len \"abc\": %v, %v", v, err)
	}
	_, err := h.Call(ctx, &Request{Capability: "len", Args: []value.Value{value.Int(1)}})
	if e, ok := err.(*value.Error); !ok || e.ErrKind != value.ErrType || e.Capability != "len" || ran != 1 {
		t.Fatalf("bad arguments: %v (ran %d times)", err, ran)
	}
	_, err = h.Call(ctx, &Request{Capability: "len", Args: []value.Value{value.String("lie")}})
	if e, ok := err.(*value.Error); !ok || e.ErrKind != value.ErrCapability || !strings.Contains(e.Message, "not of type :int") {
		t.Fatalf("bad result: %v", err)
	}
	if err := h.Declare("len", Types{Result: value.Keyword("integer")}); err == nil {
		t.Fatal("an unknown type was declared")
	}
}

func vec(xs ...value.Value) *value.Vector { return value.NewVector(xs) }
