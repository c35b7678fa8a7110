package quant

import (
	"math"
	"testing"
)

func TestNewCurveErrors(t *testing.T) {
	tests := []struct {
		name          string
		tenors, rates []float64
	}{
		{"empty", nil, nil},
		{"length mismatch", []float64{1, 2}, []float64{0.01}},
		{"negative tenor", []float64{-1}, []float64{0.01}},
		{"NaN tenor", []float64{math.NaN()}, []float64{0.01}},
		{"infinite rate", []float64{1}, []float64{math.Inf(1)}},
		{"duplicate tenor", []float64{1, 2, 1}, []float64{0.01, 0.02, 0.03}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := NewCurve(tt.tenors, tt.rates); err == nil {
				t.Fatalf("NewCurve = %v, want error", c)
			}
		})
	}
}

func TestCurveRate(t *testing.T) {
	// Unsorted input is sorted by tenor.
	c, err := NewCurve([]float64{5, 0.25, 1}, []float64{0.039, 0.043, 0.041})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		t, want float64
	}{
		{-1, 0.043},
		{0, 0.043},
		{0.25, 0.043},
		{0.625, 0.042},
		{1, 0.041},
		{3, 0.040},
		{5, 0.039},
		{30, 0.039},
	}
	for _, tt := range tests {
		if got := c.Rate(tt.t); !near(got, tt.want, 1e-15) {
			t.Errorf("Rate(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
	if got := c.Rate(math.NaN()); !math.IsNaN(got) {
		t.Errorf("Rate(NaN) = %v", got)
	}
	if got := FlatCurve(0.04).Rate(7); got != 0.04 {
		t.Errorf("flat Rate = %v", got)
	}
	var zero Curve
	if got := zero.Rate(1); got != 0 {
		t.Errorf("zero curve Rate = %v", got)
	}
}

func TestParseCurve(t *testing.T) {
	tests := []struct {
		in      string
		at      map[float64]float64
		str     string
		wantErr bool
	}{
		{in: "0.04", at: map[float64]float64{0: 0.04, 10: 0.04}, str: "0.04"},
		{in: " -0.005 ", at: map[float64]float64{1: -0.005}, str: "-0.005"},
		{in: "0.25:0.043,1:0.041,5:0.039", at: map[float64]float64{0.1: 0.043, 3: 0.04, 9: 0.039}, str: "0.25:0.043,1:0.041,5:0.039"},
		{in: "5:0.039, 1 : 0.041", at: map[float64]float64{3: 0.04}, str: "1:0.041,5:0.039"},
		{in: "2:0.05", at: map[float64]float64{0: 0.05, 9: 0.05}, str: "2:0.05"},
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "1:0.04,", wantErr: true},
		{in: "1:0.04,2", wantErr: true},
		{in: "1:x", wantErr: true},
		{in: "-1:0.04", wantErr: true},
		{in: "1:0.04,1:0.05", wantErr: true},
		{in: "1:0.04:0.05", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCurve(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseCurve(%q) = %v, want error", tt.in, c)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCurve(%q): %v", tt.in, err)
			}
			for at, want := range tt.at {
				if got := c.Rate(at); !near(got, want, 1e-15) {
					t.Errorf("Rate(%v) = %v, want %v", at, got, want)
				}
			}
			if got := c.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
		})
	}
}
