package quant_test

import (
	"fmt"

	"github.com/tickerlake/tickerlake/quant"
)

func Example() {
	curve, err := quant.ParseCurve("0.25:0.043,1:0.041,5:0.039")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := quant.Params{Kind: quant.Put, Spot: 100, Strike: 105, Rate: curve.Rate(0.5), Div: 0.015, Vol: 0.25, Time: 0.5}

	eu := quant.Price(p)
	am := quant.AmericanPrice(p)
	g := quant.BSMGreeks(p)
	vol, err := quant.ImpliedVolStyle(p, 9.10, quant.American)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rate %.4f european %.4f american %.4f\n", p.Rate, eu, am)
	fmt.Printf("delta %.4f vega/pt %.4f theta/day %.4f\n", g.Delta, g.Vega, g.ThetaDay)
	fmt.Printf("american implied vol at 9.10: %.4f\n", vol)
	// Output:
	// rate 0.0423 european 9.0292 american 9.2369
	// delta -0.5399 vega/pt 0.2783 theta/day -0.0140
	// american implied vol at 9.10: 0.2450
}
