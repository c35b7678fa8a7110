package wire

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// recordedChains are the recorded Yahoo responses of the stand-in server.
func recordedChains(tb testing.TB) [][]byte {
	paths, err := filepath.Glob(filepath.Join("..", "yahoo", "yhtest", "testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no recorded responses: %v", err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// Edge cases of the JSON grammar and of encoding/json's rules, each either decoded by the
// scanner or handed to encoding/json.
var chainEdgeCases = []string{
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"expirationDate":1,"calls":[{"contractSymbol":"X1","strike":1.5,"volume":3,"inTheMoney":true}],"puts":[]}]}],"error":null}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[null,{"strike":null,"volume":null,"contractSymbol":null}]}]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","strikes":[1,null,2e3],"expirationDates":[null,5],"quote":null}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"Strike":1}]}]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"strike":1,"strike":2}]}]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X\u00e9","options":[]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"volume":1.0}]}]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"strike":1e400}]}]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","extra":{"a":[1,"\"",{"b":null}],"c":true}}]}}`,
	`{"optionChain":{"result":null,"error":{"code":"Not Found","description":"No data found"}}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X"}]}} x`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X",}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","strikes":[01]}]}}`,
	`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"expirationDate":-0,"calls":[{"change":-0}]}]}]}}`,
	`{"optionChain":null}`, `null`, ` `, `[]`, `{}`, `{"optionChain":{"result":[]}}`,
}

// TestDecodeOptionChainMatchesJSON decodes the recorded responses and the edge cases both
// ways.
func TestDecodeOptionChainMatchesJSON(t *testing.T) {
	ins := recordedChains(t)
	for _, s := range chainEdgeCases {
		ins = append(ins, []byte(s))
	}
	scanned := 0
	for _, b := range ins {
		checkSameDecode(t, b)
		if _, ok := scanOptionChain(b); ok {
			scanned++
		}
	}
	// Most inputs take the scanner, not the fallback.
	if scanned < len(ins)/2 {
		t.Errorf("the scanner decoded %d of %d inputs", scanned, len(ins))
	}
}

func checkSameDecode(t *testing.T, b []byte) {
	t.Helper()
	got, err := DecodeOptionChain(b)
	want, werr := decodeOptionChainJSON(b)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("DecodeOptionChain(%q) error %v, encoding/json %v", b, err, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeOptionChain(%q) = %+v, encoding/json %+v", b, got, want)
	}
	// The scanner alone, when it decodes, agrees on the whole document too.
	if oc, ok := scanOptionChain(b); ok {
		var whole OptionChain
		if jerr := json.Unmarshal(b, &whole); jerr != nil || !reflect.DeepEqual(oc, whole) {
			t.Fatalf("scanner accepted %q as %+v; encoding/json: %+v, %v", b, oc, whole, jerr)
		}
	}
}

// FuzzDecodeOptionChain holds the scanner to encoding/json: the same result or the same
// error on any input.
func FuzzDecodeOptionChain(f *testing.F) {
	for _, b := range recordedChains(f) {
		f.Add(b)
	}
	for _, s := range chainEdgeCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSameDecode(t, b)
	})
}

// BenchmarkDecodeOptionChain decodes the recorded AAPL chain with the scanner and with
// encoding/json in the same run.
func BenchmarkDecodeOptionChain(b *testing.B) {
	msg, err := os.ReadFile(filepath.Join("..", "yahoo", "yhtest", "testdata", "aapl_options.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		decode func([]byte) (OptionResult, error)
	}{{"scanner", DecodeOptionChain}, {"encoding-json", decodeOptionChainJSON}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := tc.decode(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
