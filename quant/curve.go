package quant

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Curve is a risk-free zero curve: continuously compounded zero rates at tenors in years,
// linearly interpolated in between and held flat beyond the first and last tenor. The zero
// value is a flat curve at 0%.
type Curve struct {
	tenors []float64 // strictly increasing, >= 0
	rates  []float64
}

// NewCurve builds a curve from matching tenors (years, >= 0, distinct, any order) and zero
// rates. The slices are copied.
func NewCurve(tenors, rates []float64) (*Curve, error) {
	if len(tenors) == 0 {
		return nil, fmt.Errorf("rate curve: no points")
	}
	if len(tenors) != len(rates) {
		return nil, fmt.Errorf("rate curve: %d tenors but %d rates", len(tenors), len(rates))
	}
	idx := make([]int, len(tenors))
	for i := range idx {
		idx[i] = i
		t, r := tenors[i], rates[i]
		if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
			return nil, fmt.Errorf("rate curve: tenor %v: want finite and >= 0 years", t)
		}
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rate curve: rate %v at tenor %v: want finite", r, t)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(tenors[a], tenors[b]) })
	c := &Curve{tenors: make([]float64, len(idx)), rates: make([]float64, len(idx))}
	for i, j := range idx {
		if i > 0 && tenors[j] == c.tenors[i-1] {
			return nil, fmt.Errorf("rate curve: tenor %v given twice", tenors[j])
		}
		c.tenors[i], c.rates[i] = tenors[j], rates[j]
	}
	return c, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FlatCurve is the curve with rate r at every tenor.
func FlatCurve(r float64) *Curve {
	return &Curve{tenors: []float64{0}, rates: []float64{r}}
}

// ParseCurve reads "tenor:rate" pairs separated by commas, such as
// "0.25:0.043,1:0.041,5:0.039", or a single rate such as "0.04" for a flat curve.
// Tenors are in years and rates continuously compounded decimals.
func ParseCurve(s string) (*Curve, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ":") {
		r, err := parseFinite(s)
		if err != nil {
			return nil, fmt.Errorf("parse rate curve %q: %w", s, err)
		}
		return FlatCurve(r), nil
	}
	parts := strings.Split(s, ",")
	tenors := make([]float64, 0, len(parts))
	rates := make([]float64, 0, len(parts))
	for _, part := range parts {
		ts, rs, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("parse rate curve %q: point %q: want tenor:rate", s, part)
		}
		t, err := parseFinite(ts)
		if err != nil {
			return nil, fmt.Errorf("parse rate curve %q: tenor: %w", s, err)
		}
		r, err := parseFinite(rs)
		if err != nil {
			return nil, fmt.Errorf("parse rate curve %q: rate: %w", s, err)
		}
		tenors = append(tenors, t)
		rates = append(rates, r)
	}
	c, err := NewCurve(tenors, rates)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", s, err)
	}
	return c, nil
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: want a finite number", s)
	}
	return v, nil
}

// Rate is the zero rate for time t in years. NaN gives NaN.
func (c *Curve) Rate(t float64) float64 {
	n := len(c.tenors)
	switch {
	case n == 0:
		return 0
	case math.IsNaN(t):
		return math.NaN()
	case t <= c.tenors[0]:
		return c.rates[0]
	case t >= c.tenors[n-1]:
		return c.rates[n-1]
	}
	// The first tenor above t; t is strictly inside the curve here.
	i, _ := slices.BinarySearch(c.tenors, t)
	t0, t1 := c.tenors[i-1], c.tenors[i]
	w := (t - t0) / (t1 - t0)
	return c.rates[i-1] + w*(c.rates[i]-c.rates[i-1])
}

// String formats the curve so that ParseCurve reads it back.
func (c *Curve) String() string {
	if len(c.tenors) == 0 {
		return "0"
	}
	if len(c.tenors) == 1 && c.tenors[0] == 0 {
		return strconv.FormatFloat(c.rates[0], 'g', -1, 64)
	}
	var b strings.Builder
	for i := range c.tenors {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatFloat(c.tenors[i], 'g', -1, 64))
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(c.rates[i], 'g', -1, 64))
	}
	return b.String()
}
