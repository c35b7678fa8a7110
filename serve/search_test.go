package serve

import (
	"testing"

	"github.com/tickerlake/tickerlake/market"
)

func TestSearchRanking(t *testing.T) {
	tests := []struct {
		q        string
		first    string
		rank     int
		excludes string // a symbol that must not match at all
	}{
		{q: "AAPL", first: "AAPL", rank: 1},
		{q: "aapl", first: "AAPL", rank: 1},
		{q: "brk-b", first: "BRK.B", rank: 1},
		{q: "AA", first: "AAPL", rank: 2},
		{q: "APPL", first: "AAPL", rank: 3, excludes: "XOM"}, // a transposition, also an alias prefix ("Apple")
		{q: "micro soft", first: "MSFT", rank: 3},
		{q: "google", first: "GOOGL", rank: 3},
		{q: "jp morgan", first: "JPM", rank: 3},
		{q: "berkshire", first: "BRK.B", rank: 3},
		{q: "nvdia", first: "NVDA", rank: 4},
		{q: "xyzzy"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := Search(market.Universe(), tc.q, 10)
			if tc.first == "" {
				if len(got) != 0 {
					t.Fatalf("want no match, got %v", got)
				}
				return
			}
			if len(got) == 0 || got[0].Symbol != tc.first || got[0].Rank != tc.rank {
				t.Fatalf("first match %v, want %s at rank %d", got, tc.first, tc.rank)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Rank < got[i-1].Rank {
					t.Errorf("rank %d after rank %d: %v", got[i].Rank, got[i-1].Rank, got)
				}
				if got[i].Symbol == tc.excludes {
					t.Errorf("%s matched %q", tc.excludes, tc.q)
				}
			}
		})
	}
}

func TestSearchRoutesAgree(t *testing.T) {
	_, api := newTestServer(t, Config{})
	v1 := decode(t, api.Get("/api/v1/search?q=micro%20soft&limit=1"))
	m := list(t, v1["matches"])
	if len(m) != 1 || m[0].(map[string]any)["symbol"] != "MSFT" {
		t.Fatalf("v1 search %v", v1)
	}
	w := api.Get("/api/stock-names/micro%20soft")
	if w.Body.String() == "" || !contains(w.Body.String(), "MSFT - Microsoft Corporation") {
		t.Errorf("legacy stock-names %s", w.Body.String())
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
