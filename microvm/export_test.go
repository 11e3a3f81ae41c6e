package microvm

import "context"

// NewTier0Engine starts an engine that keeps every module on tier 0 (wazero's
// interpreter), to test that tier.
func NewTier0Engine(ctx context.Context, cfg Config) (*Engine, error) {
	cfg.tier0Only = true
	return NewEngine(ctx, cfg)
}

// NewHeldEngine starts a tiered engine whose background compilations wait until
// release is called, so that a test knows which tier a VM gets.
func NewHeldEngine(ctx context.Context, cfg Config) (e *Engine, release func(), err error) {
	hold := make(chan struct{})
	cfg.Tiered, cfg.hold = true, hold
	e, err = NewEngine(ctx, cfg)
	return e, func() { close(hold) }, err
}
