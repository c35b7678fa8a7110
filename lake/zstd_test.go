package lake

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
)

// TestPageCodec: the registered zstd codec's pages decode to what went in,
// are byte for byte what arrow-go's own codec writes for pages up to the
// window, and its encoders are kept for the next page.
func TestPageCodec(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := codec.(*pageCodec)
	if !ok {
		t.Fatalf("Parquet's zstd codec is %T, want *pageCodec", codec)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i, n := range []int{1, 100, 64 << 10, 128<<10 + 1, 700 << 10, pageWindow, pageWindow + 300<<10, 3 << 20} {
		var page bytes.Buffer
		for page.Len() < n {
			fmt.Fprintf(&page, "%.4f,%d;", rng.Float64()*100, rng.IntN(1000))
		}
		src := page.Bytes()[:n]
		for _, level := range []int{compress.DefaultCompressionLevel, 1} {
			got := c.EncodeLevel(nil, src, level)
			back, err := compress.Decode(c, nil, got)
			if err != nil || !bytes.Equal(back, src) {
				t.Fatalf("page %d (%d bytes), level %d: decoded %d bytes, err %v", i, n, level, len(back), err)
			}
			if want := c.base.EncodeLevel(nil, src, level); n <= pageWindow && !bytes.Equal(got, want) {
				t.Errorf("page %d (%d bytes), level %d: %d bytes, arrow-go's codec writes %d other ones", i, n, level, len(got), len(want))
			}
		}
	}
	kept := 0
	for i := range c.free {
		if c.free[i].Len() > 0 {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("encoders kept for %d levels, want 2", kept)
	}
	if _, err := compress.Decode(c, nil, []byte("not zstd")); err == nil {
		t.Error("a malformed page decodes without error")
	}
}
