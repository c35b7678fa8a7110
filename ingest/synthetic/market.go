package synthetic

import (
	"math"
	"slices"

	"github.com/tickerlake/tickerlake/market"
)

// Config sets up a synthetic market. The zero value is a clean market of the
// default universe with seed 1.
type Config struct {
	// Seed selects the market; every price derives from it. Default 1 (0 means 1).
	Seed int64
	// DefectRate is the fraction of rows given a deliberate defect, in [0, 1].
	// Default 0: clean, unique and valid data.
	DefectRate float64
	// Universe is the list of stocks. Default market.Universe().
	Universe []market.Company
	// Calendar decides the sessions. Default market.NYSE().
	Calendar *market.Calendar
	// Rate is the continuously compounded risk-free rate used to price
	// options. Default 0.04 (0 means 0.04).
	Rate float64

	// tune adjusts a symbol's drawn parameters before the derived ones are
	// computed; tests use it to switch parts of the model off.
	tune func(*params)
}

// Market is a deterministic synthetic stock and options market. It is safe
// for concurrent use; each symbol's daily path is simulated once, on first
// use, and kept.
type Market struct {
	cfg     Config
	cal     *market.Calendar
	tl      *timeline
	symbols map[string]*symbol
	order   []string
}

// symbol is one stock of the market.
type symbol struct {
	name string
	key  uint64 // root of every random stream of this symbol
	p    params
	path path
}

// New builds a market from cfg, filling in defaults.
func New(cfg Config) *Market {
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Rate == 0 {
		cfg.Rate = 0.04
	}
	if math.IsNaN(cfg.DefectRate) || cfg.DefectRate < 0 {
		cfg.DefectRate = 0
	}
	cfg.DefectRate = math.Min(cfg.DefectRate, 1)
	if cfg.Universe == nil {
		cfg.Universe = market.Universe()
	}
	if cfg.Calendar == nil {
		cfg.Calendar = market.NYSE()
	}
	m := &Market{
		cfg:     cfg,
		cal:     cfg.Calendar,
		tl:      newTimeline(cfg.Calendar),
		symbols: map[string]*symbol{},
	}
	refAt, _ := m.tl.search(refDate)
	seedKey := mix(0, uint64(cfg.Seed))
	for _, c := range cfg.Universe {
		name := market.CanonicalSymbol(c.Symbol)
		if name == "" || m.symbols[name] != nil {
			continue
		}
		s := &symbol{name: name, key: mixString(seedKey, name)}
		s.p = drawParams(s.key)
		if cfg.tune != nil {
			cfg.tune(&s.p)
		}
		s.p.finish()
		s.path = path{p: &s.p, key: s.key, refAt: refAt}
		s.path.split = m.drawSplit(s)
		m.symbols[name] = s
		m.order = append(m.order, name)
	}
	slices.Sort(m.order)
	return m
}

// Symbols returns the canonical symbols of the market, sorted.
func (m *Market) Symbols() []string { return slices.Clone(m.order) }

// DividendYield returns the symbol's continuous annual dividend yield (0 for unknown symbols).
func (m *Market) DividendYield(symbol string) float64 {
	if s := m.lookup(symbol); s != nil {
		return s.p.divYield
	}
	return 0
}

func (m *Market) lookup(sym string) *symbol {
	return m.symbols[market.CanonicalSymbol(sym)]
}
