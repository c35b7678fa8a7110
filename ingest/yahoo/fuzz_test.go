package yahoo

import (
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest/wire"
)

// FuzzOptionChain feeds arbitrary bodies to the decoding a fetched chain
// goes through: it may reject them, never panic, and the expirations it
// picks lie within the window, once each, in order.
func FuzzOptionChain(f *testing.F) {
	for _, name := range []string{"aapl_options.json", "invalid_crumb.json", "not_found.json", "empty_result.json", "malformed.json"} {
		f.Add(testdata(f, name), int64(1795204800), 90)
	}
	f.Fuzz(func(t *testing.T, body []byte, at int64, days int) {
		res, err := wire.DecodeOptionChain(body)
		if err != nil {
			return
		}
		for _, s := range res.Options {
			for _, c := range append(s.Calls, s.Puts...) {
				_ = c.ContractSymbol
			}
		}
		days %= 3650
		when := time.Unix(at%(1<<35), 0)
		exps := Expirations(res, when, days)
		for i, e := range exps {
			if i > 0 && e <= exps[i-1] {
				t.Fatalf("expirations not strictly increasing: %v", exps)
			}
			d := time.Unix(e, 0).UTC()
			first := time.Date(when.Year(), when.Month(), when.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			if d.Before(first) {
				t.Fatalf("expiration %v before the snapshot %v", d, when)
			}
		}
	})
}
