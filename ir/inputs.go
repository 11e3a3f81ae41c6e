package ir

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// BindInputs binds the plan's inputs from the initial environment (a map of keyword to
// value) and returns the initial globals: the inputs set, every def still unset (nil).
// An input the environment leaves unbound is an error at the symbol's first use;
// entries that name no input are ignored.
func (p *Program) BindInputs(env *value.Map) ([]value.Value, error) {
	globals := make([]value.Value, len(p.Globals))
	for _, in := range p.Inputs {
		v, ok := env.Get(value.Keyword(in.Name))
		if !ok {
			return nil, &syntax.Error{Pos: in.Pos, Msg: fmt.Sprintf("%s is not defined: it is neither a local, a definition nor a library function, and the environment does not bind it", in.Name)}
		}
		globals[in.Index] = v
	}
	return globals, nil
}
