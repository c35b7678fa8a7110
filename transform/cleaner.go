package transform

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

var symbolRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,9}(\.[A-Z]{1,2})?$`)

// RateCurve gives the continuously compounded risk-free rate for a tenor in
// years; quant.Curve is one.
type RateCurve interface {
	Rate(years float64) float64
}

// Cleaner applies the processing rules. It is safe for concurrent use.
type Cleaner struct {
	Calendar *market.Calendar
	// Clock tells the time future timestamps and session states are judged
	// against (default the system's).
	Clock clock.Clock
	// FutureSlack tolerates provider clocks a little ahead (default 15 minutes).
	FutureSlack time.Duration
	// Curve gives the risk-free rate by tenor (default flat 4%).
	Curve RateCurve
	// Dividends are continuous dividend yields by canonical symbol. When nil,
	// each symbol's trailing 12-month yield from the corporate actions this
	// Cleaner has cleaned is used (TrailingYield), else 0.
	Dividends map[string]float64
	// EuropeanIV inverts quotes with Black-Scholes-Merton. By default quotes
	// are U.S. equity options, American-style, and are inverted with
	// the exact American engine (quant.AmericanPrice).
	EuropeanIV bool

	mu        sync.Mutex
	means     map[meanKey]*meanBar
	dividends map[string]dividendHistory
}

// horizon is the latest acceptable timestamp: now plus the slack.
func (c *Cleaner) horizon() time.Time {
	slack := c.FutureSlack
	if slack == 0 {
		slack = 15 * time.Minute
	}
	return c.now().Add(slack)
}

func (c *Cleaner) future(t time.Time) bool { return t.After(c.horizon()) }

func symbolOf(s string) (string, error) {
	sym := market.CanonicalSymbol(s)
	if !symbolRE.MatchString(sym) {
		return "", fmt.Errorf("symbol %q", s)
	}
	return sym, nil
}

type meanKey struct{ symbol, interval string }

// meanBar is the running mean of a symbol's accepted, not imputed bars: the
// last resort of imputation when a message has no good bar to copy from.
type meanBar struct {
	n   float64
	px  [numPrices]float64
	vol float64
}

func (c *Cleaner) symbolMean(sym, interval string) (meanBar, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.means[meanKey{sym, interval}]
	if !ok || m.n == 0 {
		return meanBar{}, false
	}
	return *m, true
}

// remember folds accepted bars into the symbol's running mean.
func (c *Cleaner) remember(sym, interval string, rows []row) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.means == nil {
		c.means = map[meanKey]*meanBar{}
	}
	k := meanKey{sym, interval}
	m := c.means[k]
	if m == nil {
		m = &meanBar{}
		c.means[k] = m
	}
	for i := range rows {
		r := &rows[i]
		if r.imputed {
			continue
		}
		m.n++
		for j := range m.px {
			m.px[j] += (r.px[j] - m.px[j]) / m.n
		}
		m.vol += (float64(r.vol) - m.vol) / m.n
	}
}

// now is the time by the injected clock.
func (c *Cleaner) now() time.Time {
	return clock.Or(c.Clock).Now()
}
