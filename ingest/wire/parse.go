package wire

import (
	"math"
	"strconv"
	"time"
)

// Provider numbers and dates arrive as strings of one fixed shape ("187.44000",
// "2026-11-20 15:45:00"), and parsing them is most of the cost of cleaning a bar. The
// parsers here take that shape directly and hand anything else to strconv and time, so
// their results, and errors, are exactly those of the standard library.

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat is strconv.ParseFloat(s, 64). A plain decimal ([-]digits[.digits]) of at
// most 19 digits whose integer fits in 53 bits is one exact integer divided by an exact
// power of ten, which IEEE division rounds correctly (Clinger's fast path); everything
// else goes to strconv.
func parseFloat(s string) (float64, error) {
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i = 1
	}
	start := i
	var m uint64
	for ; i < len(s) && s[i]-'0' < 10; i++ {
		m = m*10 + uint64(s[i]-'0')
	}
	digits, frac := i-start, 0
	if i < len(s) && s[i] == '.' {
		i++
		from := i
		for ; i < len(s) && s[i]-'0' < 10; i++ {
			m = m*10 + uint64(s[i]-'0')
		}
		frac = i - from
	}
	if digits += frac; i != len(s) || digits == 0 || digits > 19 || m > 1<<53 {
		return strconv.ParseFloat(s, 64)
	}
	x := float64(m) / pow10[frac]
	if neg {
		x = -x
	}
	return x, nil
}

// parseDateTime is time.ParseInLocation with layout "2006-01-02" (date only) or
// "2006-01-02 15:04:05".
func parseDateTime(s string, withTime bool, loc *time.Location) (time.Time, error) {
	layout := "2006-01-02"
	if withTime {
		layout = "2006-01-02 15:04:05"
	}
	if len(s) != len(layout) || s[4] != '-' || s[7] != '-' || withTime && (s[10] != ' ' || s[13] != ':' || s[16] != ':') {
		return time.ParseInLocation(layout, s, loc)
	}
	field := func(at, n int) int {
		v := 0
		for _, c := range []byte(s[at : at+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := field(0, 4), field(5, 2), field(8, 2)
	h, mi, sec := 0, 0, 0
	if withTime {
		h, mi, sec = field(11, 2), field(14, 2), field(17, 2)
	}
	// time.Date normalises out-of-range fields where time.Parse refuses them: let
	// time.Parse see anything that is not a real calendar date and time of day.
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.ParseInLocation(layout, s, loc)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc)
	if t.Day() != d {
		return time.ParseInLocation(layout, s, loc)
	}
	return t, nil
}

// parseVolume is the whole part of a volume, -1 when there is none. Volumes are integers,
// which are read directly; anything else goes through parseFloat.
func parseVolume(s string) int64 {
	if len(s) > 0 && len(s) <= 18 {
		var v int64
		ok := true
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if ok {
			return v
		}
	}
	if x, err := parseFloat(s); err == nil && !math.IsNaN(x) {
		return int64(x)
	}
	return -1
}
