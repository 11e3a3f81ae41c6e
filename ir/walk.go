package ir

// Walk calls f on e and on every expression inside it, functions' bodies included.
func Walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	all := func(es []Expr) {
		for _, x := range es {
			Walk(x, f)
		}
	}
	switch e := e.(type) {
	case *If:
		Walk(e.Cond, f)
		Walk(e.Then, f)
		Walk(e.Else, f)
	case *Do:
		all(e.Exprs)
	case *Let:
		Walk(e.Init, f)
		Walk(e.Body, f)
	case *LetFns:
		for _, fn := range e.Fns {
			Walk(fn, f)
		}
		Walk(e.Body, f)
	case *Fn:
		all(e.Captures)
		Walk(e.Body, f)
	case *Call:
		Walk(e.Fn, f)
		all(e.Args)
	case *CallBuiltin:
		all(e.Args)
	case *Loop:
		all(e.Inits)
		Walk(e.Body, f)
	case *Recur:
		all(e.Args)
	case *Def:
		Walk(e.Value, f)
	case *Try:
		Walk(e.Body, f)
		for _, c := range e.Catches {
			Walk(c.Body, f)
		}
		Walk(e.Finally, f)
	case *Throw:
		all(e.Args)
	case *HostCall:
		Walk(e.Capability, f)
		all(e.Args)
		Walk(e.Options, f)
	case *Parallel:
		for _, c := range e.Calls {
			Walk(c, f)
		}
	case *Step:
		Walk(e.Name, f)
		Walk(e.Body, f)
	case *Checkpoint:
		Walk(e.Name, f)
	case *MakeVector:
		all(e.Elems)
	case *MakeMap:
		all(e.Elems)
	case *MakeSet:
		all(e.Elems)
	case *Check:
		Walk(e.Expr, f)
	}
}
