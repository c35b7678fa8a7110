package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// snapshot resolves a symbol and the snapshot a request asks for (RFC 3339
// instant, "" for the newest), or answers 404.
func (s *Server) snapshot(ctx context.Context, symbol, snapshot string) (market.Company, time.Time, error) {
	c, err := company(symbol)
	if err != nil {
		return c, time.Time{}, err
	}
	at, err := parseInstant("snapshot", snapshot)
	if err != nil {
		return c, time.Time{}, err
	}
	done := s.timed("snapshot")
	snap, ok, err := s.Engine.Snapshot(ctx, c.Symbol, at)
	done()
	if err != nil {
		return c, time.Time{}, s.internal("latest snapshot", err)
	}
	if !ok {
		if at.IsZero() {
			return c, time.Time{}, huma.Error404NotFound(fmt.Sprintf("no option snapshots of %s yet", c.Symbol))
		}
		return c, time.Time{}, huma.Error404NotFound(fmt.Sprintf("no option snapshot of %s at or before %s", c.Symbol, at.UTC().Format(time.RFC3339)))
	}
	return c, snap, nil
}

func parseInstant(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, huma.Error422UnprocessableEntity(fmt.Sprintf("%s %q is not an RFC 3339 time (e.g. 2026-11-27T20:00:00Z)", name, v))
	}
	return t, nil
}

// chainFilter narrows one snapshot's chain.
type chainFilter struct {
	expiration           time.Time // zero: every expiration
	optionType           string    // "call", "put", or "" / "both"
	minStrike, maxStrike float64   // zero: unbounded
}

func (s *Server) validateChainFilter(expiration, optionType string, minStrike, maxStrike float64) (chainFilter, error) {
	f := chainFilter{optionType: optionType, minStrike: minStrike, maxStrike: maxStrike}
	if expiration != "" {
		var err error
		if f.expiration, err = parseDate("expiration", expiration, time.Time{}); err != nil {
			return f, err
		}
	}
	if maxStrike > 0 && minStrike > maxStrike {
		return f, huma.Error422UnprocessableEntity(fmt.Sprintf("min_strike %g is above max_strike %g", minStrike, maxStrike))
	}
	return f, nil
}

// chain reads one snapshot's contracts (the Chain read model), split into
// calls and puts, ordered by expiration and strike, with the expirations
// seen and the spot.
func (s *Server) chain(ctx context.Context, symbol string, snap time.Time, f chainFilter) (calls, puts []OptionRow, expirations []string, spot *float64, err error) {
	q := query.ChainQuery{Symbol: symbol, Snapshot: snap, Expiration: f.expiration, MinStrike: f.minStrike, MaxStrike: f.maxStrike}
	if f.optionType != "both" {
		q.Type = market.OptionType(f.optionType)
	}
	done := s.timed("chain")
	quotes, err := s.Engine.Chain(ctx, q)
	done()
	if err != nil {
		return nil, nil, nil, nil, s.internal("query options", err)
	}
	calls, puts, expirations = []OptionRow{}, []OptionRow{}, []string{}
	seen := map[string]bool{}
	for _, o := range quotes {
		r := optionRow(o)
		if u := number(o.UnderlyingPrice); u != nil {
			spot = u
		}
		if !seen[r.ExpirationDate] {
			seen[r.ExpirationDate] = true
			expirations = append(expirations, r.ExpirationDate)
		}
		if o.Type == market.Put {
			puts = append(puts, r)
		} else {
			calls = append(calls, r)
		}
	}
	return calls, puts, expirations, spot, nil
}

// number is a record's float as JSON: null for NaN (a NULL in the lake).
func number(x float64) *float64 {
	if x != x {
		return nil
	}
	return &x
}

// ExpirationsInput selects a symbol's snapshot.
type ExpirationsInput struct {
	Symbol   string `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Snapshot string `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest" example:"2026-11-27T20:00:00Z"`
}

