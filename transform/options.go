package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
)

// OCC is a parsed OCC option symbol.
type OCC struct {
	Root       string
	Expiration time.Time // date, 00:00 UTC
	Type       market.OptionType
	Strike     float64
}

// occSuffix is the length of an OCC symbol after its root: YYMMDD, C or P,
// and the strike in thousandths over 8 digits.
const occSuffix = 6 + 1 + 8

// ParseOCC parses an OCC contract symbol such as AAPL260116C00150000: a root
// of 1 to 6 capital letters and digits, then the suffix, after trimming
// spaces. It is read by hand (once a regular expression, the dearest step of
// cleaning a quote after the analytics); FuzzParseOCC holds it to the
// expression.
func ParseOCC(s string) (OCC, error) {
	t := strings.TrimSpace(s)
	rootLen := len(t) - occSuffix
	if rootLen < 1 || rootLen > 6 || !occRoot(t[:rootLen]) || !digits(t[rootLen:rootLen+6]) ||
		(t[rootLen+6] != 'C' && t[rootLen+6] != 'P') || !digits(t[rootLen+7:]) {
		return OCC{}, fmt.Errorf("contract symbol %q is not ROOT+YYMMDD+C|P+STRIKE(8)", s)
	}
	date := t[rootLen : rootLen+6]
	exp, ok := occDate(date)
	if !ok {
		var err error
		if exp, err = time.Parse("060102", date); err != nil {
			return OCC{}, fmt.Errorf("contract symbol %q: expiration: %w", s, err)
		}
	}
	k := 0
	for _, c := range []byte(t[rootLen+7:]) {
		k = 10*k + int(c-'0')
	}
	typ := market.Call
	if t[rootLen+6] == 'P' {
		typ = market.Put
	}
	return OCC{Root: t[:rootLen], Expiration: exp, Type: typ, Strike: float64(k) / 1000}, nil
}

func occRoot(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// occDate reads six digits YYMMDD as time.Parse("060102") does (years 69 to
// 99 are 19xx), reporting false for a date that does not exist, whose error
// time.Parse words.
func occDate(s string) (time.Time, bool) {
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	dd := int(s[4]-'0')*10 + int(s[5]-'0')
	year := 2000 + yy
	if yy >= 69 {
		year = 1900 + yy
	}
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return time.Time{}, false
	}
	d := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if d.Day() != dd { // past the month's end
		return time.Time{}, false
	}
	return d, true
}

// expiryClose is when an equity option stops trading: 16:00 New York.
func expiryClose(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, market.NewYork).UTC()
}

// expiries remembers the last expiration's close: a chain lists one or a few
// expirations, and finding 16:00 in New York costs more than the rest of a
// quote's bookkeeping. american keeps what the American volatility searches of
// an expiration's contracts share.
type expiries struct {
	date, close time.Time
	american    quant.AmericanCache
}

func (e *expiries) closeOf(d time.Time) time.Time {
	if e.close.IsZero() || !d.Equal(e.date) {
		e.date, e.close = d, expiryClose(d)
	}
	return e.close
}

// Options cleans and enriches one option-chain message. snapshot is the
// instant the chain was taken. Rules in order: coercion (canonical symbol,
// OCC parse, Yahoo dates to UTC), de-duplication by contract keeping the
// latest listed, validation, enrichment.
func (c *Cleaner) Options(res wire.OptionResult, snapshot time.Time) ([]market.OptionQuote, []Reject) {
	quotes, rejects, _ := c.options(res, snapshot)
	return quotes, rejects
}

