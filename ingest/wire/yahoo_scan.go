package wire

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"
)

// Decoding the option chains with encoding/json was the largest cost of the processor
// after the analytics: reflection per field and an allocation per pointer field. chainScanner
// reads the option-data shape directly. It gives what json.Unmarshal gives, or gives up:
// on anything it does not handle exactly as encoding/json does (a syntax error, a type
// mismatch, a key that names a field only case-insensitively, a key given twice, a string
// with an escape or a byte outside printable ASCII, a number out of range, deep nesting) it
// reports false and the caller decodes the whole message with encoding/json, which then
// also words the error. FuzzDecodeOptionChain holds the two to equal results.
//
// A contract costs no allocation of its own: the contracts of a message share blocks (the
// calls and the puts of a series are each a run of one block), as do the numbers the
// pointer fields point to and the bytes of the strings kept. Blocks are sized by the
// message's count of '{', which bounds its contracts and costs little to take.
type chainScanner struct {
	b     []byte
	s     string // b viewed as a string, for keys and number literals; never kept
	i     int
	depth int
	objs  int // the message's count of '{'
	cts   []Contract
	fl    []float64
	in    []int64
	bo    []bool
	strs  []byte   // bytes of kept strings; written once, never changed
	short []string // recently kept strings of up to 8 bytes (a currency, a contract size)
}

// maxSkipDepth bounds the nesting of skipped values; deeper ones go to encoding/json.
const maxSkipDepth = 200

// block is how many items of a kind a contract holds perContract of share an allocation:
// enough for the contracts the message can hold, within bounds. used is the capacity of
// the block it replaces; past the first, only the rest of the message is counted.
func (sc *chainScanner) block(perContract, used int) int {
	objs := sc.objs
	if used > 0 {
		objs = bytes.Count(sc.b[sc.i:], []byte{'{'}) + 1
	}
	return min(max(objs*perContract, 8), 4096)
}

func scanOptionChain(b []byte) (OptionChain, bool) {
	sc := chainScanner{b: b, s: unsafe.String(unsafe.SliceData(b), len(b)), objs: bytes.Count(b, []byte{'{'})}
	var oc OptionChain
	sc.ws()
	if sc.null() {
		return oc, sc.end()
	}
	ok := sc.object(rootFields, func(f int) bool {
		return sc.object(chainFields, func(f int) bool {
			if f == 0 {
				return sc.results(&oc.OptionChain.Result)
			}
			if sc.null() {
				oc.OptionChain.Error = nil
				return true
			}
			e := &YahooError{}
			oc.OptionChain.Error = e
			return sc.object(errorFields, func(f int) bool {
				if f == 0 {
					return sc.keep(&e.Code)
				}
				return sc.keep(&e.Description)
			})
		})
	})
	return oc, ok && sc.end()
}

func (sc *chainScanner) results(dst *[]OptionResult) bool {
	return sc.array(func(null bool) bool {
		*dst = append(*dst, OptionResult{})
		if null {
			return true
		}
		r := &(*dst)[len(*dst)-1]
		return sc.object(resultFields, func(f int) bool {
			switch f {
			case 0:
				return sc.keep(&r.UnderlyingSymbol)
			case 1:
				return sc.ints(&r.ExpirationDates)
			case 2:
				return sc.floats(&r.Strikes)
			case 3:
				return sc.quote(&r.Quote)
			}
			return sc.series(&r.Options)
		})
	}, func() { *dst = []OptionResult{} }, func() { *dst = nil })
}

func (sc *chainScanner) quote(q *YahooQuote) bool {
	if sc.null() {
		return true
	}
	return sc.object(quoteFields, func(f int) bool {
		switch f {
		case 0:
			return sc.keep(&q.Symbol)
		case 1:
			return sc.floatPtr(&q.RegularMarketPrice)
		case 2:
			return sc.intPtr(&q.RegularMarketTime)
		}
		return sc.keep(&q.Currency)
	})
}

