package guest

import . "github.com/rtfsvm/rtfsvm/internal/wasm"

// Snapshots at a host call (see RATIONALE.md): the host makes the guest unwind its Wasm
// stack, so that its whole state is in linear memory and the globals, and later rewinds
// it, in the same instance or in a new one holding that state. Compiled functions store
// the point they are at (the index of the call they are making) in their frame before
// each call that may reach the host, so unwinding only returns Err with the mode set;
// rewinding calls run again, and each function, seeing the mode, skips the work it had
// done and goes down to the call it was making.
const (
	// ModeRewinding: the guest is going back down to the host call it was unwound
	// from; the host clears it when that call arrives.
	ModeRewinding = 1
	// ModeUnwinding: the Err the guest is returning is the host's request to unwind:
	// handlers pass it on without running (no catch, no finally, no step failure).
	ModeUnwinding = 2
)

// Pin adds delta to the count of calls under way that cannot be rewound (a function
// applied by apply, a call in a catch or finally clause): the host takes no snapshot
// while it is not zero.
func (rt *Runtime) Pin(f *Func, delta int32) {
	f.SetGlobal(rt.Pins, Add32(rt.Pins.Get(), C32(delta)))
}

// SnapshotGlobals are the globals a snapshot keeps. The others are set again by Setup
// from the limits (sp, stack_limit, heap_limit, mem_limit, heap_base), are zero once
// the guest is unwound (mode, pins, the collector's pending flag), or are set again on
// the way down (the site).
var SnapshotGlobals = []string{GlobalHP, GlobalHeapEnd, GlobalGCTrigger, GlobalAllocEnd, GlobalGCCount,
	GlobalFuel, GlobalErr, GlobalErrAt}
