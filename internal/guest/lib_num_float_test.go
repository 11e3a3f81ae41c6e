package guest_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// The float routines under rem, mod, round and pow, against package math on many
// random operands.
//
// math.Exp and math.Log are not the same function on every platform: on amd64 Go runs
// log_amd64.s and exp_amd64.s, the latter with fused multiply-adds when the CPU has AVX
// and FMA; other platforms run pure Go or other assembly. The guest reproduces amd64
// with FMA, so exp, log and pow with a fractional exponent are compared to the bit only
// there; elsewhere they must be within an ulp or two.
var (
	numExactLog  = runtime.GOARCH == "amd64"
	numExactMath = numExactLog && cpu.X86.HasAVX && cpu.X86.HasFMA
)

func numBitsOf(x float64) uint64 { return math.Float64bits(x) }

// numSameFloat is bit equality, with every NaN the same.
func numSameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

// numUlps is the distance between two finite floats of one sign, in units in the last
// place.
func numUlps(a, b float64) uint64 {
	x, y := math.Float64bits(a), math.Float64bits(b)
	if x > y {
		return x - y
	}
	return y - x
}

// numRandFloat draws operands of every shape: any bit pattern, moderate values,
// integers, small exponents.
func numRandFloat(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return math.Float64frombits(r.Uint64())
	case 1:
		return (r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(40)-20))
	case 2:
		return float64(r.IntN(2001) - 1000)
	case 3:
		return math.Float64frombits(r.Uint64() >> 12) // subnormal
	case 4:
		return numSomeFloats[r.IntN(len(numSomeFloats))]
	}
	return (r.Float64()*2 - 1) * 10
}

func TestNumFmod(t *testing.T) {
	vm := newNumVM(t)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40000 {
		x, y := numRandFloat(r), numRandFloat(r)
		if i%4 == 0 {
			y = math.Float64frombits(math.Float64bits(x) - uint64(r.IntN(1<<20))) // close to x
		}
		got := math.Float64frombits(vm.call("lib_num_fmod", numBitsOf(x), numBitsOf(y)))
		if want := math.Mod(x, y); !numSameFloat(got, want) {
			t.Fatalf("fmod(%v, %v) = %v, want %v", x, y, got, want)
		}
	}
}

func TestNumRound(t *testing.T) {
	vm := newNumVM(t)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 40000 {
		x := numRandFloat(r)
		if i%2 == 0 {
			x = float64(r.IntN(1<<20)-1<<19) / 8 // halves and quarters
		}
		got := math.Float64frombits(vm.call("lib_num_round", numBitsOf(x)))
		if want := math.Round(x); !numSameFloat(got, want) {
			t.Fatalf("round(%v) = %v, want %v", x, got, want)
		}
	}
}

// The emulated FMA is exact where exp uses it: products that neither overflow nor
// underflow, sums that cancel.
func TestNumFMA(t *testing.T) {
	vm := newNumVM(t)
	r := rand.New(rand.NewPCG(5, 6))
	scaled := func() float64 { return (r.Float64()*2 - 1) * math.Ldexp(1, r.IntN(200)-100) }
	for i := range 100000 {
		a, b, c := scaled(), scaled(), scaled()
		switch i % 4 {
		case 0:
			c = -a * b * (1 + (r.Float64()-0.5)*1e-12) // near cancellation
		case 1:
			c = -a * b
		case 2:
			a = float64(r.IntN(4096) - 2048) // exp's k
		}
		got := math.Float64frombits(vm.call("lib_num_fma", numBitsOf(a), numBitsOf(b), numBitsOf(c)))
		if want := math.FMA(a, b, c); !numSameFloat(got, want) {
			t.Fatalf("fma(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
}

func TestNumExpLog(t *testing.T) {
	vm := newNumVM(t)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 60000 {
		var x float64
		switch i % 4 {
		case 0:
			x = (r.Float64()*2 - 1) * 760
		case 1:
			x = (r.Float64()*2 - 1) * 2
		case 2:
			x = (r.Float64()*2 - 1) * math.Pow(10, -float64(r.IntN(300)))
		default:
			x = numRandFloat(r)
		}
		got := math.Float64frombits(vm.call("lib_num_exp", numBitsOf(x)))
		want := math.Exp(x)
		if !numSameFloat(got, want) && (numExactMath || math.IsInf(want, 0) || want == 0 || numUlps(got, want) > 2) {
			t.Fatalf("exp(%v) = %v, want %v", x, got, want)
		}
		y := math.Abs(numRandFloat(r))
		if i%8 == 0 {
			y = math.Ldexp(7.07106781186547524401e-01, r.IntN(2000)-1000) // the reduction's boundary
		}
		got = math.Float64frombits(vm.call("lib_num_log", numBitsOf(y)))
		want = math.Log(y)
		if !numSameFloat(got, want) && (numExactLog || y < 0x1p-1022 || numUlps(got, want) > 2) {
			t.Fatalf("log(%v) = %v, want %v", y, got, want)
		}
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, negZero, 709.78, 709.79, -745.1, -745.2, -800, -1e10, -1e300} {
		if got, want := math.Float64frombits(vm.call("lib_num_exp", numBitsOf(x))), math.Exp(x); !numSameFloat(got, want) && numExactMath {
			t.Errorf("exp(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, negZero, -1, 5e-324, 1} {
		if got, want := math.Float64frombits(vm.call("lib_num_log", numBitsOf(x))), math.Log(x); !numSameFloat(got, want) && numExactLog {
			t.Errorf("log(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestNumPowFloat(t *testing.T) {
	vm := newNumVM(t)
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 60000 {
		var x, y float64
		switch i % 5 {
		case 0:
			x, y = numRandFloat(r), numRandFloat(r)
		case 1:
			x, y = r.Float64()*10, (r.Float64()-0.5)*20
		case 2:
			x, y = (r.Float64()-0.5)*1e6, float64(r.IntN(100)-50)
		case 3:
			x, y = 1+(r.Float64()-0.5)*1e-3, (r.Float64()-0.5)*1e5
		default:
			x, y = numRandFloat(r), float64(r.IntN(2200)-1100)
		}
		got := math.Float64frombits(vm.call("lib_num_pow", numBitsOf(x), numBitsOf(y)))
		want := math.Pow(x, y)
		integral := y == math.Trunc(y) || math.IsInf(y, 0) || math.IsNaN(y)
		if !numSameFloat(got, want) && (numExactMath || integral || numUlps(got, want) > 4) {
			t.Fatalf("pow(%v, %v) = %v, want %v", x, y, got, want)
		}
	}
}
