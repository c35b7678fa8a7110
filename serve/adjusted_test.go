package serve

import (
	"encoding/json"
	"math"
	"testing"
)

// Adjusted bars are the stored ones times the factors of the dividends and
// splits after them: the newest bar as stored, older ones scaled down by
// each dividend paid since.
func TestBarsAdjusted(t *testing.T) {
	_, api := newTestServer(t, Config{})
	get := func(path string) BarsOutput {
		t.Helper()
		w := api.Get(path)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
		}
		var out BarsOutput
		if err := json.Unmarshal(w.Body.Bytes(), &out.Body); err != nil {
			t.Fatal(err)
		}
		return out
	}
	raw := get("/api/v1/bars/XOM?from=2025-11-20&to=2026-11-20&page_size=5000")
	adj := get("/api/v1/bars/XOM?from=2025-11-20&to=2026-11-20&page_size=5000&adjusted=true")
	if raw.Body.Adjusted || !adj.Body.Adjusted || len(raw.Body.Bars) != len(adj.Body.Bars) || len(raw.Body.Bars) < 240 {
		t.Fatalf("%d raw and %d adjusted bars", len(raw.Body.Bars), len(adj.Body.Bars))
	}
	steps := 0
	prev := 0.0
	for i, r := range raw.Body.Bars {
		a := adj.Body.Bars[i]
		f := a.Close / r.Close
		if f > 1+1e-12 || f < 0.9 || math.Abs(a.Open/r.Open-f) > 1e-9 || a.Volume != r.Volume {
			t.Fatalf("%s: factor %v (open %v), volume %d of %d", r.T, f, a.Open/r.Open, a.Volume, r.Volume)
		}
		if i > 0 && math.Abs(f-prev) > 1e-12 {
			steps++
			if f < prev {
				t.Fatalf("%s: factor falls from %v to %v", r.T, prev, f)
			}
		}
		prev = f
	}
	if last := raw.Body.Bars[len(raw.Body.Bars)-1]; adj.Body.Bars[len(adj.Body.Bars)-1].Close != last.Close && steps > 0 {
		t.Errorf("newest bar adjusted")
	}
	// XOM pays quarterly in the synthetic market: four ex-dates in a year.
	if steps < 3 || steps > 4 {
		t.Errorf("%d factor steps in a year, want 3-4 quarterly dividends", steps)
	}
}
