package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Synthetic serves the synthetic market in the providers' shapes: bars as
// Twelve Data time_series responses, chains as Yahoo options responses,
// dividends and splits as Yahoo chart events.
type Synthetic struct {
	Market *synthetic.Market
	// OptionDays is how far ahead expirations are collected (default 90).
	OptionDays int
}

// NewSynthetic wraps a synthetic market.
func NewSynthetic(m *synthetic.Market) *Synthetic { return &Synthetic{Market: m, OptionDays: 90} }

// Name implements Source.
func (s *Synthetic) Name() string { return "synthetic" }

// Fetch implements Source.
func (s *Synthetic) Fetch(ctx context.Context, t Task, emit func(Raw) error) error {
	symbols := t.Symbols
	if len(symbols) == 0 {
		symbols = s.Market.Symbols()
	}
	for _, sym := range symbols {
		if err := ctx.Err(); err != nil {
			return err
		}
		msgs, err := s.render(t, sym)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := emit(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Synthetic) render(t Task, sym string) ([]Raw, error) {
	switch t.Kind {
	case Daily, Historical:
		// Daily windows are dates at 00:00 UTC; To is exclusive.
		day := 24 * time.Hour
		bars := s.Market.Daily(sym, t.From.Truncate(day), t.To.Add(-time.Nanosecond).Truncate(day))
		vals := make([]wire.TSValue, 0, len(bars))
		for _, b := range bars {
			vals = append(vals, tsValue(b.Date.Format("2006-01-02"), b.Open, b.High, b.Low, b.Close, b.Volume))
		}
		return s.series(t, sym, wire.Interval1Day, vals)
	case Intraday:
		var vals []wire.TSValue
		for d := market.DateOf(t.From); !d.After(market.DateOf(t.To)); d = d.AddDate(0, 0, 1) {
			for _, b := range s.Market.Intraday(sym, d) {
				if b.TS.Before(t.From) || !b.TS.Before(t.To) {
					continue
				}
				vals = append(vals, tsValue(b.TS.In(market.NewYork).Format("2006-01-02 15:04:05"), b.Open, b.High, b.Low, b.Close, b.Volume))
			}
		}
		return s.series(t, sym, wire.Interval15Min, vals)
	case Options:
		return s.chains(t, sym)
	case Actions:
		return s.actions(t, sym)
	}
	return nil, fmt.Errorf("synthetic: unknown task kind %q", t.Kind)
}

func tsValue(dt string, o, h, l, c float64, v int64) wire.TSValue {
	return wire.TSValue{Datetime: dt, Open: wire.FormatPrice(o), High: wire.FormatPrice(h), Low: wire.FormatPrice(l),
		Close: wire.FormatPrice(c), Volume: strconv.FormatInt(v, 10)}
}

func (s *Synthetic) series(t Task, sym, interval string, vals []wire.TSValue) ([]Raw, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	// Twelve Data lists newest first.
	for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
		vals[i], vals[j] = vals[j], vals[i]
	}
	ts := wire.TimeSeries{
		Meta: wire.TimeSeriesMeta{Symbol: sym, Interval: interval, Currency: "USD",
			ExchangeTimezone: "America/New_York", Exchange: "NYSE", Type: "Common Stock"},
		Values: vals, Status: "ok",
	}
	b, err := json.Marshal(ts)
	if err != nil {
		return nil, fmt.Errorf("encode %s series: %w", sym, err)
	}
	topic, err := t.Kind.Topic()
	if err != nil {
		return nil, err
	}
	return []Raw{{Topic: topic, Symbol: sym, Value: b, Headers: s.headers(t, wire.SchemaTimeSeries)}}, nil
}

func (s *Synthetic) headers(t Task, schema string, kv ...string) []kafka.Header {
	return RawHeaders(s.Name(), t, schema, kv...)
}

func (s *Synthetic) chains(t Task, sym string) ([]Raw, error) {
	quotes := s.Market.Chain(sym, t.To, s.OptionDays)
	if len(quotes) == 0 {
		return nil, nil
	}
	byExp := map[int64]*wire.OptionSeries{}
	var exps []int64
	var strikes []float64
	seen := map[float64]bool{}
	for _, q := range quotes {
		e := q.Expiration.Unix()
		os, ok := byExp[e]
		if !ok {
			os = &wire.OptionSeries{ExpirationDate: e}
			byExp[e] = os
			exps = append(exps, e)
		}
		c := contract(q)
		if q.Type == market.Call {
			os.Calls = append(os.Calls, c)
		} else {
			os.Puts = append(os.Puts, c)
		}
		if !seen[q.Strike] {
			seen[q.Strike] = true
			strikes = append(strikes, q.Strike)
		}
	}
	sort.Slice(exps, func(i, j int) bool { return exps[i] < exps[j] })
	sort.Float64s(strikes)
	spot := quotes[0].UnderlyingPrice
	at := t.To.Unix()
	var out []Raw
	for _, e := range exps {
		var oc wire.OptionChain
		oc.OptionChain.Result = []wire.OptionResult{{
			UnderlyingSymbol: market.YahooSymbol(sym),
			ExpirationDates:  exps,
			Strikes:          strikes,
			Quote:            wire.YahooQuote{Symbol: market.YahooSymbol(sym), RegularMarketPrice: &spot, RegularMarketTime: &at, Currency: "USD"},
			Options:          []wire.OptionSeries{*byExp[e]},
		}}
		b, err := json.Marshal(oc)
		if err != nil {
			return nil, fmt.Errorf("encode %s chain: %w", sym, err)
		}
		out = append(out, Raw{Topic: stream.OptionData, Symbol: sym, Value: b,
			Headers: s.headers(t, wire.SchemaOptionChain, stream.HeaderSnapshot, t.To.UTC().Format(time.RFC3339Nano))})
	}
	return out, nil
}

func contract(q market.OptionQuote) wire.Contract {
	exp := q.Expiration.Unix()
	c := wire.Contract{
		ContractSymbol: q.ContractSymbol, Currency: q.Currency, ContractSize: q.ContractSize,
		Strike: fptr(q.Strike), LastPrice: fptr(q.LastPrice), Change: fptr(q.Change),
		PercentChange: fptr(q.PercentChange), Bid: fptr(q.Bid), Ask: fptr(q.Ask),
		ImpliedVolatility: fptr(q.SourceIV), Volume: &q.Volume, OpenInterest: &q.OpenInterest,
		Expiration: &exp, InTheMoney: &q.InTheMoney,
	}
	if !q.LastTradeTS.IsZero() {
		lt := q.LastTradeTS.Unix()
		c.LastTradeDate = &lt
	}
	return c
}

// fptr drops NaN, which JSON cannot carry: Yahoo leaves such fields out.
func fptr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// actions renders the symbol's dividends and splits in [From, To) as Yahoo's
// chart answer: events keyed by their unix second at the session's open.
func (s *Synthetic) actions(t Task, sym string) ([]Raw, error) {
	var c wire.Chart
	res := wire.ChartResult{Meta: wire.ChartMeta{Symbol: market.YahooSymbol(sym), Currency: "USD"}}
	for _, a := range s.Market.Actions(sym, t.From, t.To.Add(-time.Nanosecond)) {
		open := time.Date(a.ExDate.Year(), a.ExDate.Month(), a.ExDate.Day(), 9, 30, 0, 0, market.NewYork).Unix()
		key := strconv.FormatInt(open, 10)
		if res.Events == nil {
			res.Events = &wire.ChartEvents{Dividends: map[string]wire.ChartDividend{}, Splits: map[string]wire.ChartSplit{}}
		}
		if a.Action == market.ActionSplit {
			res.Events.Splits[key] = wire.ChartSplit{Date: &open, Numerator: &a.Numerator, Denominator: &a.Denominator,
				SplitRatio: fmt.Sprintf("%g:%g", a.Numerator, a.Denominator)}
			continue
		}
		res.Events.Dividends[key] = wire.ChartDividend{Amount: &a.Amount, Date: &open}
	}
	c.Chart.Result = []wire.ChartResult{res}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode %s chart: %w", sym, err)
	}
	topic, err := t.Kind.Topic()
	if err != nil {
		return nil, err
	}
	return []Raw{{Topic: topic, Symbol: sym, Value: b, Headers: s.headers(t, wire.SchemaChartEvents)}}, nil
}
