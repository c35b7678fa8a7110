package predict

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// Lake runs SQL over the lake's views; *query.Engine is one.
type Lake interface {
	Query(ctx context.Context, q string, limit int, args ...any) (*query.Result, error)
}

// Series is one symbol's daily history as a forecast at AsOf may see it.
// Index i is session Dates[i]; RV[i] is the realised variance of the
// return from the close of session i-1 to the close of session i.
type Series struct {
	Symbol                 string
	Dates                  []time.Time
	Open, High, Low, Close []float64
	Volume                 []float64
	// RV is the session's realised variance in daily units: squared
	// 15-minute log returns plus the squared overnight return, or, where
	// the session's intraday bars are missing, the Garman-Klass range
	// estimate plus the overnight return.
	RV []float64
	// Intraday says RV[i] came from 15-minute bars.
	Intraday []bool
	// IV is the 30-day at-the-money implied volatility (annual) of the
	// session's last chain snapshot, Skew its 25-delta skew (put minus
	// call) and Term the far minus the near expiry's ATM IV; NaN without
	// a snapshot.
	IV, Skew, Term []float64
	// Chain is the newest snapshot's ATM IV per expiration.
	Chain []ExpiryIV
	// AsOf is the time of the newest row used.
	AsOf time.Time
}

// ExpiryIV is one expiration's at-the-money implied volatility.
type ExpiryIV struct {
	Expiration time.Time
	Days       float64
	IV         float64
}

// Len is the number of sessions.
func (s *Series) Len() int { return len(s.Close) }

// Return is the log return into session i (NaN for the first).
func (s *Series) Return(i int) float64 {
	if i <= 0 || i >= len(s.Close) {
		return math.NaN()
	}
	return math.Log(s.Close[i] / s.Close[i-1])
}

// cutoffDate is the newest session whose close is at or before asOf.
func cutoffDate(cal *market.Calendar, asOf time.Time) time.Time {
	d := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if _, closeT, ok := cal.Session(d); ok && !asOf.Before(closeT) {
		return d
	}
	return cal.PrevTradingDay(d)
}

