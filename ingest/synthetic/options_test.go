package synthetic

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
)

var occSymbol = regexp.MustCompile(`^([A-Z]{1,6})(\d{6})([CP])(\d{8})$`)

func TestChain(t *testing.T) {
	cal := market.NYSE()
	m := New(Config{Universe: universe(30)})
	tests := []struct {
		name    string
		symbol  string
		at      string
		maxDays int
		want    []string // expirations, all of them
	}{
		{"in session", "AAPL", "2026-03-10T15:00:00Z", 45,
			[]string{"2026-03-13", "2026-03-20", "2026-03-27", "2026-04-02", "2026-04-10", "2026-04-17"}},
		{"weeklies for five weeks, then monthlies", "AAPL", "2026-03-10T15:00:00Z", 90,
			[]string{"2026-03-13", "2026-03-20", "2026-03-27", "2026-04-02", "2026-04-10", "2026-04-17", "2026-05-15"}},
		{"expiry day in session keeps the expiring options", "ADBE", "2026-03-13T19:59:00Z", 7,
			[]string{"2026-03-13", "2026-03-20"}},
		{"expiry day after the close drops them", "ADBE", "2026-03-13T20:00:00Z", 7,
			[]string{"2026-03-20"}},
		{"weekend", "AMZN", "2026-03-14T16:00:00Z", 14,
			[]string{"2026-03-20", "2026-03-27"}},
		{"before the open", "ABT", "2026-03-16T12:00:00Z", 4,
			[]string{"2026-03-20"}},
		{"Good Friday moves expiry to Thursday", "AMD", "2026-03-30T18:00:00Z", 5,
			[]string{"2026-04-02"}},
		{"on Good Friday the Thursday expiry is gone", "AMD", "2026-04-03T15:00:00Z", 8,
			[]string{"2026-04-10"}},
		{"Juneteenth Friday", "ACN", "2026-06-15T15:00:00Z", 6,
			[]string{"2026-06-18"}},
		{"ninety days", "BRK.B", "2026-01-14T17:20:00Z", 90, nil},
		{"no expiry in range", "AAPL", "2026-03-16T15:00:00Z", 2, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := instant(tt.at)
			chain := m.Chain(tt.symbol, at, tt.maxDays)
			if tt.want != nil && len(tt.want) == 0 {
				if len(chain) != 0 {
					t.Fatalf("%d quotes, want none", len(chain))
				}
				return
			}
			if len(chain) == 0 {
				t.Fatal("empty chain")
			}
			snapDate := market.DateOf(at)
			var exps []string
			seen := map[string]bool{}
			strikes := map[string]int{}
			for _, q := range chain {
				exp := q.Expiration.Format(time.DateOnly)
				if !slices.Contains(exps, exp) {
					exps = append(exps, exp)
				}
				if seen[q.ContractSymbol] {
					t.Errorf("duplicate contract %s", q.ContractSymbol)
				}
				seen[q.ContractSymbol] = true
				strikes[exp+string(q.Type)]++
				if q.Expiration.Before(snapDate) || q.Expiration.After(snapDate.AddDate(0, 0, tt.maxDays)) || !cal.IsTradingDay(q.Expiration) {
					t.Errorf("%s: expiration %s outside %d days of %s or not a trading day", q.ContractSymbol, exp, tt.maxDays, snapDate.Format(time.DateOnly))
				}
				checkQuote(t, m, q)
			}
			if tt.want != nil && !slices.Equal(exps, tt.want) {
				t.Errorf("expirations %v, want %v", exps, tt.want)
			}
			for _, exp := range exps {
				d := date(exp)
				friday := d
				if d.Weekday() != time.Friday {
					friday = d.AddDate(0, 0, (int(time.Friday)-int(d.Weekday())+7)%7)
				}
				wantStrikes := 2*weeklyStrikes + 1
				if friday.Day() >= 15 && friday.Day() <= 21 {
					wantStrikes = 2*monthlyStrikes + 1
				}
				if strikes[exp+"call"] != wantStrikes || strikes[exp+"put"] != wantStrikes {
					t.Errorf("%s: %d calls and %d puts, want %d of each", exp, strikes[exp+"call"], strikes[exp+"put"], wantStrikes)
				}
			}
			checkParity(t, m, chain)
		})
	}
	if got := m.Chain("NOPE", instant("2026-03-10T15:00:00Z"), 30); got != nil {
		t.Errorf("unknown symbol chain has %d quotes", len(got))
	}
	if got := m.Chain("AAPL", instant("2009-06-01T15:00:00Z"), 30); got != nil {
		t.Errorf("chain before the market has %d quotes", len(got))
	}
}

