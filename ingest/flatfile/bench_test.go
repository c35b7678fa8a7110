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

func BenchmarkParseBareCSV(b *testing.B) {
	data := dayFile(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		n := 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := strconv.ParseInt(rec[6], 10, 64); err == nil {
				n++
			}
		}
		if n != 10000 {
			b.Fatal(n)
		}
	}
}