func (sc *chainScanner) series(dst *[]OptionSeries) bool {
	return sc.array(func(null bool) bool {
		*dst = append(*dst, OptionSeries{})
		if null {
			return true
		}
		s := &(*dst)[len(*dst)-1]
		return sc.object(seriesFields, func(f int) bool {
			switch f {
			case 0:
				if sc.null() {
					return true
				}
				return sc.int(&s.ExpirationDate)
			case 1:
				return sc.contracts(&s.Calls)
			}
			return sc.contracts(&s.Puts)
		})
	}, func() { *dst = []OptionSeries{} }, func() { *dst = nil })
}

// fieldSet is the keys of an object's fields, in the order Yahoo sends them.
type fieldSet struct {
	names  []string
	quoted []string // each name in quotes: the key as it appears in the message
}

func fields(names ...string) fieldSet {
	fs := fieldSet{names: names}
	for _, n := range names {
		fs.quoted = append(fs.quoted, strconv.Quote(n))
	}
	return fs
}

var (
	rootFields     = fields("optionChain")
	chainFields    = fields("result", "error")
	errorFields    = fields("code", "description")
	resultFields   = fields("underlyingSymbol", "expirationDates", "strikes", "quote", "options")
	quoteFields    = fields("symbol", "regularMarketPrice", "regularMarketTime", "currency")
	seriesFields   = fields("expirationDate", "calls", "puts")
	contractFields = fields("contractSymbol", "strike", "currency", "lastPrice", "change", "percentChange",
		"volume", "openInterest", "bid", "ask", "contractSize", "expiration", "lastTradeDate", "impliedVolatility", "inTheMoney")
)

func (sc *chainScanner) contracts(dst *[]Contract) bool {
	start := len(sc.cts) // this array's contracts are sc.cts[start:]
	ok := sc.array(func(null bool) bool {
		sc.cts, start = appendRun(sc, sc.cts, start, Contract{}, 1)
		if null {
			return true
		}
		c := &sc.cts[len(sc.cts)-1]
		return sc.object(contractFields, func(f int) bool {
			switch f {
			case 0:
				return sc.keep(&c.ContractSymbol)
			case 1:
				return sc.floatPtr(&c.Strike)
			case 2:
				return sc.keep(&c.Currency)
			case 3:
				return sc.floatPtr(&c.LastPrice)
			case 4:
				return sc.floatPtr(&c.Change)
			case 5:
				return sc.floatPtr(&c.PercentChange)
			case 6:
				return sc.intPtr(&c.Volume)
			case 7:
				return sc.intPtr(&c.OpenInterest)
			case 8:
				return sc.floatPtr(&c.Bid)
			case 9:
				return sc.floatPtr(&c.Ask)
			case 10:
				return sc.keep(&c.ContractSize)
			case 11:
				return sc.intPtr(&c.Expiration)
			case 12:
				return sc.intPtr(&c.LastTradeDate)
			case 13:
				return sc.floatPtr(&c.ImpliedVolatility)
			}
			return sc.boolPtr(&c.InTheMoney)
		})
	}, func() { *dst = []Contract{} }, func() { *dst = nil })
	if ok && len(sc.cts) > start {
		// Capped, so that appending to the calls cannot overwrite the puts.
		*dst = sc.cts[start:len(sc.cts):len(sc.cts)]
	}
	return ok
}

