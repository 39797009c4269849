package sim

import "math"

// Everything random in the simulator is a pure function of a few integers:
// a counter-free hash, so any value can be recomputed for any time without
// state or ordering effects.

// mix is the splitmix64 finalizer, a fast bijective 64-bit mixer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// h2 and h3 combine values into one well-mixed hash.
func h2(a, b uint64) uint64    { return mix(mix(a) ^ b) }
func h3(a, b, c uint64) uint64 { return mix(mix(mix(a)^b) ^ c) }

// strHash is FNV-1a, used to derive stable keys from names.
func strHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// signed maps a hash to [-1, 1).
func signed(h uint64) float64 { return 2*unit(h) - 1 }

// normal maps a hash to a standard normal deviate (Box-Muller).
func normal(h uint64) float64 {
	u1 := unit(h)
	if u1 < 1e-12 {
		u1 = 1e-12
	}
	u2 := unit(mix(h ^ 0x5bd1e995))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// pick returns an index in [0, n) from a hash; n must be positive.
func pick(h uint64, n int) int { return int(h % uint64(n)) }

// valueNoise is smooth noise in [-1, 1]: random values at knots every
// period seconds, joined with a smoothstep so it has no kinks.
func valueNoise(key uint64, tsec, period float64) float64 {
	x := tsec / period
	k := math.Floor(x)
	f := x - k
	f = f * f * (3 - 2*f)
	a := signed(h2(key, uint64(int64(k))))
	b := signed(h2(key, uint64(int64(k)+1)))
	return a + (b-a)*f
}

// roundRand rounds x >= 0 to an integer, up with probability frac(x), using
// the hash as the coin: unbiased, so small rates give occasional 1s.
func roundRand(x float64, h uint64) int64 {
	if !(x > 0) {
		return 0
	}
	return int64(x + unit(h))
}
