package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/transform/quant"
)

var occRE = regexp.MustCompile(`^([A-Z0-9]{1,6})(\d{6})([CP])(\d{8})$`)

// OCC is a parsed OCC option symbol.
type OCC struct {
	Root       string
	Expiration time.Time // date, 00:00 UTC
	Type       market.OptionType
	Strike     float64
}

// ParseOCC parses an OCC contract symbol such as AAPL260116C00150000.
func ParseOCC(s string) (OCC, error) {
	m := occRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return OCC{}, fmt.Errorf("contract symbol %q is not ROOT+YYMMDD+C|P+STRIKE(8)", s)
	}
	exp, err := time.Parse("060102", m[2])
	if err != nil {
		return OCC{}, fmt.Errorf("contract symbol %q: expiration: %w", s, err)
	}
	k, _ := strconv.Atoi(m[4])
	t := market.Call
	if m[3] == "P" {
		t = market.Put
	}
	return OCC{Root: m[1], Expiration: exp, Type: t, Strike: float64(k) / 1000}, nil
}

// expiryClose is when an equity option stops trading: 16:00 New York.
func expiryClose(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, market.NewYork).UTC()
}

// Options cleans and enriches one option-chain message. snapshot is the
// instant the chain was taken.
func (c *Cleaner) Options(res ingest.OptionResult, snapshot time.Time) ([]market.OptionQuote, []Reject) {
	sym, err := symbolOf(res.UnderlyingSymbol)
	if err != nil {
		payload, _ := json.Marshal(res)
		return nil, []Reject{{Reason: ReasonBadSymbol, Detail: err.Error(), Symbol: res.UnderlyingSymbol, Payload: payload}}
	}
	spot := math.NaN()
	if p := res.Quote.RegularMarketPrice; p != nil && *p > 0 {
		spot = *p
	}
	now := c.Now().UTC()
	var out []market.OptionQuote
	var rejects []Reject
	seen := map[string]int{}
	for _, series := range res.Options {
		for _, side := range []struct {
			t  market.OptionType
			cs []ingest.Contract
		}{{market.Call, series.Calls}, {market.Put, series.Puts}} {
			for _, ct := range side.cs {
				q, reason, detail := c.option(sym, side.t, ct, snapshot, spot)
				if reason != "" {
					payload, _ := json.Marshal(ct)
					rejects = append(rejects, Reject{Reason: reason, Detail: detail, Symbol: sym, Payload: payload})
					continue
				}
				q.IngestedAt = now
				if j, dup := seen[q.ContractSymbol]; dup {
					out[j] = q
					continue
				}
				seen[q.ContractSymbol] = len(out)
				out = append(out, q)
			}
		}
	}
	return out, rejects
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func (c *Cleaner) option(sym string, typ market.OptionType, ct ingest.Contract, snapshot time.Time, spot float64) (market.OptionQuote, string, string) {
	occ, err := ParseOCC(ct.ContractSymbol)
	if err != nil {
		return market.OptionQuote{}, ReasonContract, err.Error()
	}
	q := market.OptionQuote{
		SnapshotTS: snapshot.UTC(), Symbol: sym, ContractSymbol: ct.ContractSymbol, Type: typ,
		Expiration: occ.Expiration, Strike: val(ct.Strike), LastPrice: val(ct.LastPrice),
		Bid: val(ct.Bid), Ask: val(ct.Ask), Change: val(ct.Change), PercentChange: val(ct.PercentChange),
		SourceIV: val(ct.ImpliedVolatility), ContractSize: ct.ContractSize, Currency: ct.Currency,
		UnderlyingPrice: spot,
	}
	if ct.Volume != nil {
		q.Volume = *ct.Volume
	}
	if ct.OpenInterest != nil {
		q.OpenInterest = *ct.OpenInterest
	}
	if ct.LastTradeDate != nil {
		q.LastTradeTS = time.Unix(*ct.LastTradeDate, 0).UTC()
	}
	if ct.Expiration != nil {
		// Yahoo dates expirations at 00:00 UTC of the expiration day.
		q.Expiration = time.Unix(*ct.Expiration, 0).UTC().Truncate(24 * time.Hour)
	}
	switch {
	case math.IsNaN(q.Strike) || q.Strike <= 0:
		return q, ReasonStrike, fmt.Sprintf("%s strike %v", ct.ContractSymbol, q.Strike)
	case q.Bid < 0 || q.Ask < 0 || q.LastPrice < 0:
		return q, ReasonNegativeQuote, fmt.Sprintf("%s bid %v ask %v last %v", ct.ContractSymbol, q.Bid, q.Ask, q.LastPrice)
	case q.Bid > q.Ask:
		return q, ReasonCrossed, fmt.Sprintf("%s bid %v > ask %v", ct.ContractSymbol, q.Bid, q.Ask)
	case q.Expiration.Before(market.DateOf(snapshot)):
		return q, ReasonExpired, fmt.Sprintf("%s expired %s before snapshot %s", ct.ContractSymbol, q.Expiration.Format("2006-01-02"), snapshot.Format(time.RFC3339))
	case !occ.Expiration.Equal(q.Expiration) || occ.Type != typ || math.Abs(occ.Strike-q.Strike) > 1e-6:
		return q, ReasonContract, fmt.Sprintf("%s disagrees with expiration %s, type %s, strike %v", ct.ContractSymbol, q.Expiration.Format("2006-01-02"), typ, q.Strike)
	case !strings.HasPrefix(occ.Root, market.OCCRoot(sym)):
		return q, ReasonContract, fmt.Sprintf("%s is not an option on %s", ct.ContractSymbol, sym)
	case c.future(snapshot):
		return q, ReasonFuture, fmt.Sprintf("snapshot %s is after now", snapshot.Format(time.RFC3339))
	}
	if ct.InTheMoney != nil {
		q.InTheMoney = *ct.InTheMoney
	} else if !math.IsNaN(spot) {
		q.InTheMoney = (typ == market.Call) == (spot > q.Strike)
	}
	c.enrich(&q)
	return q, "", ""
}

// enrich adds the analytics: mid, own IV and Greeks from the mid (or the
// last price when there is no two-sided quote), moneyness and time to expiry.
func (c *Cleaner) enrich(q *market.OptionQuote) {
	years := expiryClose(q.Expiration).Sub(q.SnapshotTS).Hours() / 24 / 365
	q.DaysToExpiry = years * 365
	q.Mid = math.NaN()
	if q.Bid >= 0 && q.Ask > 0 {
		q.Mid = (q.Bid + q.Ask) / 2
	}
	q.Moneyness, q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if math.IsNaN(q.UnderlyingPrice) {
		return
	}
	q.Moneyness = q.Strike / q.UnderlyingPrice
	price := q.Mid
	if math.IsNaN(price) {
		price = q.LastPrice
	}
	if math.IsNaN(price) || years <= 0 {
		return
	}
	kind := quant.Call
	if q.Type == market.Put {
		kind = quant.Put
	}
	p := quant.Params{Kind: kind, Spot: q.UnderlyingPrice, Strike: q.Strike, Rate: c.rate(years), Div: c.Dividends[q.Symbol], Time: years}
	iv, err := quant.ImpliedVol(p, price)
	if err != nil {
		return // no solution: IV and Greeks stay NULL
	}
	p.Vol = iv
	g := quant.BSMGreeks(p)
	q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho = iv, g.Delta, g.Gamma, g.ThetaDay, g.Vega, g.Rho
}

func (c *Cleaner) rate(years float64) float64 {
	if c.Curve == nil {
		return 0.04
	}
	return c.Curve.Rate(years)
}
