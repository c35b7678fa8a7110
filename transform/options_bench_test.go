package transform

import (
	"context"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// benchSnapshot is one snapshot of the synthetic market's chains for 40
// symbols, as the option-data topic carries it: a message per symbol and
// expiration, with its snapshot header.
func benchSnapshot(tb testing.TB) (values [][]byte, snapshot string) {
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	err := src.Fetch(context.Background(), ingest.NewTask(ingest.Options, at, at, syms...), func(r ingest.Raw) error {
		values = append(values, r.Value)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return values, at.Format(time.RFC3339Nano)
}

// BenchmarkCleanOptions runs the option topic's cleaning step (decoding,
// the rules, European IV and Greeks, smiles) over one snapshot of 40
// symbols' chains, an operation a snapshot; BenchmarkCleanOptions/decode
// is the decoding alone, and BenchmarkCleanOptions/smiles the smiles alone,
// from the quotes cleaning gave. European pricing
// keeps the analytics small beside the rest, whose CPU and allocations
// per contract this measures; BenchmarkEnrich is the analytics alone.
func BenchmarkCleanOptions(b *testing.B) {
	values, snapshot := benchSnapshot(b)
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)), EuropeanIV: true}
	var quotes [][]market.OptionQuote
	contracts := 0
	for _, v := range values {
		res, err := c.Clean(stream.OptionData, v, snapshot)
		if err != nil || res.N == 0 {
			b.Fatalf("%d quotes, %v", res.N, err)
		}
		quotes = append(quotes, res.Rows.([]market.OptionQuote))
		contracts += res.N + len(res.Rejects) + res.Report.Deduplicated
	}
	// Each pass goes over the snapshot and counts its contracts.
	perContract := func(name string, pass func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuSeconds()
			n := 0
			for b.Loop() {
				pass(b)
				n += contracts
			}
			reportPerCPU(b, n, cpu0, "contracts")
		})
	}
	perContract("decode", func(b *testing.B) {
		for _, v := range values {
			if _, err := wire.DecodeOptionChain(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	perContract("clean", func(b *testing.B) {
		for _, v := range values {
			if _, err := c.Clean(stream.OptionData, v, snapshot); err != nil {
				b.Fatal(err)
			}
		}
	})
	perContract("smiles", func(b *testing.B) {
		for _, qs := range quotes {
			if len(c.Smiles(qs)) == 0 {
				b.Fatal("no smile")
			}
		}
	})
}
