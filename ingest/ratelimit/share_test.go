package ratelimit

import (
	"slices"
	"testing"
)

func TestShareSplitsKeysDisjointly(t *testing.T) {
	keys := []string{"k0", "k1", "k2", "k3", "k4"}
	tests := []struct {
		n    int
		want [][]string
	}{
		{1, [][]string{keys}},
		{2, [][]string{{"k0", "k2", "k4"}, {"k1", "k3"}}},
		{3, [][]string{{"k0", "k3"}, {"k1", "k4"}, {"k2"}}},
		{5, [][]string{{"k0"}, {"k1"}, {"k2"}, {"k3"}, {"k4"}}},
	}
	for _, tc := range tests {
		seen := map[string]int{}
		for i := range tc.n {
			got, err := Share(keys, tc.n, i)
			if err != nil {
				t.Fatalf("Share(%d, %d): %v", tc.n, i, err)
			}
			if !slices.Equal(got, tc.want[i]) {
				t.Errorf("Share(%d, %d) = %v, want %v", tc.n, i, got, tc.want[i])
			}
			for _, k := range got {
				seen[k]++
			}
		}
		for _, k := range keys {
			if seen[k] != 1 {
				t.Errorf("%d shares: key %s in %d shares, want exactly 1", tc.n, k, seen[k])
			}
		}
	}
}

func TestShareRejectsImpossibleSplits(t *testing.T) {
	keys := []string{"a", "b"}
	for _, tc := range []struct{ n, i int }{{0, 0}, {2, 2}, {2, -1}, {3, 0}} {
		if got, err := Share(keys, tc.n, tc.i); err == nil {
			t.Errorf("Share(%d, %d) = %v, want an error", tc.n, tc.i, got)
		}
	}
}

func TestOrdinal(t *testing.T) {
	tests := []struct {
		host string
		want int
		ok   bool
	}{
		{"collector-0", 0, true},
		{"collector-12", 12, true},
		{"tickerlake-collector-3", 3, true},
		{"collector", 0, false},
		{"collector-", 0, false},
		{"collector-x", 0, false},
		{"laptop.local", 0, false},
	}
	for _, tc := range tests {
		got, err := Ordinal(tc.host)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Ordinal(%q) = %d, %v; want %d, ok=%v", tc.host, got, err, tc.want, tc.ok)
		}
	}
}
