package twelvedata

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"

	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
	"github.com/tickerlake/tickerlake/market"
)

func newFake(t testing.TB, clock *clock.Manual) (*tdtest.Server, *httptest.Server) {
	f := tdtest.New(clock.Now)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func testdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sink collects what a source emits, as the collector would publish it.
type sink struct {
	raws []ingest.Raw
	bars map[string][]string // symbol -> datetimes, in emitted order
}

func (s *sink) emit(r ingest.Raw) error {
	if s.bars == nil {
		s.bars = map[string][]string{}
	}
	ts, err := wire.DecodeTimeSeries(r.Value)
	if err != nil {
		return fmt.Errorf("emitted message does not decode: %w", err)
	}
	if market.CanonicalSymbol(ts.Meta.Symbol) != r.Symbol {
		return fmt.Errorf("message keyed %s carries %s", r.Symbol, ts.Meta.Symbol)
	}
	s.raws = append(s.raws, r)
	for _, v := range ts.Values {
		s.bars[r.Symbol] = append(s.bars[r.Symbol], v.Datetime)
	}
	return nil
}