// object reads an object whose known keys are fs, calling field with the index of each
// known key, the scanner at its value; other keys' values are skipped. A key given twice,
// or one that equals a field only case-insensitively, gives up.
func (sc *chainScanner) object(fs fieldSet, field func(int) bool) bool {
	if !sc.consume('{') {
		return false
	}
	sc.ws()
	if sc.consume('}') {
		return true
	}
	var seen uint64
	next := 0 // the field expected next: Yahoo sends them in the order listed
	for {
		sc.ws()
		f := -1
		if next < len(fs.names) && strings.HasPrefix(sc.s[sc.i:], fs.quoted[next]) {
			// The key is the field's name exactly (a name needs no escape), and no two
			// fields' names are equal but for case, so it needs no check against the others.
			sc.i += len(fs.quoted[next])
			f = next
		} else {
			var key string
			if !sc.str(&key) {
				return false
			}
			for j, name := range fs.names {
				if key == name {
					f = j
					break
				}
				if strings.EqualFold(key, name) {
					return false
				}
			}
		}
		sc.ws()
		if !sc.consume(':') {
			return false
		}
		sc.ws()
		next = f + 1
		if f >= 0 {
			if seen&(1<<f) != 0 {
				return false
			}
			seen |= 1 << f
			if !field(f) {
				return false
			}
		} else if !sc.skip() {
			return false
		}
		sc.ws()
		if sc.consume('}') {
			return true
		}
		if !sc.consume(',') {
			return false
		}
	}
}

// array reads an array (elem for each element, told whether it is null), or null (then
// setNull). An empty array is an empty, not a nil, slice (setEmpty), as encoding/json has it.
func (sc *chainScanner) array(elem func(null bool) bool, setEmpty, setNull func()) bool {
	if sc.null() {
		setNull()
		return true
	}
	if !sc.consume('[') {
		return false
	}
	sc.ws()
	if sc.consume(']') {
		setEmpty()
		return true
	}
	for {
		sc.ws()
		if !elem(sc.null()) {
			return false
		}
		sc.ws()
		if sc.consume(']') {
			return true
		}
		if !sc.consume(',') {
			return false
		}
	}
}

// appendRun appends x to the run of blk that starts at start. A full block's run
// moves to a new block, sized for perContract values a contract left in the message
// and at least twice the run; appendRun returns the block and the run's start in it.
func appendRun[T any](sc *chainScanner, blk []T, start int, x T, perContract int) ([]T, int) {
	if len(blk) == cap(blk) {
		n := len(blk) - start
		moved := make([]T, n, max(sc.block(perContract, cap(blk)), 2*n))
		copy(moved, blk[start:])
		blk, start = moved, 0
	}
	return append(blk, x), start
}

// floats reads an array of numbers into a run of the block of floats.
func (sc *chainScanner) floats(dst *[]float64) bool {
	start := len(sc.fl)
	ok := sc.array(func(null bool) bool {
		var x float64
		if !null && !sc.float(&x) {
			return false
		}
		sc.fl, start = appendRun(sc, sc.fl, start, x, 7)
		return true
	}, func() { *dst = []float64{} }, func() { *dst = nil })
	if ok && len(sc.fl) > start {
		*dst = sc.fl[start:len(sc.fl):len(sc.fl)]
	}
	return ok
}

// ints reads an array of integers into a run of the block of integers.
func (sc *chainScanner) ints(dst *[]int64) bool {
	start := len(sc.in)
	ok := sc.array(func(null bool) bool {
		var x int64
		if !null && !sc.int(&x) {
			return false
		}
		sc.in, start = appendRun(sc, sc.in, start, x, 4)
		return true
	}, func() { *dst = []int64{} }, func() { *dst = nil })
	if ok && len(sc.in) > start {
		*dst = sc.in[start:len(sc.in):len(sc.in)]
	}
	return ok
}

func (sc *chainScanner) floatPtr(dst **float64) bool {
	if sc.null() {
		*dst = nil
		return true
	}
	var x float64
	if !sc.float(&x) {
		return false
	}
	if len(sc.fl) == cap(sc.fl) {
		sc.fl = make([]float64, 0, sc.block(7, cap(sc.fl)))
	}
	sc.fl = append(sc.fl, x)
	*dst = &sc.fl[len(sc.fl)-1]
	return true
}

func (sc *chainScanner) intPtr(dst **int64) bool {
	if sc.null() {
		*dst = nil
		return true
	}
	var x int64
	if !sc.int(&x) {
		return false
	}
	if len(sc.in) == cap(sc.in) {
		sc.in = make([]int64, 0, sc.block(4, cap(sc.in)))
	}
	sc.in = append(sc.in, x)
	*dst = &sc.in[len(sc.in)-1]
	return true
}