func (c *Cleaner) options(res wire.OptionResult, snapshot time.Time) ([]market.OptionQuote, []Reject, Report) {
	var rep Report
	sym, err := symbolOf(res.UnderlyingSymbol)
	if err != nil {
		payload, _ := json.Marshal(res)
		return nil, []Reject{{Reason: ReasonBadSymbol, Detail: err.Error(), Symbol: res.UnderlyingSymbol, Payload: payload}}, rep
	}
	spot := math.NaN()
	if p := res.Quote.RegularMarketPrice; p != nil && *p > 0 && !math.IsInf(*p, 0) {
		spot = *p
	}
	n := 0
	for si := range res.Options {
		n += len(res.Options[si].Calls) + len(res.Options[si].Puts)
	}
	// De-duplication: the last listing of a contract symbol wins.
	d := listings.Get().(*dedup)
	defer d.recycle()
	all, last := slices.Grow(d.all[:0], n), d.last
	for si := range res.Options {
		series := &res.Options[si]
		for _, side := range [...]struct {
			t  market.OptionType
			cs []wire.Contract
		}{{market.Call, series.Calls}, {market.Put, series.Puts}} {
			for i := range side.cs {
				last[side.cs[i].ContractSymbol] = len(all)
				all = append(all, listed{side.t, &side.cs[i]})
			}
		}
	}
	now := c.now().UTC()
	ch := chain{sym: sym, root: market.OCCRoot(sym), snapshot: snapshot, snapshotUTC: snapshot.UTC(),
		snapshotDate: market.DateOf(snapshot), future: c.future(snapshot), spot: spot}
	var exp expiries
	out := quoteBuffer(len(last))
	var rejects []Reject
	for i, l := range all {
		if last[l.ct.ContractSymbol] != i {
			rep.Deduplicated++
			continue
		}
		q, reason, detail := ch.option(l.t, l.ct)
		if reason != "" {
			payload, _ := json.Marshal(l.ct)
			rejects = append(rejects, Reject{Reason: reason, Detail: detail, Symbol: sym, Payload: payload})
			continue
		}
		q.IngestedAt = now
		if err := c.enrich(&q, &exp); err != nil {
			rep.Unsolved++
			rep.UnsolvedBy[unsolvedOf(err)]++
		}
		out = append(out, q)
	}
	d.all = all
	return out, rejects, rep
}

// listed is a contract of a chain, as listed.
type listed struct {
	t  market.OptionType
	ct *wire.Contract
}

// dedup is what de-duplicating a chain's contracts needs, kept between
// chains (listings): a map a message cost more to make than to use.
type dedup struct {
	all  []listed
	last map[string]int // contract symbol to its last listing in all
}

var listings = sync.Pool{New: func() any { return &dedup{last: map[string]int{}} }}

// recycle hands d back holding nothing of the chain; not after a chain so
// long that clearing its map would cost the next chains more than a new one.
func (d *dedup) recycle() {
	if len(d.all) > 4096 {
		return
	}
	clear(d.all)
	d.all = d.all[:0]
	clear(d.last)
	listings.Put(d)
}

// quoteBuffers keeps the quote slices Processor.Process is done with (a
// chain's quotes are encoded and dropped), for the next chains' quotes.
var quoteBuffers sync.Pool // of *[]market.OptionQuote

// quoteBuffer returns an empty slice with room for n quotes, recycled if
// one is at hand. Every quote appended to it is written whole.
func quoteBuffer(n int) []market.OptionQuote {
	if b, ok := quoteBuffers.Get().(*[]market.OptionQuote); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]market.OptionQuote, 0, n)
}

// recycleQuotes hands back quotes; nothing may use them afterwards.
func recycleQuotes(quotes []market.OptionQuote) {
	if cap(quotes) > 0 {
		quoteBuffers.Put(&quotes)
	}
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// chain is what the quotes of one chain message share, worked out once for
// all of them.
type chain struct {
	sym, root    string // canonical symbol, its OCC root
	snapshot     time.Time
	snapshotUTC  time.Time
	snapshotDate time.Time // the snapshot's New York date
	future       bool      // the snapshot is past the clock's horizon
	spot         float64
	// traded is the New York date of instants in [tradedFrom, tradedTo):
	// the last date a last trade fell on.
	traded, tradedFrom, tradedTo time.Time
}

// dateOf is market.DateOf(t), remembered for the day of the last t: the
// last trades of a chain fall on one or a few days.
func (ch *chain) dateOf(t time.Time) time.Time {
	if ch.tradedTo.IsZero() || t.Before(ch.tradedFrom) || !t.Before(ch.tradedTo) {
		d := market.DateOf(t)
		ch.traded = d
		ch.tradedFrom = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, market.NewYork)
		ch.tradedTo = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, market.NewYork)
	}
	return ch.traded
}

