package serve

import (
	"sort"
	"strings"
	"unicode"

	"github.com/tickerlake/tickerlake/market"
)

// Match is one search hit.
type Match struct {
	Symbol  string   `json:"symbol" example:"MSFT"`
	Name    string   `json:"name" example:"Microsoft Corporation"`
	Sector  string   `json:"sector"`
	Aliases []string `json:"aliases"`
	Rank    int      `json:"rank" doc:"1 exact symbol, 2 symbol prefix, 3 name or alias, 4 fuzzy"`
}

// Search ranks companies for a query: exact symbol, then symbol prefix, then
// a name or alias containing the query (spaces ignored, so "micro soft"
// finds Microsoft), then fuzzy matches within a small edit distance ("APPL").
func Search(universe []market.Company, q string, limit int) []Match {
	sym := market.CanonicalSymbol(q)
	norm := squash(q)
	var out []Match
	for _, c := range universe {
		rank := 0
		switch {
		case c.Symbol == sym:
			rank = 1
		case sym != "" && strings.HasPrefix(c.Symbol, sym):
			rank = 2
		case norm != "" && containsAny(c, norm):
			rank = 3
		case len(norm) >= 3 && fuzzy(c, norm):
			rank = 4
		}
		if rank > 0 {
			out = append(out, Match{Symbol: c.Symbol, Name: c.Name, Sector: c.Sector, Aliases: append([]string{}, c.Aliases...), Rank: rank})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rank != out[j].Rank {
			return out[i].Rank < out[j].Rank
		}
		return out[i].Symbol < out[j].Symbol
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// squash lowercases and drops everything but letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func names(c market.Company) []string {
	return append([]string{c.Name}, c.Aliases...)
}

func containsAny(c market.Company, norm string) bool {
	for _, n := range names(c) {
		if strings.Contains(squash(n), norm) {
			return true
		}
	}
	return false
}

// fuzzy accepts one edit against the symbol, or one edit per four characters
// against the start of any name or alias.
func fuzzy(c market.Company, norm string) bool {
	budget := 1 + len(norm)/4
	if editDistance(strings.ToLower(c.Symbol), norm) <= 1 {
		return true
	}
	for _, n := range names(c) {
		sn := squash(n)
		if len(sn) > len(norm) {
			sn = sn[:len(norm)]
		}
		if editDistance(sn, norm) <= budget {
			return true
		}
	}
	return false
}

// editDistance is the Damerau (optimal string alignment) distance, so a
// swapped pair of letters costs one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
