package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Reason codes of corporate actions.
const (
	ReasonUnknownSymbol = "unknown_symbol"   // the chart answer is Yahoo's error: no such symbol
	ReasonDividend      = "bad_dividend"     // a dividend amount not above zero
	ReasonSplitRatio    = "bad_split_ratio"  // a split numerator or denominator not above zero
	ReasonPartial       = "partial_response" // a chart answer without a result or its symbol
)

// corporateActions cleans one chart response's events: each dividend and
// split becomes a CorporateAction dated by its New York session date, or a
// reject with its reason; the rest of the message still flows.
func (c *Cleaner) corporateActions(value []byte) ([]market.CorporateAction, []Reject) {
	res, err := wire.DecodeChart(value)
	var ce *wire.ChartError
	switch {
	case errors.As(err, &ce):
		return nil, []Reject{{Reason: ReasonUnknownSymbol, Detail: ce.Error(), Payload: value}}
	case err != nil && json.Valid(value):
		return nil, []Reject{{Reason: ReasonPartial, Detail: err.Error(), Payload: value}}
	case err != nil:
		return nil, []Reject{{Reason: ReasonDecode, Detail: err.Error(), Payload: value}}
	}
	sym, err := symbolOf(res.Meta.Symbol)
	if err != nil {
		return nil, []Reject{{Reason: ReasonBadSymbol, Detail: err.Error(), Symbol: res.Meta.Symbol, Payload: value}}
	}
	if res.Events == nil {
		return nil, nil // no dividend or split in the range
	}
	now := c.now().UTC()
	var (
		out     []market.CorporateAction
		rejects []Reject
	)
	reject := func(reason, key string, ev any, format string, args ...any) {
		payload, _ := json.Marshal(map[string]any{key: ev})
		rejects = append(rejects, Reject{Reason: reason, Detail: sym + " " + fmt.Sprintf(format, args...), Symbol: sym, Payload: payload})
	}
	exDate := func(key string, date *int64, ev any) (time.Time, bool) {
		d, err := wire.EventDate(key, date)
		if err != nil {
			reject(ReasonMissingValue, key, ev, "%v", err)
			return time.Time{}, false
		}
		at := time.Unix(d, 0)
		if c.future(at) {
			reject(ReasonFuture, key, ev, "event at %s is in the future", at.UTC().Format(time.RFC3339))
			return time.Time{}, false
		}
		return market.DateOf(at), true
	}
	for _, key := range sortedKeys(res.Events.Dividends) {
		ev := res.Events.Dividends[key]
		d, ok := exDate(key, ev.Date, ev)
		if !ok {
			continue
		}
		switch a := ev.Amount; {
		case a == nil:
			reject(ReasonMissingValue, key, ev, "dividend on %s has no amount", d.Format(time.DateOnly))
		case !(*a > 0) || math.IsInf(*a, 0):
			reject(ReasonDividend, key, ev, "dividend on %s of %v: want an amount above zero", d.Format(time.DateOnly), *a)
		default:
			out = append(out, market.CorporateAction{Symbol: sym, ExDate: d, Action: market.ActionDividend,
				Amount: *a, Numerator: math.NaN(), Denominator: math.NaN(), IngestedAt: now})
		}
	}
	for _, key := range sortedKeys(res.Events.Splits) {
		ev := res.Events.Splits[key]
		d, ok := exDate(key, ev.Date, ev)
		if !ok {
			continue
		}
		n, m := ev.Numerator, ev.Denominator
		switch {
		case n == nil || m == nil:
			reject(ReasonMissingValue, key, ev, "split on %s has no numerator or denominator", d.Format(time.DateOnly))
		case !(*n > 0) || !(*m > 0) || math.IsInf(*n, 0) || math.IsInf(*m, 0):
			reject(ReasonSplitRatio, key, ev, "split on %s of %v:%v: want both sides above zero", d.Format(time.DateOnly), *n, *m)
		default:
			out = append(out, market.CorporateAction{Symbol: sym, ExDate: d, Action: market.ActionSplit,
				Amount: math.NaN(), Numerator: *n, Denominator: *m, IngestedAt: now})
		}
	}
	// One row per natural key: two events filed on one session date keep the first.
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ExDate.Equal(out[j].ExDate) {
			return out[i].ExDate.Before(out[j].ExDate)
		}
		return out[i].Action < out[j].Action
	})
	kept := out[:0]
	for i, a := range out {
		if i > 0 && a.ExDate.Equal(out[i-1].ExDate) && a.Action == out[i-1].Action {
			continue
		}
		kept = append(kept, a)
	}
	c.rememberDividends(sym, kept)
	return kept, rejects
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func init() {
	register(market.CleanCorporateActions, func(c *Cleaner, feed market.Feed, value []byte, _ string) Result {
		actions, rj := c.corporateActions(value)
		return Result{Dataset: feed.Dataset, Rows: actions, N: len(actions), Rejects: rj}
	})
}

