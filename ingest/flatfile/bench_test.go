package flatfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"
)

// dayFile is a day-aggregate file of n tickers.
func dayFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("ticker,volume,open,close,high,low,window_start,transactions\n")
	ns := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "T%04d,%d,%.2f,%.2f,%.2f,%.2f,%d,%d\n", i, 1000+i, 10.5, 11.25, 11.9, 10.1, ns, 10+i)
	}
	return b.Bytes()
}

// BenchmarkParse reads a 10,000-ticker day file into rows; compare with
// BenchmarkParseBareCSV, encoding/csv and strconv alone over the same file.
func BenchmarkParse(b *testing.B) {
	data := dayFile(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rows, err := Parse("day.csv", data)
		if err != nil || len(rows) != 10000 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkParseBareCSV builds rows as Parse does (the ticker, the five
// values kept as text, window_start read as nanoseconds) but finds no
// columns by name, spells no ticker canonically and derives no New York
// date: a floor, a little under the same work.
func BenchmarkParseBareCSV(b *testing.B) {
	type row struct {
		ticker, open, high, low, close, volume string
		ns                                     int64
	}
	data := dayFile(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
		var rows []row
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			ns, err := strconv.ParseInt(rec[6], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			rows = append(rows, row{ticker: rec[0], volume: rec[1], open: rec[2], close: rec[3], high: rec[4], low: rec[5], ns: ns})
		}
		if len(rows) != 10000 {
			b.Fatal(len(rows))
		}
	}
}
