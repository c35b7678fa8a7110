package quant

// dual is a price with its derivatives in the inputs the Greeks need: first in spot,
// volatility, rate and time to expiry, second in spot. The American price is a long chain of
// elementary functions (the boundary's fixed-point iteration and its integrals); carrying
// the derivatives through it (grad, and the spot ones by hand in unitPut) gives exact Greeks
// from one evaluation, where finite differences take six.
type dual struct {
	v         float64
	s, ss     float64 // ∂/∂S, ∂²/∂S²
	vol, r, t float64 // ∂/∂σ, ∂/∂r, ∂/∂T
}

func constant(x float64) dual { return dual{v: x} }
