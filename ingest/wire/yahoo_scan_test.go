package wire

import (
	"fmt"
	"reflect"
	"testing"
)

// TestDecodeOptionChainNumbersAndKeys decodes, both ways, numbers at the edges of the
// scanner's one-pass reading (15 significant digits, 18 integer digits, exponents) and keys
// next to the ones it matches in place.
func TestDecodeOptionChainNumbersAndKeys(t *testing.T) {
	floats := []string{"0", "-0", "0.0", "-0.0", "1", "123456789012345", "1234567890123456", "0.000000000000001",
		"0.0000000000000001", "99999999999999.9", "999999999999999.9", "1.7976931348623157", "4.9e-324", "1E5", "1e+2",
		"1.5e-7", "-12.75", "0.1", "2.086979938063821", "0.2086979938063821", "9007199254740992", "9007199254740993",
		"0.9007199254740993", "-0.9007199254740992", "1234567890123456789", "0.0000000000000000001", "12345678901234567890", "18446744073709551616", "1e400", "01", "1.", "-", ".5", "1.5e"}
	ints := []string{"0", "-0", "1795132800", "123456789012345678", "1234567890123456789", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1.0", "1e3", "00", "-", "1795132800.5"}
	var ins []string
	for _, x := range floats {
		ins = append(ins, fmt.Sprintf(`{"optionChain":{"result":[{"underlyingSymbol":"X","strikes":[%s,2],"quote":{"regularMarketPrice":%[1]s},"options":[{"calls":[{"contractSymbol":"X1","strike":%[1]s,"bid":1}]}]}]}}`, x))
	}
	for _, x := range ints {
		ins = append(ins, fmt.Sprintf(`{"optionChain":{"result":[{"underlyingSymbol":"X","expirationDates":[%s,5],"options":[{"expirationDate":%[1]s,"puts":[{"contractSymbol":"X1","volume":%[1]s,"expiration":2}]}]}]}}`, x))
	}
	ins = append(ins,
		`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"contractSymbol" : "X1", "strike"  :1,"strikes":2,"strik":3}]}]}]}}`,
		`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"strike":1,"contractSymbol":"X1","currency":"USD"},{"currency":"USD","contractSize":"REGULAR"},{"currency":"","contractSymbol":"X2"}]}]}]}}`,
		`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"contractSymbol":"X1"},null,{}],"puts":[{"contractSymbol":"X1"}]},{"calls":[],"puts":null}]}]}}`,
		`{"optionChain":{"result":[{"underlyingSymbol":"X","options":[{"calls":[{"CONTRACTSYMBOL":"X1"}]}]}]}}`,
	)
	for _, s := range ins {
		checkSameDecode(t, []byte(s))
	}
}

// TestDecodeOptionChainOwnsItsResult overwrites each message after decoding it: the result,
// whose strings the scanner copies into its own blocks, stays as decoded.
func TestDecodeOptionChainOwnsItsResult(t *testing.T) {
	ins := recordedChains(t)
	for _, s := range chainEdgeCases {
		ins = append(ins, []byte(s))
	}
	for _, b := range ins {
		b = append([]byte(nil), b...)
		got, err := DecodeOptionChain(b)
		want, werr := decodeOptionChainJSON(b)
		for i := range b {
			b[i] = 'X'
		}
		if (err == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("after the message was overwritten: %+v, %v; want %+v, %v", got, err, want, werr)
		}
	}
}
