package host

import (
	"context"

	"github.com/rtfsvm/rtfsvm/value"
)

// Builtins are the capabilities every host has.
var Builtins = map[string]Capability{
	"ccos.echo":     echo,
	"ccos.math.add": add,
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