// Expiration is one expiration of a snapshot.
type Expiration struct {
	Expiration   string  `json:"expiration" example:"2026-12-18"`
	DaysToExpiry float64 `json:"days_to_expiry"`
	Calls        int     `json:"calls" doc:"Call contracts quoted"`
	Puts         int     `json:"puts" doc:"Put contracts quoted"`
}

// ExpirationsOutput lists a snapshot's expirations.
type ExpirationsOutput struct {
	Body struct {
		Symbol      string       `json:"symbol"`
		SnapshotTS  time.Time    `json:"snapshot_ts"`
		Expirations []Expiration `json:"expirations"`
	}
}

func (s *Server) expirations(ctx context.Context, in *ExpirationsInput) (*ExpirationsOutput, error) {
	c, snap, err := s.snapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	done := s.timed("expirations")
	exps, err := s.Engine.Expirations(ctx, c.Symbol, snap)
	done()
	if err != nil {
		return nil, s.internal("query expirations", err)
	}
	out := &ExpirationsOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.Expirations = c.Symbol, snap, make([]Expiration, len(exps))
	for i, x := range exps {
		out.Body.Expirations[i] = Expiration{Expiration: x.Expiration.Format(time.DateOnly), DaysToExpiry: x.DaysToExpiry, Calls: x.Calls, Puts: x.Puts}
	}
	return out, nil
}

// ChainInput selects one snapshot's chain.
type ChainInput struct {
	Symbol     string  `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Expiration string  `query:"expiration" doc:"Only this expiration (YYYY-MM-DD)" example:"2026-12-18"`
	Type       string  `query:"type" enum:"call,put,both" default:"both"`
	MinStrike  float64 `query:"min_strike" minimum:"0"`
	MaxStrike  float64 `query:"max_strike" minimum:"0"`
	Snapshot   string  `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest"`
}

// ChainOutput is one snapshot of a chain with tickerlake's own implied
// volatility and Greeks on every contract: the legacy shape.
type ChainOutput = OptionsDataOutput

func (s *Server) optionChain(ctx context.Context, in *ChainInput) (*ChainOutput, error) {
	f, err := s.validateChainFilter(in.Expiration, in.Type, in.MinStrike, in.MaxStrike)
	if err != nil {
		return nil, err
	}
	c, snap, err := s.snapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	out := &ChainOutput{}
	b := &out.Body
	b.Symbol, b.SnapshotTS = c.Symbol, snap
	if b.Calls, b.Puts, b.Expirations, b.UnderlyingPrice, err = s.chain(ctx, c.Symbol, snap, f); err != nil {
		return nil, err
	}
	if !f.expiration.IsZero() && len(b.Expirations) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("the %s snapshot of %s has no expiration %s", snap.Format(time.RFC3339), c.Symbol, in.Expiration))
	}
	return out, nil
}

// SmilePoint is the implied volatility at one strike of a stored smile.
type SmilePoint struct {
	Strike       float64  `json:"strike"`
	Moneyness    *float64 `json:"moneyness" doc:"strike / underlying"`
	CallIV       *float64 `json:"call_iv"`
	PutIV        *float64 `json:"put_iv"`
	IV           *float64 `json:"iv" doc:"Out-of-the-money side, from the forward: the put below it, the call at or above (iv_smile dataset)"`
	LogMoneyness *float64 `json:"log_moneyness,omitempty" doc:"ln(strike / forward) (iv_smile dataset)"`
	Delta        *float64 `json:"delta,omitempty" doc:"Delta of the out-of-the-money contract (iv_smile dataset)"`
	OptionType   string   `json:"option_type,omitempty" enum:"call,put" doc:"Which side iv is from (iv_smile dataset)"`
}

