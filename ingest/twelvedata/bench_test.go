package twelvedata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
)

// batchBody is a batch answer for n symbols of a year of daily bars.
func batchBody(n int) ([]byte, []string) {
	out := map[string]json.RawMessage{}
	var syms []string
	for i := 0; i < n; i++ {
		s := "S" + strings.Repeat("X", i%3) + string(rune('A'+i%26)) + string(rune('A'+i/26))
		syms = append(syms, s)
		out[s] = tdtest.Series(s, "1day", "2025-11-20", "2026-11-20")
	}
	b, _ := json.Marshal(out)
	return b, syms
}

// BenchmarkDecode splits a 120-symbol batch answer by symbol; compare with
// BenchmarkDecodeBareJSON, encoding/json alone unmarshalling the same body.
func BenchmarkDecode(b *testing.B) {
	body, syms := batchBody(120)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r, err := Decode(200, body, syms)
		if err != nil || len(r.Series) != 120 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBareJSON(b *testing.B) {
	body, _ := batchBody(120)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil || len(m) != 120 {
			b.Fatal(err)
		}
	}
}
