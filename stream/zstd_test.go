package stream

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/segmentio/kafka-go/compress"
)

// payload is n bytes of JSON-like text that compresses, different per seed.
func payload(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"strike":%d,"bid":%.2f,"ask":%.2f},`, rng.IntN(400), rng.Float64()*30, rng.Float64()*30)
	}
	return b.Bytes()[:n]
}

// TestZstdCodecReuse: encoders and decoders taken from the free lists again
// and again give back every batch as it went in, and a stock zstd decoder
// reads the frames they write.
func TestZstdCodecReuse(t *testing.T) {
	c, ok := compress.Codecs[compress.Zstd].(*zstdCodec)
	if !ok {
		t.Fatalf("kafka-go's zstd codec is %T, want *zstdCodec", compress.Codecs[compress.Zstd])
	}
	stock, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stock.Close()
	for i := range 40 {
		in := payload(uint64(i), 1+i*25_000) // up to ~1 MB, past the window
		frame := codecRoundTrip(t, c, i, in)
		if out, err := stock.DecodeAll(frame, nil); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("batch %d: stock decoder: %v, equal %v", i, err, bytes.Equal(out, in))
		}
	}
	enc, dec := c.encoders.Len(), c.decoders.Len()
	if enc == 0 || dec == 0 {
		t.Errorf("free lists hold %d encoders and %d decoders after use, want them kept", enc, dec)
	}
	// A writer used after Close and a reader of a corrupt frame fail cleanly.
	w := c.NewWriter(io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after close: no error")
	}
	r := c.NewReader(bytes.NewReader([]byte("not a zstd frame")))
	if _, err := io.ReadAll(r); err == nil {
		t.Error("corrupt frame: no error")
	}
	r.Close()
}

// codecRoundTrip compresses batch i, in, with c, checks that it shrank and
// that c reads it back whole, and returns the compressed frame.
func codecRoundTrip(t *testing.T, c compress.Codec, i int, in []byte) []byte {
	t.Helper()
	var frame bytes.Buffer
	w := c.NewWriter(&frame)
	if _, err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if frame.Len() >= len(in) && len(in) > 1000 {
		t.Errorf("batch %d: %d bytes compressed to %d", i, len(in), frame.Len())
	}
	r := c.NewReader(bytes.NewReader(frame.Bytes()))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("batch %d: %v", i, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("batch %d: %d bytes came back as %d different ones", i, len(in), len(out))
	}
	return frame.Bytes()
}