// Smile is one expiration's implied-volatility curve.
type Smile struct {
	Expiration   string       `json:"expiration" example:"2026-12-18"`
	DaysToExpiry *float64     `json:"days_to_expiry"`
	ATMIV        *float64     `json:"atm_iv" doc:"IV interpolated at the forward (iv_smile dataset)"`
	Forward      *float64     `json:"forward" doc:"S·e^{(r-q)T}, where the smile is centred (iv_smile dataset)"`
	Call25IV     *float64     `json:"call_25d_iv" doc:"IV at call delta 0.25 (iv_smile dataset)"`
	Put25IV      *float64     `json:"put_25d_iv" doc:"IV at put delta -0.25 (iv_smile dataset)"`
	Skew25       *float64     `json:"skew_25d" doc:"put_25d_iv - call_25d_iv"`
	Butterfly25  *float64     `json:"butterfly_25d" doc:"(put_25d_iv + call_25d_iv) / 2 - atm_iv"`
	Points       []SmilePoint `json:"points"`
}

// smiles reads the smiles the processor stored in iv_smile for one
// snapshot, one expiration or all, and the snapshot's underlying price.
// Nothing is recomputed here: out of the money is measured from the
// forward, as transform defines it, in one place.
func (s *Server) smiles(ctx context.Context, symbol string, snap, expiration time.Time) ([]Smile, *float64, error) {
	done := s.timed("smile")
	stored, err := s.Engine.Smiles(ctx, symbol, snap, expiration)
	done()
	if err != nil {
		return nil, nil, s.internal("query smile", err)
	}
	var spot *float64
	out := make([]Smile, len(stored))
	for i, sm := range stored {
		r := sm.Row
		if u := number(r.UnderlyingPrice); u != nil {
			spot = u
		}
		out[i] = Smile{Expiration: r.Expiration.Format(time.DateOnly), DaysToExpiry: number(r.DaysToExpiry), ATMIV: number(r.ATMIV),
			Forward: number(r.Forward), Call25IV: number(r.Call25IV), Put25IV: number(r.Put25IV), Skew25: number(r.Skew25),
			Butterfly25: number(r.Butterfly25), Points: make([]SmilePoint, len(sm.Points))}
		for j, p := range sm.Points {
			out[i].Points[j] = SmilePoint{Strike: p.Strike, Moneyness: number(p.Moneyness), CallIV: number(p.CallIV), PutIV: number(p.PutIV),
				IV: number(p.IV), LogMoneyness: number(p.LogMoneyness), Delta: number(p.Delta), OptionType: string(p.Type)}
		}
	}
	return out, spot, nil
}

// SmileInput selects one expiration of a snapshot.
type SmileInput struct {
	Symbol     string `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Expiration string `query:"expiration" required:"true" doc:"Expiration date (YYYY-MM-DD)" example:"2026-12-18"`
	Snapshot   string `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest"`
}

// SmileOutput is one expiration's smile.
type SmileOutput struct {
	Body struct {
		Symbol          string    `json:"symbol"`
		SnapshotTS      time.Time `json:"snapshot_ts"`
		UnderlyingPrice *float64  `json:"underlying_price"`
		Smile
	}
}

func (s *Server) smile(ctx context.Context, in *SmileInput) (*SmileOutput, error) {
	exp, err := parseDate("expiration", in.Expiration, time.Time{})
	if err != nil {
		return nil, err
	}
	c, snap, err := s.snapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	sm, spot, err := s.smiles(ctx, c.Symbol, snap, exp)
	if err != nil {
		return nil, err
	}
	if len(sm) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("the %s snapshot of %s has no expiration %s", snap.Format(time.RFC3339), c.Symbol, in.Expiration))
	}
	out := &SmileOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.UnderlyingPrice, out.Body.Smile = c.Symbol, snap, spot, sm[0]
	return out, nil
}

// SurfaceOutput is every expiration's smile of one snapshot.
type SurfaceOutput struct {
	Body struct {
		Symbol          string    `json:"symbol"`
		SnapshotTS      time.Time `json:"snapshot_ts"`
		UnderlyingPrice *float64  `json:"underlying_price"`
		Smiles          []Smile   `json:"smiles" doc:"One per expiration, nearest first"`
	}
}