// checkQuote verifies one clean quote against its contract symbol, the
// no-arbitrage bounds, and the field conventions.
func checkQuote(t *testing.T, m *Market, q market.OptionQuote) {
	t.Helper()
	parts := occSymbol.FindStringSubmatch(q.ContractSymbol)
	if parts == nil {
		t.Fatalf("contract symbol %q is not OCC", q.ContractSymbol)
	}
	strike, _ := strconv.Atoi(parts[4])
	if parts[1] != market.OCCRoot(q.Symbol) || parts[2] != q.Expiration.Format("060102") ||
		(parts[3] == "C") != (q.Type == market.Call) || float64(strike) != math.Round(q.Strike*1000) {
		t.Errorf("contract symbol %s does not match %s %s %s %v", q.ContractSymbol, q.Symbol, q.Expiration, q.Type, q.Strike)
	}
	s := q.UnderlyingPrice
	if s != m.Spot(q.Symbol, q.SnapshotTS) {
		t.Errorf("%s: underlying %v, spot %v", q.ContractSymbol, s, m.Spot(q.Symbol, q.SnapshotTS))
	}
	_, expClose, _ := market.NYSE().Session(q.Expiration)
	years := expClose.Sub(q.SnapshotTS).Hours() / (24 * 365)
	if years <= 0 {
		t.Fatalf("%s: expired at the snapshot", q.ContractSymbol)
	}
	fs := s * math.Exp(-m.DividendYield(q.Symbol)*years)
	fk := q.Strike * math.Exp(-m.cfg.Rate*years)
	lo, hi := math.Max(fs-fk, 0), fs
	if q.Type == market.Put {
		lo, hi = math.Max(fk-fs, 0), fk
	}
	const eps = 1e-9
	mid := (q.Bid + q.Ask) / 2
	if mid < lo-eps || mid > hi+eps || q.Bid > hi+eps || q.Ask < lo-eps {
		t.Errorf("%s: bid %v ask %v outside no-arbitrage bounds [%v, %v]", q.ContractSymbol, q.Bid, q.Ask, lo, hi)
	}
	if q.Bid < 0 || q.Bid > q.Ask || q.LastPrice < q.Bid || q.LastPrice > q.Ask || q.LastPrice <= 0 {
		t.Errorf("%s: bid %v ask %v last %v", q.ContractSymbol, q.Bid, q.Ask, q.LastPrice)
	}
	for _, p := range []float64{q.Bid, q.Ask, q.LastPrice, q.Change} {
		if math.Abs(p*100-math.Round(p*100)) > 1e-6 {
			t.Errorf("%s: price %v is not in cents", q.ContractSymbol, p)
		}
	}
	if q.InTheMoney != ((q.Type == market.Call && q.Strike < s) || (q.Type == market.Put && q.Strike > s)) {
		t.Errorf("%s: in the money %v with spot %v", q.ContractSymbol, q.InTheMoney, s)
	}
	if q.Volume < 0 || q.OpenInterest < 0 || !(q.SourceIV > 0 && q.SourceIV < 5) || math.IsNaN(q.PercentChange) {
		t.Errorf("%s: volume %d open interest %d source IV %v percent change %v", q.ContractSymbol, q.Volume, q.OpenInterest, q.SourceIV, q.PercentChange)
	}
	if q.LastTradeTS.After(q.SnapshotTS) || q.SnapshotTS.Sub(q.LastTradeTS) > 4*24*time.Hour || q.LastTradeTS.Nanosecond() != 0 {
		t.Errorf("%s: last trade %s, snapshot %s", q.ContractSymbol, q.LastTradeTS, q.SnapshotTS)
	}
	if q.ContractSize != "REGULAR" || q.Currency != "USD" {
		t.Errorf("%s: contract size %q currency %q", q.ContractSymbol, q.ContractSize, q.Currency)
	}
	analytics := []float64{q.Mid, q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho, q.Moneyness, q.DaysToExpiry}
	if slices.ContainsFunc(analytics, func(v float64) bool { return v != 0 }) || !q.IngestedAt.IsZero() {
		t.Errorf("%s: analytics fields are set: %v", q.ContractSymbol, analytics)
	}
}

// checkParity checks that the quotes admit no put-call parity arbitrage:
// C_bid - P_ask <= S e^{-qT} - K e^{-rT} <= C_ask - P_bid.
func checkParity(t *testing.T, m *Market, chain []market.OptionQuote) {
	t.Helper()
	type key struct {
		exp    time.Time
		strike float64
	}
	calls := map[key]market.OptionQuote{}
	for _, q := range chain {
		if q.Type == market.Call {
			calls[key{q.Expiration, q.Strike}] = q
		}
	}
	pairs := 0
	for _, p := range chain {
		c, ok := calls[key{p.Expiration, p.Strike}]
		if p.Type != market.Put || !ok {
			continue
		}
		pairs++
		_, expClose, _ := market.NYSE().Session(p.Expiration)
		years := expClose.Sub(p.SnapshotTS).Hours() / (24 * 365)
		// American put-call parity is a band: S e^{-qT} - K <= C - P <= S - K e^{-rT}.
		lo := p.UnderlyingPrice*math.Exp(-m.DividendYield(p.Symbol)*years) - p.Strike
		hi := p.UnderlyingPrice - p.Strike*math.Exp(-m.cfg.Rate*years)
		if c.Bid-p.Ask > hi+1e-9 || c.Ask-p.Bid < lo-1e-9 {
			t.Errorf("%s/%s: parity arbitrage: call %v/%v put %v/%v band [%v, %v]", c.ContractSymbol, p.ContractSymbol, c.Bid, c.Ask, p.Bid, p.Ask, lo, hi)
		}
	}
	if pairs == 0 {
		t.Error("no call/put pairs")
	}
}

