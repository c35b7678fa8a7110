package transform

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ParseDividendYields reads continuous dividend yields by symbol: pairs
// SYMBOL=yield (or SYMBOL,yield), separated by commas, semicolons or new
// lines, so the same text works as a flag value and as a file with one pair
// a line. Blank lines and lines starting with # are skipped; symbols are
// made canonical (brk-b is BRK.B).
func ParseDividendYields(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		// A line holds either one SYMBOL,yield pair or several SYMBOL=yield ones.
		var pairs []string
		if strings.Contains(text, "=") {
			pairs = strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' })
		} else {
			pairs = []string{text}
		}
		for _, p := range pairs {
			sym, y, ok := strings.Cut(p, "=")
			if !ok {
				sym, y, ok = strings.Cut(p, ",")
			}
			if !ok {
				return nil, fmt.Errorf("dividend yields line %d: %q: want SYMBOL=yield", line, p)
			}
			canon, err := symbolOf(sym)
			if err != nil {
				return nil, fmt.Errorf("dividend yields line %d: %w", line, err)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(y), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
				return nil, fmt.Errorf("dividend yields line %d: %s yield %q: want a decimal in [0, 1] (0.005 = 0.5%%)", line, canon, strings.TrimSpace(y))
			}
			if _, dup := out[canon]; dup {
				return nil, fmt.Errorf("dividend yields line %d: %s given twice", line, canon)
			}
			out[canon] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dividend yields: %w", err)
	}
	return out, nil
}
