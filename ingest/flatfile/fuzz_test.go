package flatfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tickerlake/tickerlake/market"
)

// FuzzParse feeds arbitrary files to the parser: it never panics, and every
// row it returns has a canonical symbol and a date.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"2026-11-19.csv", "2026-11-18.csv.gz", "2026-11-20.csv.gz", "bad/no-window.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "files", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(name), b)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		rows, _ := Parse(name, data)
		for _, r := range rows {
			if r.Symbol != market.CanonicalSymbol(r.Symbol) || r.Date.IsZero() || r.Value.Datetime != r.Date.Format("2006-01-02") {
				t.Fatalf("row %+v", r)
			}
		}
	})
}
