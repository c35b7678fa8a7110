package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
)

var symbolRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,9}(\.[A-Z])?$`)

// Cleaner applies the processing rules. Now is the injected clock.
type Cleaner struct {
	Calendar *market.Calendar
	Now      func() time.Time
	// FutureSlack tolerates provider clocks a little ahead (default 15 minutes).
	FutureSlack time.Duration
	// Curve gives the risk-free rate by tenor (default flat 4%).
	Curve interface{ Rate(years float64) float64 }
	// Dividends are continuous dividend yields by canonical symbol (default 0).
	Dividends map[string]float64
}

func (c *Cleaner) future(t time.Time) bool {
	slack := c.FutureSlack
	if slack == 0 {
		slack = 15 * time.Minute
	}
	return t.After(c.Now().Add(slack))
}

func symbolOf(s string) (string, error) {
	sym := market.CanonicalSymbol(s)
	if !symbolRE.MatchString(sym) {
		return "", fmt.Errorf("symbol %q", s)
	}
	return sym, nil
}

// bar is the common part of daily and 15-minute bars during cleaning.
type bar struct {
	f   ingest.BarFields
	raw ingest.TSValue
}

// cleanSeries validates a series' values and returns the good ones in time
// order, one per timestamp (the last listed wins), plus the rejects.
func (c *Cleaner) cleanSeries(ts ingest.TimeSeries) (string, []bar, []Reject) {
	var rejects []Reject
	sym, err := symbolOf(ts.Meta.Symbol)
	if err != nil {
		payload, _ := json.Marshal(ts)
		return "", nil, []Reject{{Reason: ReasonBadSymbol, Detail: err.Error(), Symbol: ts.Meta.Symbol, Payload: payload}}
	}
	reject := func(v ingest.TSValue, reason, format string, args ...any) {
		payload, _ := json.Marshal(v)
		rejects = append(rejects, Reject{Reason: reason, Detail: fmt.Sprintf(format, args...), Symbol: sym, Payload: payload})
	}
	byTime := map[time.Time]int{}
	var out []bar
	// Values come newest first; walk oldest first so "latest" means listed last.
	for i := len(ts.Values) - 1; i >= 0; i-- {
		v := ts.Values[i]
		f, err := v.Parse(ts.Meta.Interval)
		if err != nil {
			reject(v, ReasonBadTimestamp, "%v", err)
			continue
		}
		if reason, detail := checkOHLCV(f); reason != "" {
			reject(v, reason, "%s %s: %s", sym, v.Datetime, detail)
			continue
		}
		if c.future(f.Time) {
			reject(v, ReasonFuture, "%s %s is after now", sym, v.Datetime)
			continue
		}
		if ts.Meta.Interval == ingest.Interval15Min && !c.Calendar.InSession(f.Time) {
			reject(v, ReasonOutsideSession, "%s %s is outside the NYSE session", sym, v.Datetime)
			continue
		}
		if ts.Meta.Interval == ingest.Interval1Day && !c.Calendar.IsTradingDay(f.Time) {
			reject(v, ReasonOutsideSession, "%s %s is not a trading day", sym, v.Datetime)
			continue
		}
		if j, dup := byTime[f.Time]; dup {
			out[j] = bar{f, v}
			continue
		}
		byTime[f.Time] = len(out)
		out = append(out, bar{f, v})
	}
	return sym, out, rejects
}

func checkOHLCV(f ingest.BarFields) (reason, detail string) {
	for _, p := range []float64{f.Open, f.High, f.Low, f.Close} {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return ReasonNotANumber, "a price is not a number"
		}
		if p <= 0 {
			return ReasonNonPositive, fmt.Sprintf("price %g <= 0", p)
		}
	}
	if f.High < math.Max(f.Open, f.Close) || f.Low > math.Min(f.Open, f.Close) || f.Low > f.High {
		return ReasonOHLC, fmt.Sprintf("open %g high %g low %g close %g", f.Open, f.High, f.Low, f.Close)
	}
	if f.Volume < 0 {
		return ReasonNegativeVolume, "volume missing or negative"
	}
	return "", ""
}

// DailyBars cleans a daily time_series message.
func (c *Cleaner) DailyBars(ts ingest.TimeSeries) ([]market.DailyBar, []Reject) {
	if ts.Meta.Interval != ingest.Interval1Day {
		return nil, []Reject{{Reason: ReasonDecode, Detail: fmt.Sprintf("interval %q on a daily topic", ts.Meta.Interval), Symbol: ts.Meta.Symbol}}
	}
	sym, bars, rejects := c.cleanSeries(ts)
	now := c.Now().UTC()
	out := make([]market.DailyBar, len(bars))
	for i, b := range bars {
		out[i] = market.DailyBar{Symbol: sym, Date: b.f.Time, Open: b.f.Open, High: b.f.High, Low: b.f.Low,
			Close: b.f.Close, Volume: b.f.Volume, IngestedAt: now}
	}
	return out, rejects
}

// IntradayBars cleans a 15-minute time_series message.
func (c *Cleaner) IntradayBars(ts ingest.TimeSeries) ([]market.IntradayBar, []Reject) {
	if ts.Meta.Interval != ingest.Interval15Min {
		return nil, []Reject{{Reason: ReasonDecode, Detail: fmt.Sprintf("interval %q on the 15min topic", ts.Meta.Interval), Symbol: ts.Meta.Symbol}}
	}
	sym, bars, rejects := c.cleanSeries(ts)
	now := c.Now().UTC()
	out := make([]market.IntradayBar, len(bars))
	for i, b := range bars {
		out[i] = market.IntradayBar{Symbol: sym, TS: b.f.Time, Open: b.f.Open, High: b.f.High, Low: b.f.Low,
			Close: b.f.Close, Volume: b.f.Volume, IngestedAt: now}
	}
	return out, rejects
}
