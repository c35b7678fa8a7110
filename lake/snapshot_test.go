package lake

import (
	"context"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/transform"
)

// snapshotChains cleans one synthetic snapshot of the first 40 symbols'
// option chains as the processor does, IVs and Greeks included, and hands
// each chain's quotes to each with the cleaner (for its smiles): the
// snapshot the writer's benchmarks write.
func snapshotChains(tb testing.TB, each func(q []market.OptionQuote, cl *transform.Cleaner) error) {
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	cl := &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	err := src.Fetch(context.Background(), ingest.NewTask(ingest.Options, at, at, syms...), func(r ingest.Raw) error {
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			return err
		}
		q, _ := cl.Options(res, at)
		return each(q, cl)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// SnapshotChains is snapshotChains for the package's external tests.
var SnapshotChains = snapshotChains