func TestModelPrices(t *testing.T) {
	m := New(Config{Universe: universe(30)})
	at := instant("2026-05-06T16:00:00Z")
	for _, sym := range m.Symbols() {
		s := m.symbols[sym]
		spot, cur := m.spot(s, at)
		ps := pricing{spot: spot, h: s.path.get(cur).h, rate: m.cfg.Rate, div: s.p.divYield, t: at}
		for _, e := range m.expirations(market.DateOf(at), at, 90) {
			years := yearsTo(at, e.at)
			fwd := ps.forward(years)
			atm := s.p.atmVol(ps.h, years)
			if atm < 0.1 || atm > 1.5 {
				t.Errorf("%s %s: ATM volatility %v", sym, e.date.Format(time.DateOnly), atm)
			}
			// The smile: out-of-the-money puts are dearer than the money, and so are far calls.
			for _, k := range []float64{0.8, 0.9, 0.95} {
				if v := s.p.smileVol(atm, fwd*k, fwd, years); v <= atm {
					t.Errorf("%s %s: put wing %.2fF vol %v <= ATM %v", sym, e.date.Format(time.DateOnly), k, v, atm)
				}
			}
			if s.p.smileVol(atm, fwd*0.9, fwd, years) <= s.p.smileVol(atm, fwd*1.1, fwd, years) {
				t.Errorf("%s: no negative skew", sym)
			}
			for _, k := range []float64{0.7, 0.9, 1, 1.1, 1.3} {
				strike := math.Round(spot*k*100) / 100
				call, _, _ := ps.model(&s.p, quant.Call, strike, e)
				put, _, _ := ps.model(&s.p, quant.Put, strike, e)
				// Put-call parity for American options is a band:
				// S e^{-qT} - K <= C - P <= S - K e^{-rT}.
				lo, hi := spot*math.Exp(-ps.div*years)-strike, spot-strike*math.Exp(-ps.rate*years)
				if d := call - put; d < lo-1e-9*spot || d > hi+1e-9*spot {
					t.Errorf("%s %v: C-P = %v outside the American parity band [%v, %v]", sym, strike, d, lo, hi)
				}
				for _, c := range []struct {
					kind  quant.Kind
					price float64
				}{{quant.Call, call}, {quant.Put, put}} {
					lo, hi := ps.bounds(c.kind, strike, years)
					if c.price < lo-1e-9*spot || c.price > hi+1e-9*spot {
						t.Errorf("%s %v %v: model price %v outside [%v, %v]", sym, c.kind, strike, c.price, lo, hi)
					}
				}
			}
		}
	}
}

func TestStrikeGrid(t *testing.T) {
	tests := []struct {
		spot, step float64
	}{
		{3, 0.5}, {24.99, 0.5}, {25, 1}, {49, 1}, {50, 2.5}, {99, 2.5}, {100, 5}, {299, 5},
		{300, 10}, {999, 10}, {1000, 25}, {2600, 50},
	}
	for _, tt := range tests {
		if got := strikeStep(tt.spot); got != tt.step {
			t.Errorf("strikeStep(%v) = %v, want %v", tt.spot, got, tt.step)
		}
	}
	if got := contractSymbol("AAPL", date("2026-01-16"), quant.Call, 150); got != "AAPL260116C00150000" {
		t.Errorf("contractSymbol = %s", got)
	}
	if got := contractSymbol("BRKB", date("2026-02-20"), quant.Put, 452.5); got != "BRKB260220P00452500" {
		t.Errorf("contractSymbol = %s", got)
	}
}

func TestChainCheapUnderlying(t *testing.T) {
	// A $4 stock has strikes on a 0.5 grid and none at or below zero.
	m := New(Config{Universe: universe(3), tune: func(p *params) { p.refPrice = 4 }})
	at := instant("2026-01-02T20:00:00Z")
	chain := m.Chain("AAPL", at, 30)
	if len(chain) == 0 {
		t.Fatal("empty chain")
	}
	for _, q := range chain {
		if q.Strike <= 0 || math.Mod(q.Strike*2, 1) != 0 {
			t.Errorf("strike %v", q.Strike)
		}
		checkQuote(t, m, q)
	}
	checkParity(t, m, chain)
}
