package twelvedata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tickerlake/tickerlake/ingest/wire"
)

// FuzzDecode feeds arbitrary bodies to the response decoder and the series
// decoder the processor uses: neither may panic, and whatever Decode accepts
// as a series must be JSON.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"series_aapl_1day.json", "batch_partial.json", "error_429_minute.json", "malformed.json", "missing_fields.json"} {
		f.Add(200, testdata(f, name), "AAPL,ZZZZ,MSFT")
		f.Add(200, testdata(f, name), "AAPL")
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, symbols string) {
		syms := strings.Split(symbols, ",")
		resp, err := Decode(status, body, syms)
		if err != nil {
			return
		}
		for sym, raw := range resp.Series {
			if !json.Valid(raw) {
				t.Fatalf("%s: accepted series is not JSON: %q", sym, raw)
			}
			if ts, err := wire.DecodeTimeSeries(raw); err == nil {
				for _, v := range ts.Values {
					_, _ = v.Parse(ts.Meta.Interval)
				}
			}
		}
		if len(resp.Series)+len(resp.Errors) > len(syms) {
			t.Fatalf("%d answers for %d symbols", len(resp.Series)+len(resp.Errors), len(syms))
		}
	})
}