func (s *Server) surface(ctx context.Context, in *ExpirationsInput) (*SurfaceOutput, error) {
	c, snap, err := s.snapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	sm, spot, err := s.smiles(ctx, c.Symbol, snap, time.Time{})
	if err != nil {
		return nil, err
	}
	out := &SurfaceOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.UnderlyingPrice, out.Body.Smiles = c.Symbol, snap, spot, sm
	if out.Body.Smiles == nil {
		out.Body.Smiles = []Smile{}
	}
	return out, nil
}

// ContractInput names one option contract.
type ContractInput struct {
	Contract string `path:"contract" pattern:"^[A-Z][A-Z0-9]{0,5}[0-9]{6}[CP][0-9]{8}$" doc:"OCC contract symbol: root, YYMMDD, C or P, strike × 1000 in 8 digits" example:"AAPL261218C00200000"`
	From     string `query:"from" doc:"First snapshot instant (RFC 3339)"`
	To       string `query:"to" doc:"Last snapshot instant (RFC 3339)"`
	Limit    int    `query:"limit" minimum:"1" maximum:"10000" default:"2000" doc:"Most snapshots returned, newest kept"`
}

// ContractQuote is a contract in one snapshot.
type ContractQuote struct {
	SnapshotTS      time.Time `json:"snapshot_ts"`
	UnderlyingPrice *float64  `json:"underlying_price"`
	Bid             *float64  `json:"bid"`
	Ask             *float64  `json:"ask"`
	Mid             *float64  `json:"mid"`
	LastPrice       *float64  `json:"last_price"`
	Volume          int64     `json:"volume"`
	OpenInterest    int64     `json:"open_interest"`
	SourceIV        *float64  `json:"source_iv" doc:"The provider's implied volatility"`
	IV              *float64  `json:"iv" doc:"tickerlake's own implied volatility"`
	Delta           *float64  `json:"delta"`
	Gamma           *float64  `json:"gamma"`
	Theta           *float64  `json:"theta"`
	Vega            *float64  `json:"vega"`
	Rho             *float64  `json:"rho"`
}

// ContractOutput is the point-in-time history of one contract.
type ContractOutput struct {
	Body struct {
		ContractSymbol string          `json:"contract_symbol"`
		Symbol         string          `json:"symbol"`
		OptionType     string          `json:"option_type" enum:"call,put"`
		Expiration     string          `json:"expiration"`
		Strike         float64         `json:"strike"`
		History        []ContractQuote `json:"history" doc:"Oldest first"`
	}
}

func (s *Server) contractHistory(ctx context.Context, in *ContractInput) (*ContractOutput, error) {
	from, err := parseInstant("from", in.From)
	if err != nil {
		return nil, err
	}
	to, err := parseInstant("to", in.To)
	if err != nil {
		return nil, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("from %s is after to %s", in.From, in.To))
	}
	done := s.timed("contract")
	quotes, err := s.Engine.ContractHistory(ctx, query.ContractQuery{Contract: in.Contract, From: from, To: to, Limit: in.Limit})
	done()
	if err != nil {
		return nil, s.internal("query contract", err)
	}
	if len(quotes) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("no snapshots of contract %s", in.Contract))
	}
	out := &ContractOutput{}
	b := &out.Body
	first := quotes[0]
	b.ContractSymbol, b.Symbol, b.OptionType, b.Expiration, b.Strike = in.Contract, first.Symbol, string(first.Type), first.Expiration.Format(time.DateOnly), first.Strike
	b.History = make([]ContractQuote, len(quotes))
	for i, o := range quotes {
		b.History[i] = ContractQuote{SnapshotTS: o.SnapshotTS, UnderlyingPrice: number(o.UnderlyingPrice), Bid: number(o.Bid), Ask: number(o.Ask),
			Mid: number(o.Mid), LastPrice: number(o.LastPrice), Volume: o.Volume, OpenInterest: o.OpenInterest, SourceIV: number(o.SourceIV),
			IV: number(o.IV), Delta: number(o.Delta), Gamma: number(o.Gamma), Theta: number(o.Theta), Vega: number(o.Vega), Rho: number(o.Rho)}
	}
	return out, nil
}
