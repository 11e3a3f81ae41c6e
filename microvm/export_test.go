package microvm

import "context"

// NewHeldEngine starts a tiered engine whose background compilations wait until
// release is called, so that a test knows which tier a VM gets.
func NewHeldEngine(ctx context.Context, cfg Config) (e *Engine, release func(), err error) {
	hold := make(chan struct{})
	cfg.Tiered, cfg.hold = true, hold
	e, err = NewEngine(ctx, cfg)
	return e, func() { close(hold) }, err
}

// SetMaxModules sets the engines' bound on kept modules, and returns the old one.
func SetMaxModules(n int) int { old := maxModules; maxModules = n; return old }

// Kept is how many modules the engine keeps by hash.
func (e *Engine) Kept() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.modules)
}
