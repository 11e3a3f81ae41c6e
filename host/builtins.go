package host

import (
	"context"

	"github.com/rtfsvm/rtfsvm/value"
)

// Builtins are the capabilities every host has. ccos.user.ask is a human capability
// (Human): its first argument is the question.
var Builtins = map[string]Capability{
	"ccos.echo":     echo,
	"ccos.math.add": add,
}

// BuiltinProviders are the built-in capabilities served by a provider.
var BuiltinProviders = map[string]Provider{
	"ccos.user.ask": Human,
}

// AwaitingHuman is what a human capability returns: the run must wait until a person
// supplies the value (rtfsvm complete). Whatever runs the plan parks the run.
type AwaitingHuman struct {
	Capability string
	Question   value.Value // the call's first argument, or nil
}

func (e *AwaitingHuman) Error() string {
	return "capability " + e.Capability + " waits for a person's answer"
}

// Human is the provider of :human capabilities: it never answers by itself.
func Human(_ context.Context, c Call) (value.Value, error) {
	var q value.Value
	if len(c.Args) > 0 {
		q = c.Args[0]
	}
	return nil, &AwaitingHuman{Capability: c.Capability, Question: q}
}

func echo(_ context.Context, args []value.Value) (value.Value, error) {
	if len(args) == 0 {
		return value.Nil, nil
	}
	return args[0], nil
}

// add sums numbers: integers stay integers (checked for overflow) until a float appears.
func add(_ context.Context, args []value.Value) (value.Value, error) {
	var isum int64
	var fsum float64
	isFloat := false
	for _, a := range args {
		switch a := a.(type) {
		case value.Int:
			if isFloat {
				fsum += float64(a)
				continue
			}
			s := isum + int64(a)
			if (s > isum) != (a > 0) {
				return nil, value.Errorf(value.ErrOverflow, "ccos.math.add: integer overflow")
			}
			isum = s
		case value.Float:
			if !isFloat {
				isFloat, fsum = true, float64(isum)
			}
			fsum += float64(a)
		default:
			return nil, value.TypeError("ccos.math.add", "a number", a)
		}
	}
	if isFloat {
		return value.Float(fsum), nil
	}
	return value.Int(isum), nil
}
