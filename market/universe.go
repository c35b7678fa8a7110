package market

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Company is one stock of the universe.
type Company struct {
	Symbol  string   // canonical spelling, class suffixes dotted: BRK.B
	Name    string   // legal name
	Sector  string   // GICS sector
	Aliases []string // other names people search for: brands, former names, misspellings
}

//go:embed universe.csv
var universeCSV string

// universeIndex is the parsed default universe with its symbol lookups.
type universeIndex struct {
	companies []Company
	bySymbol  map[string]int // canonical symbol -> index
	byCompact map[string]int // symbol without separators (OCC style) -> index, only when unambiguous
}

var defaultUniverse = sync.OnceValues(func() (*universeIndex, error) {
	return parseUniverse(universeCSV)
})

// Universe returns the default universe, sorted by symbol. The slice and its
// aliases are copies: callers may change them freely.
func Universe() []Company {
	u, err := defaultUniverse()
	if err != nil {
		// The CSV is embedded and checked by the package tests, so this cannot happen in a build that passed them.
		return nil
	}
	out := make([]Company, len(u.companies))
	for i, c := range u.companies {
		out[i] = c.clone()
	}
	return out
}

// LookupCompany finds a company of the default universe by symbol in any
// accepted spelling: canonical (BRK.B), Yahoo (BRK-B), slashed (BRK/B), any
// case, or the compact OCC root (BRKB).
func LookupCompany(symbol string) (Company, bool) {
	u, err := defaultUniverse()
	if err != nil {
		return Company{}, false
	}
	s := CanonicalSymbol(symbol)
	if i, ok := u.bySymbol[s]; ok {
		return u.companies[i].clone(), true
	}
	if i, ok := u.byCompact[compact(s)]; ok {
		return u.companies[i].clone(), true
	}
	return Company{}, false
}

func (c Company) clone() Company {
	c.Aliases = slices.Clone(c.Aliases)
	return c
}

// CanonicalSymbol maps provider spellings to one canonical symbol: it trims
// spaces, uppercases, and writes a share-class suffix with a dot, so BRK-B,
// brk/b, BRK B and BRK.B all become BRK.B. A suffix is one or two letters after
// the last separator; anything else is returned trimmed and uppercased.
func CanonicalSymbol(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := strings.LastIndexAny(s, "-/. ")
	if i <= 0 {
		return s
	}
	base, class := strings.TrimSpace(s[:i]), s[i+1:]
	if base == "" || len(class) == 0 || len(class) > 2 || !isLetters(class) {
		return s
	}
	return base + "." + class
}

// YahooSymbol returns Yahoo Finance's spelling, which writes class suffixes with a dash (BRK-B).
func YahooSymbol(s string) string {
	return strings.ReplaceAll(CanonicalSymbol(s), ".", "-")
}

// OCCRoot returns the root the OCC uses in option contract symbols: the
// canonical symbol without separators (BRK.B -> BRKB), at most six characters.
func OCCRoot(s string) string {
	r := compact(CanonicalSymbol(s))
	if len(r) > 6 {
		r = r[:6]
	}
	return r
}

func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '/' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// universeHeader is the exact header of universe.csv.
var universeHeader = []string{"symbol", "name", "sector", "aliases"}

func parseUniverse(text string) (*universeIndex, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = len(universeHeader)
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse universe: %w", err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], universeHeader) {
		return nil, fmt.Errorf("parse universe: header must be %s", strings.Join(universeHeader, ","))
	}
	u := &universeIndex{bySymbol: map[string]int{}, byCompact: map[string]int{}}
	for n, row := range rows[1:] {
		c := Company{
			Symbol: strings.TrimSpace(row[0]),
			Name:   strings.TrimSpace(row[1]),
			Sector: strings.TrimSpace(row[2]),
		}
		line := n + 2
		if c.Symbol == "" || c.Name == "" || c.Sector == "" {
			return nil, fmt.Errorf("parse universe: line %d: symbol, name and sector are required", line)
		}
		if c.Symbol != CanonicalSymbol(c.Symbol) {
			return nil, fmt.Errorf("parse universe: line %d: symbol %q is not canonical (%q)", line, c.Symbol, CanonicalSymbol(c.Symbol))
		}
		for _, a := range strings.Split(row[3], "|") {
			if a = strings.TrimSpace(a); a != "" {
				c.Aliases = append(c.Aliases, a)
			}
		}
		u.companies = append(u.companies, c)
	}
	slices.SortFunc(u.companies, func(a, b Company) int { return strings.Compare(a.Symbol, b.Symbol) })
	ambiguous := map[string]bool{}
	for i, c := range u.companies {
		if _, dup := u.bySymbol[c.Symbol]; dup {
			return nil, fmt.Errorf("parse universe: duplicate symbol %s", c.Symbol)
		}
		u.bySymbol[c.Symbol] = i
		k := compact(c.Symbol)
		if _, seen := u.byCompact[k]; seen {
			ambiguous[k] = true
		}
		u.byCompact[k] = i
	}
	for k := range ambiguous {
		delete(u.byCompact, k)
	}
	return u, nil
}
