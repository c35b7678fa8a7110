package quant

import "testing"

var (
	benchParams = Params{Kind: Put, Spot: 100, Strike: 105, Rate: 0.045, Div: 0.015, Vol: 0.25, Time: 0.5}
	benchSink   float64
)

func BenchmarkPrice(b *testing.B) {
	for b.Loop() {
		benchSink = Price(benchParams)
	}
}

func BenchmarkBSMGreeks(b *testing.B) {
	for b.Loop() {
		benchSink = BSMGreeks(benchParams).Vega
	}
}

func BenchmarkImpliedVol(b *testing.B) {
	price := Price(benchParams)
	for b.Loop() {
		v, err := ImpliedVol(benchParams, price)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = v
	}
}

func BenchmarkAmericanPrice(b *testing.B) {
	for b.Loop() {
		benchSink = AmericanPrice(benchParams)
	}
}

func BenchmarkAmericanGreeks(b *testing.B) {
	for b.Loop() {
		benchSink = AmericanGreeks(benchParams).Vega
	}
}

func BenchmarkImpliedVolAmerican(b *testing.B) {
	price := AmericanPrice(benchParams)
	for b.Loop() {
		v, err := ImpliedVolStyle(benchParams, price, American)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = v
	}
}

// The binomial fallback, for the strongly negative carry where the approximation fails.
func BenchmarkAmericanPriceTree(b *testing.B) {
	p := Params{Kind: Put, Spot: 100, Strike: 100, Rate: 0.10, Div: 0.01, Vol: 0.10, Time: 5}
	for b.Loop() {
		benchSink = AmericanPrice(p)
	}
}

// BenchmarkAmericanSearchPricing times one pricing of the American volatility search
// (newtonFromEuropeanWith) with vega alone and with every derivative, as the search makes
// them: the value without volatility, the fixed-point factors and the European part that
// does not depend on volatility already worked out. The two are the costs fullAfterFirst
// and fullAfterHalley weigh.
func BenchmarkAmericanSearchPricing(b *testing.B) {
	p := benchParams
	p.Vol = 0
	det := deterministicAmerican(p)
	vf := newVolFree(p)
	var fc fpConst
	b.Run("vega", func(b *testing.B) {
		for b.Loop() {
			v, _, _ := americanVegaWith(benchParams, det, &fc, &vf)
			benchSink = v.vol
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			v, _, _ := americanAtWith(benchParams, det, &fc, &vf)
			benchSink = v.vol
		}
	})
}
