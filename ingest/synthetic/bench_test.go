package synthetic

import "testing"

// BenchmarkDaily measures a year of daily bars for the whole default universe
// on a market whose paths are already simulated.
func BenchmarkDaily(b *testing.B) {
	m := New(Config{})
	from, to := date("2025-01-01"), date("2025-12-31")
	for _, s := range m.Symbols() {
		m.Daily(s, to, to)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, s := range m.Symbols() {
			if len(m.Daily(s, from, to)) != 250 {
				b.Fatal("want 250 sessions in 2025")
			}
		}
	}
}

// BenchmarkChain measures one 90-day chain snapshot of one symbol.
func BenchmarkChain(b *testing.B) {
	m := New(Config{})
	at := instant("2026-03-10T15:00:00Z")
	m.Chain("AAPL", at, 90)
	b.ResetTimer()
	for b.Loop() {
		if len(m.Chain("AAPL", at, 90)) == 0 {
			b.Fatal("empty chain")
		}
	}
}
