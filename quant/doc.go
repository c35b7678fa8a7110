// Package quant prices equity options and their sensitivities: Black-Scholes-Merton for
// European exercise, the Andersen-Lake-Offengelt exercise boundary for American, implied
// volatility and rate curves.
//
// Conventions: rates and dividend yields are continuously compounded annual rates, times are
// in years (365-day calendar), and volatilities are annualised (0.20 means 20%).
package quant