func (ch *chain) option(typ market.OptionType, ct *wire.Contract) (market.OptionQuote, string, string) {
	occ, err := ParseOCC(ct.ContractSymbol)
	if err != nil {
		return market.OptionQuote{}, ReasonContract, err.Error()
	}
	snapshot := ch.snapshot
	q := market.OptionQuote{
		SnapshotTS: ch.snapshotUTC, Symbol: ch.sym, ContractSymbol: ct.ContractSymbol, Type: typ,
		Expiration: occ.Expiration, Strike: val(ct.Strike), LastPrice: val(ct.LastPrice),
		Bid: val(ct.Bid), Ask: val(ct.Ask), Change: val(ct.Change), PercentChange: val(ct.PercentChange),
		SourceIV: val(ct.ImpliedVolatility), ContractSize: ct.ContractSize, Currency: ct.Currency,
		UnderlyingPrice: ch.spot,
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
	case q.Expiration.Before(ch.snapshotDate):
		return q, ReasonExpired, fmt.Sprintf("%s expired %s before snapshot %s", ct.ContractSymbol, q.Expiration.Format("2006-01-02"), snapshot.Format(time.RFC3339))
	case !q.LastTradeTS.IsZero() && q.Expiration.Before(ch.dateOf(q.LastTradeTS)):
		return q, ReasonExpired, fmt.Sprintf("%s expired %s before its last trade %s", ct.ContractSymbol, q.Expiration.Format("2006-01-02"), q.LastTradeTS.Format(time.RFC3339))
	case !occ.Expiration.Equal(q.Expiration) || occ.Type != typ || math.Abs(occ.Strike-q.Strike) > 1e-6:
		return q, ReasonContract, fmt.Sprintf("%s disagrees with expiration %s, type %s, strike %v", ct.ContractSymbol, q.Expiration.Format("2006-01-02"), typ, q.Strike)
	case !rootOf(occ.Root, ch.root):
		return q, ReasonContract, fmt.Sprintf("%s is not an option on %s", ct.ContractSymbol, ch.sym)
	case ch.future:
		return q, ReasonFuture, fmt.Sprintf("snapshot %s is after now", snapshot.Format(time.RFC3339))
	}
	if ct.InTheMoney != nil {
		q.InTheMoney = *ct.InTheMoney
	} else if !math.IsNaN(ch.spot) {
		q.InTheMoney = (typ == market.Call) == (ch.spot > q.Strike)
	}
	return q, "", ""
}

// enrich adds the analytics: mid, own IV and Greeks from the mid (or the
// last price when there is no two-sided quote), moneyness and time to
// expiry. It returns the solver's error when a price was there but no
// volatility reproduces it (or none is defined, at or below intrinsic value);
// IV and Greeks then stay NULL.
func (c *Cleaner) enrich(q *market.OptionQuote, exp *expiries) error {
	years := exp.closeOf(q.Expiration).Sub(q.SnapshotTS).Hours() / 24 / 365
	q.DaysToExpiry = years * 365
	q.Mid = math.NaN()
	if q.Bid >= 0 && q.Ask > 0 {
		q.Mid = (q.Bid + q.Ask) / 2
	}
	q.Moneyness, q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if math.IsNaN(q.UnderlyingPrice) {
		return nil
	}
	q.Moneyness = q.Strike / q.UnderlyingPrice
	price := q.Mid
	if math.IsNaN(price) {
		price = q.LastPrice
	}
	if math.IsNaN(price) || years <= 0 {
		return nil
	}
	p, style := c.params(q, years)
	iv, g, err := exp.american.ImpliedVolGreeks(p, price, style)
	if err != nil {
		return err
	}
	q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho = iv, g.Delta, g.Gamma, g.ThetaDay, g.Vega, g.Rho
	return nil
}

// params are the pricing inputs of a quote, IV aside, and its exercise style.
func (c *Cleaner) params(q *market.OptionQuote, years float64) (quant.Params, quant.Style) {
	kind := quant.Call
	if q.Type == market.Put {
		kind = quant.Put
	}
	style := quant.American
	if c.EuropeanIV {
		style = quant.European
	}
	return quant.Params{Kind: kind, Spot: q.UnderlyingPrice, Strike: q.Strike, Rate: c.rate(years), Div: c.dividendYield(q.Symbol, q.UnderlyingPrice, q.SnapshotTS), Time: years}, style
}

func (c *Cleaner) rate(years float64) float64 {
	if c.Curve == nil {
		return 0.04
	}
	return c.Curve.Rate(years)
}

// rootOf reports whether an OCC root names options on the symbol whose root
// is want (market.OCCRoot): want itself (BRKB for BRK.B) or, after a
// corporate action, want and one digit (AAPL1).
func rootOf(root, want string) bool {
	if root == want {
		return true
	}
	return len(root) == len(want)+1 && strings.HasPrefix(root, want) && root[len(want)] >= '0' && root[len(want)] <= '9'
}