func (sc *chainScanner) boolPtr(dst **bool) bool {
	if sc.null() {
		*dst = nil
		return true
	}
	var x bool
	switch {
	case sc.literal("true"):
		x = true
	case sc.literal("false"):
	default:
		return false
	}
	if len(sc.bo) == cap(sc.bo) {
		sc.bo = make([]bool, 0, sc.block(1, cap(sc.bo)))
	}
	sc.bo = append(sc.bo, x)
	*dst = &sc.bo[len(sc.bo)-1]
	return true
}

// keep reads a string into dst as str does, copied out of the message: into the block of
// kept strings, or, if it is short and was kept lately, the copy kept then.
func (sc *chainScanner) keep(dst *string) bool {
	if sc.null() {
		return true
	}
	var s string
	if !sc.str(&s) {
		return false
	}
	if s == "" {
		*dst = ""
		return true
	}
	if len(s) <= 8 {
		for _, k := range sc.short {
			if k == s {
				*dst = k
				return true
			}
		}
	}
	if len(sc.strs)+len(s) > cap(sc.strs) {
		sc.strs = make([]byte, 0, max(sc.block(24, cap(sc.strs)), len(s)))
	}
	at := len(sc.strs)
	sc.strs = append(sc.strs, s...)
	// The bytes at and past at are never written again, so the string is immutable.
	*dst = unsafe.String(unsafe.SliceData(sc.strs[at:]), len(s))
	if len(s) <= 8 {
		if len(sc.short) == 4 {
			copy(sc.short, sc.short[1:])
			sc.short = sc.short[:3]
		}
		sc.short = append(sc.short, *dst)
	}
	return true
}

// str reads a string into dst (null leaves dst as it is) as a view of the message, which
// the caller must not keep (keep copies). Only strings of printable ASCII without escapes
// are read here.
func (sc *chainScanner) str(dst *string) bool {
	if sc.null() {
		return true
	}
	if !sc.consume('"') {
		return false
	}
	start := sc.i
	for ; sc.i < len(sc.b); sc.i++ {
		c := sc.b[sc.i]
		if c == '"' {
			*dst = sc.s[start:sc.i]
			sc.i++
			return true
		}
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return false
}

// number reads a JSON number literal and reports whether it has a fraction or exponent.
func (sc *chainScanner) number() (lit string, frac bool, ok bool) {
	start := sc.i
	b := sc.b
	if sc.i < len(b) && b[sc.i] == '-' {
		sc.i++
	}
	switch {
	case sc.i < len(b) && b[sc.i] == '0':
		sc.i++
	case sc.i < len(b) && b[sc.i] >= '1' && b[sc.i] <= '9':
		for sc.i < len(b) && b[sc.i]-'0' < 10 {
			sc.i++
		}
	default:
		return "", false, false
	}
	if sc.i < len(b) && b[sc.i] == '.' {
		frac = true
		sc.i++
		if !sc.digits() {
			return "", false, false
		}
	}
	if sc.i < len(b) && (b[sc.i] == 'e' || b[sc.i] == 'E') {
		frac = true
		sc.i++
		if sc.i < len(b) && (b[sc.i] == '+' || b[sc.i] == '-') {
			sc.i++
		}
		if !sc.digits() {
			return "", false, false
		}
	}
	return sc.s[start:sc.i], frac, true
}

func (sc *chainScanner) digits() bool {
	start := sc.i
	for sc.i < len(sc.b) && sc.b[sc.i]-'0' < 10 {
		sc.i++
	}
	return sc.i > start
}

// float reads a number as encoding/json reads it into a float64. One of at most 19
// digits whose integer fits in 53 bits and no exponent, the common case, is read in the
// same pass as its syntax: its digits as an integer, exact in a float64, over a power of
// ten, also exact, is correctly rounded (Clinger's fast path). Counting digits rather
// than the integer's bits sent the shortest forms of computed figures (0.2086979938063821,
// 17 digits with the leading zero) to strconv, which reads them again from the start.
// Others go to strconv.
func (sc *chainScanner) float(dst *float64) bool {
	b, i := sc.b, sc.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var m uint64
	digits := 0
	switch {
	case i < len(b) && b[i] == '0':
		i++
		digits = 1
	case i < len(b) && b[i]-'1' < 9:
		for ; i < len(b) && b[i]-'0' < 10; i++ {
			m = m*10 + uint64(b[i]-'0')
			digits++
		}
	default:
		return false
	}
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		from := i
		for ; i < len(b) && b[i]-'0' < 10; i++ {
			m = m*10 + uint64(b[i]-'0')
		}
		if frac = i - from; frac == 0 {
			return false
		}
		digits += frac
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		from := i
		for ; i < len(b) && b[i]-'0' < 10; i++ {
		}
		if i == from {
			return false
		}
		digits = 20 // for strconv
	}
	if digits > 19 || m > 1<<53 {
		x, err := strconv.ParseFloat(sc.s[sc.i:i], 64)
		*dst, sc.i = x, i
		return err == nil
	}
	x := float64(m) / pow10[frac]
	if neg {
		x = -x
	}
	*dst, sc.i = x, i
	return true
}

