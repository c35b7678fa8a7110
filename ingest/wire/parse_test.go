package wire

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// sameFloat reports whether parseFloat agrees with strconv.ParseFloat on s: the same bits
// (NaN aside) and an error exactly when strconv gives one.
func sameFloat(t *testing.T, s string) {
	t.Helper()
	got, gerr := parseFloat(s)
	want, werr := strconv.ParseFloat(s, 64)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("parseFloat(%q) error %v, strconv %v", s, gerr, werr)
	}
	if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Fatalf("parseFloat(%q) = %v, strconv %v", s, got, want)
	}
}

// sameTime reports whether parseDateTime agrees with time.ParseInLocation on s.
func sameTime(t *testing.T, s string, withTime bool, loc *time.Location) {
	t.Helper()
	layout := "2006-01-02"
	if withTime {
		layout = "2006-01-02 15:04:05"
	}
	got, gerr := parseDateTime(s, withTime, loc)
	want, werr := time.ParseInLocation(layout, s, loc)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("parseDateTime(%q) error %v, time %v", s, gerr, werr)
	}
	if !got.Equal(want) || got.Location().String() != want.Location().String() {
		t.Fatalf("parseDateTime(%q) = %v, time %v", s, got, want)
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	for _, s := range []string{"187.44000", "0", "-0", "-0.00001", "1.", ".5", ".", "", "-", "+1", "1e5",
		"NaN", "inf", "1_000", "0x10", "007.5", "123456789012345", "1234567890123456", "9007199254740993",
		"0.1234567890123456789012", "9007199254740992", "0.9007199254740992", "900719925474099.3",
		"0.0000000000000000009", "1234567890123456789", "12345678901234567890", "18446744073709551617", "1.2.3", "12a", " 1", "179769313486231570000000000000000000000"} {
		sameFloat(t, s)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		x := math.Exp(rng.NormFloat64()*4) * float64(1-2*rng.IntN(2))
		for _, prec := range []int{rng.IntN(12), -1} {
			sameFloat(t, strconv.FormatFloat(x, 'f', prec, 64))
		}
	}
}

func TestParseDateTimeMatchesTime(t *testing.T) {
	for _, s := range []string{"2026-11-20", "2024-02-29", "2025-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
		"2026-11-00", "0000-01-01", "2026-1-20", "2026/11/20", "2026-11-20x", "abcd-ef-gh", ""} {
		sameTime(t, s, false, time.UTC)
	}
	for _, s := range []string{"2026-11-20 15:45:00", "2026-11-20 24:00:00", "2026-11-20 09:60:00", "2026-11-20 09:30:60",
		"2026-03-08 02:30:00", "2026-11-01 01:30:00", "2026-11-20T15:45:00", "2026-11-20 15:45", "2026-02-30 10:00:00"} {
		sameTime(t, s, true, market.NewYork)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 50_000 {
		y, mo, d := 1990+rng.IntN(50), 1+rng.IntN(13), rng.IntN(33)
		sameTime(t, fmt.Sprintf("%04d-%02d-%02d", y, mo, d), false, time.UTC)
		sameTime(t, fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, rng.IntN(25), rng.IntN(61), rng.IntN(61)), true, market.NewYork)
	}
}

func TestParseVolume(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"1234567", 1234567}, {"0", 0}, {"", -1}, {"abc", -1}, {"12.9", 12}, {"-5", -5}, {"1e3", 1000}, {"NaN", -1}} {
		if got := parseVolume(tt.in); got != tt.want {
			t.Errorf("parseVolume(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzParse holds the provider-shape parsers to the standard library on any input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"187.44000", "-0.5", "2026-11-20", "2026-11-20 15:45:00", "1e5", "2025-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameFloat(t, s)
		sameTime(t, s, false, time.UTC)
		sameTime(t, s, true, market.NewYork)
	})
}