// Load reads the series of symbols (all symbols with daily bars when none
// are named) from the lake as they were at asOf: daily bars of sessions
// closed by then, 15-minute bars ended by then and chain snapshots taken by
// then. Nothing newer reaches a forecast made at asOf.
func Load(ctx context.Context, lk Lake, cal *market.Calendar, asOf time.Time, symbols ...string) (map[string]*Series, error) {
	cut := cutoffDate(cal, asOf)
	filter, args := "", []any{}
	if len(symbols) > 0 {
		filter = " AND symbol IN (?" + repeat(", ?", len(symbols)-1) + ")"
		for _, s := range symbols {
			args = append(args, market.CanonicalSymbol(s))
		}
	}
	out := map[string]*Series{}
	daily, err := lk.Query(ctx, "SELECT symbol, date, open, high, low, close, volume, ingested_at FROM "+market.DailyBars.Name+
		" WHERE date <= ?"+filter+" ORDER BY symbol, date", 0, append([]any{cut}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read daily bars: %w", err)
	}
	for _, r := range daily.Rows {
		sym, _ := r[0].(string)
		s := out[sym]
		if s == nil {
			s = &Series{Symbol: sym}
			out[sym] = s
		}
		d, _ := r[1].(time.Time)
		c := num(r[5])
		if !(c > 0) {
			continue
		}
		s.Dates = append(s.Dates, d)
		s.Open = append(s.Open, num(r[2]))
		s.High = append(s.High, num(r[3]))
		s.Low = append(s.Low, num(r[4]))
		s.Close = append(s.Close, c)
		s.Volume = append(s.Volume, num(r[6]))
		if _, closeT, ok := cal.Session(d); ok && closeT.After(s.AsOf) {
			s.AsOf = closeT
		}
	}
	// Intraday bars: a bar counts once it has ended. The first bar's
	// return is taken from its own open, so the sum spans the session.
	end := asOf.Add(-15 * time.Minute)
	rv, err := lk.Query(ctx, `SELECT symbol, d, sum(r*r), count(*) FROM (
		SELECT symbol, CAST(ts AS DATE) AS d,
		       ln(close / coalesce(lag(close) OVER (PARTITION BY symbol, CAST(ts AS DATE) ORDER BY ts), open)) AS r
		FROM `+market.IntradayBars.Name+` WHERE ts <= ? AND CAST(ts AS DATE) <= ? AND close > 0 AND open > 0`+filter+`)
		WHERE r IS NOT NULL GROUP BY symbol, d ORDER BY symbol, d`, 0, append([]any{end, cut}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read realised variance: %w", err)
	}
	type dayKey struct {
		sym string
		d   time.Time
	}
	intraday := map[dayKey][2]float64{}
	for _, r := range rv.Rows {
		sym, _ := r[0].(string)
		d, _ := r[1].(time.Time)
		intraday[dayKey{sym, d}] = [2]float64{num(r[2]), num(r[3])}
	}
	smiles, err := lk.Query(ctx, "SELECT symbol, snapshot_ts, expiration, days_to_expiry, atm_iv, skew_25d FROM "+market.IVSmiles.Name+
		" WHERE snapshot_ts <= ? AND atm_iv IS NOT NULL"+filter+" ORDER BY symbol, snapshot_ts, expiration", 0, append([]any{asOf}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read implied volatility: %w", err)
	}
	snaps := map[string][]snapshot{}
	for _, r := range smiles.Rows {
		sym, _ := r[0].(string)
		ts, _ := r[1].(time.Time)
		exp, _ := r[2].(time.Time)
		list := snaps[sym]
		if n := len(list); n == 0 || !list[n-1].ts.Equal(ts) {
			list = append(list, snapshot{ts: ts})
		}
		last := &list[len(list)-1]
		last.points = append(last.points, smilePoint{ExpiryIV: ExpiryIV{Expiration: exp, Days: num(r[3]), IV: num(r[4])}, skew: num(r[5])})
		snaps[sym] = list
	}
	for sym, s := range out {
		n := s.Len()
		s.RV = make([]float64, n)
		s.Intraday = make([]bool, n)
		s.IV, s.Skew, s.Term = nanSlice(n), nanSlice(n), nanSlice(n)
		for i := range n {
			over := 0.0
			if i > 0 {
				over = math.Log(s.Open[i] / s.Close[i-1])
			}
			if iv, ok := intraday[dayKey{sym, s.Dates[i]}]; ok && iv[1] >= 0.8*float64(len(cal.Bars15(s.Dates[i]))) {
				s.RV[i], s.Intraday[i] = iv[0]+over*over, true
			} else {
				s.RV[i] = garmanKlass(s.Open[i], s.High[i], s.Low[i], s.Close[i]) + over*over
			}
		}
		s.attachChains(snaps[sym])
		if list := snaps[sym]; len(list) > 0 && list[len(list)-1].ts.After(s.AsOf) {
			s.AsOf = list[len(list)-1].ts
		}
	}
	return out, nil
}

type smilePoint struct {
	ExpiryIV
	skew float64
}

type snapshot struct {
	ts     time.Time
	points []smilePoint
}

// attachChains sets IV, Skew and Term from each session's last snapshot
// taken on that session's date, and Chain from the newest snapshot.
func (s *Series) attachChains(list []snapshot) {
	if len(list) == 0 {
		return
	}
	byDate := map[time.Time]snapshot{}
	for _, sn := range list {
		d := time.Date(sn.ts.Year(), sn.ts.Month(), sn.ts.Day(), 0, 0, 0, 0, time.UTC)
		byDate[d] = sn // ordered by time: the last one wins
	}
	for i, d := range s.Dates {
		sn, ok := byDate[d]
		if !ok {
			continue
		}
		s.IV[i], s.Skew[i], s.Term[i] = sn.features()
	}
	newest := list[len(list)-1]
	s.Chain = s.Chain[:0]
	for _, p := range newest.points {
		s.Chain = append(s.Chain, p.ExpiryIV)
	}
}

// features are the snapshot's 30-day ATM IV (interpolated in total
// variance), the skew of the expiry nearest 30 days and the term slope.
func (sn snapshot) features() (iv, skew, term float64) {
	pts := make([]smilePoint, 0, len(sn.points))
	for _, p := range sn.points {
		if p.Days >= 2 && p.IV > 0 {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].Days < pts[j].Days })
	const target = 30.0
	iv = pts[0].IV
	switch {
	case target <= pts[0].Days:
	case target >= pts[len(pts)-1].Days:
		iv = pts[len(pts)-1].IV
	default:
		for k := 1; k < len(pts); k++ {
			if pts[k].Days >= target {
				a, b := pts[k-1], pts[k]
				w := (target - a.Days) / (b.Days - a.Days)
				tv := (1-w)*a.IV*a.IV*a.Days + w*b.IV*b.IV*b.Days
				iv = math.Sqrt(tv / target)
				break
			}
		}
	}
	near := pts[0]
	for _, p := range pts {
		if math.Abs(p.Days-target) < math.Abs(near.Days-target) {
			near = p
		}
	}
	skew = near.skew
	term = pts[len(pts)-1].IV - pts[0].IV
	return iv, skew, term
}

// garmanKlass is the Garman-Klass variance of one session from its range.
func garmanKlass(o, h, l, c float64) float64 {
	if !(o > 0 && h > 0 && l > 0 && c > 0) {
		return 0
	}
	hl, co := math.Log(h/l), math.Log(c/o)
	return math.Max(0.5*hl*hl-(2*math.Ln2-1)*co*co, 0)
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	}
	return math.NaN()
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