// dividendHistory is what the processor has seen of a symbol's cash
// dividends, for the trailing yield.
type dividendHistory map[time.Time]float64 // ex-date -> amount

// rememberDividends keeps a symbol's dividends for TrailingYield, one
// amount per ex-date (a restated dividend replaces the one before).
func (c *Cleaner) rememberDividends(sym string, actions []market.CorporateAction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dividends == nil {
		c.dividends = map[string]dividendHistory{}
	}
	h := c.dividends[sym]
	if h == nil {
		h = dividendHistory{}
		c.dividends[sym] = h
	}
	for _, a := range actions {
		if a.Action == market.ActionDividend {
			h[a.ExDate] = a.Amount
		}
	}
}

// TrailingYield is sym's trailing 12-month dividend yield at spot, as a
// continuous rate: q = ln(1 + D/spot), D the cash dividends whose ex-date
// falls in the year up to and including at's session date. ok is false
// when the processor has seen no corporate actions for sym.
func (c *Cleaner) TrailingYield(sym string, spot float64, at time.Time) (q float64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.dividends[sym]
	if !ok || !(spot > 0) {
		return 0, ok
	}
	to := market.DateOf(at)
	from := to.AddDate(-1, 0, 0)
	var d float64
	for ex, amount := range h {
		if ex.After(from) && !ex.After(to) {
			d += amount
		}
	}
	return math.Log1p(d / spot), true
}

// dividendYield is the yield options of sym are priced with: the given
// Dividends when there are any (--dividend-yields), else the trailing
// yield from the corporate actions the processor has cleaned, else 0.
func (c *Cleaner) dividendYield(sym string, spot float64, at time.Time) float64 {
	if c.Dividends != nil {
		return c.Dividends[sym]
	}
	q, _ := c.TrailingYield(sym, spot, at)
	return q
}

// WarmDividends reads the corporate actions already cleaned (their processed
// topic, from the beginning, outside any consumer group) and remembers their
// dividends, so trailing yields are right after a restart rather than 0 until
// the next collection. It returns the number of dividends read.
func (c *Cleaner) WarmDividends(ctx context.Context, k stream.Cluster) (int, error) {
	feed, err := market.FeedOf(market.CorporateActions)
	if err != nil {
		return 0, err
	}
	msgs, err := stream.Tail(ctx, k, feed.Processed, math.MaxInt)
	if err != nil {
		return 0, fmt.Errorf("warm dividends: %w", err)
	}
	n := 0
	for _, m := range msgs {
		recs, err := stream.DecodeBatches(market.CorporateActions, m.Value)
		if err != nil {
			return n, fmt.Errorf("warm dividends: %s/%d at %d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		for _, rec := range recs {
			got, err := dividendsOf(rec)
			rec.Release()
			if err != nil {
				return n, fmt.Errorf("warm dividends: %s/%d at %d: %w", m.Topic, m.Partition, m.Offset, err)
			}
			for sym, actions := range got {
				c.rememberDividends(sym, actions)
				n += len(actions)
			}
		}
	}
	return n, nil
}

// dividendsOf reads the cash dividends of a corporate_actions batch, by symbol.
func dividendsOf(rec arrow.RecordBatch) (map[string][]market.CorporateAction, error) {
	col := func(name string) (arrow.Array, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("no column %s", name)
		}
		return rec.Column(idx[0]), nil
	}
	var arrs [4]arrow.Array
	for i, name := range []string{"symbol", "ex_date", "action", "amount"} {
		a, err := col(name)
		if err != nil {
			return nil, err
		}
		arrs[i] = a
	}
	sym, ok1 := arrs[0].(*array.String)
	ex, ok2 := arrs[1].(*array.Date32)
	act, ok3 := arrs[2].(*array.String)
	amt, ok4 := arrs[3].(*array.Float64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, fmt.Errorf("corporate_actions columns of unexpected types")
	}
	out := map[string][]market.CorporateAction{}
	for i := 0; i < int(rec.NumRows()); i++ {
		if act.Value(i) != market.ActionDividend || amt.IsNull(i) {
			continue
		}
		s := sym.Value(i)
		out[s] = append(out[s], market.CorporateAction{Symbol: s, ExDate: ex.Value(i).ToTime(),
			Action: market.ActionDividend, Amount: amt.Value(i)})
	}
	return out, nil
}