// int reads an integer as encoding/json reads it into an int64: up to 18 digits in the
// same pass as its syntax, longer ones by strconv.
func (sc *chainScanner) int(dst *int64) bool {
	b, i := sc.b, sc.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var m int64
	from := i
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' < 9:
		for ; i < len(b) && b[i]-'0' < 10; i++ {
			m = m*10 + int64(b[i]-'0')
		}
	default:
		return false
	}
	if i-from > 18 || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		lit, frac, ok := sc.number()
		if !ok || frac {
			return false
		}
		x, err := strconv.ParseInt(lit, 10, 64)
		*dst = x
		return err == nil
	}
	if neg {
		m = -m
	}
	*dst, sc.i = m, i
	return true
}

// skip passes over one value of any kind, checking its syntax as encoding/json does.
func (sc *chainScanner) skip() bool {
	if sc.i >= len(sc.b) {
		return false
	}
	switch c := sc.b[sc.i]; {
	case c == '{' || c == '[':
		if sc.depth++; sc.depth > maxSkipDepth {
			return false
		}
		defer func() { sc.depth-- }()
		if c == '[' {
			return sc.array(func(null bool) bool { return null || sc.skip() }, func() {}, func() {})
		}
		return sc.object(fieldSet{}, nil)
	case c == '"':
		return sc.skipString()
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.null()
	}
	_, _, ok := sc.number()
	return ok
}

// skipString passes over a string with any escapes and bytes encoding/json accepts.
func (sc *chainScanner) skipString() bool {
	sc.i++
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		sc.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if sc.i >= len(sc.b) {
				return false
			}
			e := sc.b[sc.i]
			sc.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if sc.i+4 > len(sc.b) {
					return false
				}
				for _, h := range sc.b[sc.i : sc.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				sc.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// ws passes over whitespace. Yahoo sends none, so the check for none is inlined.
func (sc *chainScanner) ws() {
	if sc.i < len(sc.b) && sc.b[sc.i] > ' ' {
		return
	}
	sc.wsSlow()
}

func (sc *chainScanner) wsSlow() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *chainScanner) consume(c byte) bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

func (sc *chainScanner) literal(word string) bool {
	if strings.HasPrefix(sc.s[sc.i:], word) {
		sc.i += len(word)
		return true
	}
	return false
}

func (sc *chainScanner) null() bool {
	return sc.i < len(sc.b) && sc.b[sc.i] == 'n' && sc.literal("null")
}

// end reports whether only whitespace is left.
func (sc *chainScanner) end() bool {
	sc.ws()
	return sc.i == len(sc.b)
}
