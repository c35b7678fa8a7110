package market

import (
	"slices"
	"strings"
	"testing"
)

func TestUniverse(t *testing.T) {
	if _, err := parseUniverse(universeCSV); err != nil {
		t.Fatal(err)
	}
	u := Universe()
	if len(u) < 125 {
		t.Fatalf("universe has %d companies, want at least 125", len(u))
	}
	sectors := map[string]bool{
		"Communication Services": true, "Consumer Discretionary": true, "Consumer Staples": true,
		"Energy": true, "Financials": true, "Health Care": true, "Industrials": true,
		"Information Technology": true, "Materials": true, "Real Estate": true, "Utilities": true,
	}
	seen := map[string]bool{}
	for i, c := range u {
		if i > 0 && u[i-1].Symbol >= c.Symbol {
			t.Errorf("not sorted or duplicated at %s", c.Symbol)
		}
		if !sectors[c.Sector] {
			t.Errorf("%s: unknown sector %q", c.Symbol, c.Sector)
		}
		seen[c.Sector] = true
		if len(c.Aliases) == 0 {
			t.Errorf("%s: no aliases", c.Symbol)
		}
		if len(OCCRoot(c.Symbol)) > 6 {
			t.Errorf("%s: OCC root too long", c.Symbol)
		}
	}
	if len(seen) != len(sectors) {
		t.Errorf("universe covers %d sectors, want %d", len(seen), len(sectors))
	}

	// Universe hands out copies.
	u[0].Symbol = "ZZZ"
	u[1].Aliases[0] = "changed"
	again := Universe()
	if again[0].Symbol == "ZZZ" || again[1].Aliases[0] == "changed" {
		t.Error("Universe returned shared data")
	}
}

func TestLookupCompany(t *testing.T) {
	tests := []struct {
		in         string
		symbol     string
		name       string
		wantAlias  string
		wantExists bool
	}{
		{"AAPL", "AAPL", "Apple Inc.", "Apple", true},
		{" msft ", "MSFT", "Microsoft Corporation", "micro soft", true},
		{"GOOGL", "GOOGL", "Alphabet Inc. Class A", "Google", true},
		{"meta", "META", "Meta Platforms Inc.", "Facebook", true},
		{"BRK.B", "BRK.B", "Berkshire Hathaway Inc. Class B", "Berkshire Hathaway B", true},
		{"BRK-B", "BRK.B", "Berkshire Hathaway Inc. Class B", "Berkshire", true},
		{"brk/b", "BRK.B", "Berkshire Hathaway Inc. Class B", "Berkshire", true},
		{"BRKB", "BRK.B", "Berkshire Hathaway Inc. Class B", "Berkshire", true},
		{"NOPE", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, ok := LookupCompany(tt.in)
			if ok != tt.wantExists {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if c.Symbol != tt.symbol || c.Name != tt.name || !slices.Contains(c.Aliases, tt.wantAlias) {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestSymbolSpellings(t *testing.T) {
	tests := []struct {
		in, canonical, yahoo, occ string
	}{
		{"AAPL", "AAPL", "AAPL", "AAPL"},
		{" aapl\n", "AAPL", "AAPL", "AAPL"},
		{"BRK.B", "BRK.B", "BRK-B", "BRKB"},
		{"BRK-B", "BRK.B", "BRK-B", "BRKB"},
		{"BRK/B", "BRK.B", "BRK-B", "BRKB"},
		{"brk b", "BRK.B", "BRK-B", "BRKB"},
		{"BF.B", "BF.B", "BF-B", "BFB"},
		{"GOOGLEX", "GOOGLEX", "GOOGLEX", "GOOGLE"},
		{"^GSPC", "^GSPC", "^GSPC", "^GSPC"},
		{"-B", "-B", "-B", "B"},
		{"ABC-123", "ABC-123", "ABC-123", "ABC123"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.in), func(t *testing.T) {
			if got := CanonicalSymbol(tt.in); got != tt.canonical {
				t.Errorf("CanonicalSymbol = %q, want %q", got, tt.canonical)
			}
			if got := YahooSymbol(tt.in); got != tt.yahoo {
				t.Errorf("YahooSymbol = %q, want %q", got, tt.yahoo)
			}
			if got := OCCRoot(tt.in); got != tt.occ {
				t.Errorf("OCCRoot = %q, want %q", got, tt.occ)
			}
		})
	}
}

func TestParseUniverseRejects(t *testing.T) {
	tests := map[string]string{
		"bad header":    "sym,name,sector,aliases\nAAPL,Apple,IT,\n",
		"duplicate":     "symbol,name,sector,aliases\nAAPL,Apple,IT,\nAAPL,Apple,IT,\n",
		"not canonical": "symbol,name,sector,aliases\nBRK-B,Berkshire,Financials,\n",
		"missing name":  "symbol,name,sector,aliases\nAAPL,,IT,\n",
		"short row":     "symbol,name,sector,aliases\nAAPL,Apple\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := parseUniverse(text); err == nil {
				t.Error("want an error")
			}
		})
	}
}
