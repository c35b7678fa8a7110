package lake

import (
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
	"github.com/tickerlake/tickerlake/internal/freelist"
)

// pageWindow is the Parquet zstd encoders' window. A page is about a
// megabyte at most (the writer's data page size), so a longer window finds
// no more matches; it only makes each encoder's history buffer larger.
const pageWindow = 1 << 20

// keptEncoders bounds the page encoders kept per level: the writer
// compresses GOMAXPROCS+2 column chunks at once.
const keptEncoders = 8

// pageCodec is Parquet's zstd codec with its encoders kept on a free list.
// arrow-go's own keeps them in a sync.Pool, which garbage collection
// empties, and a new encoder allocates and clears a 16 MiB history buffer
// on the first page over 128 KiB: in a commit that was more of the cost
// than compressing. Encoding takes the same options as arrow-go's (so pages
// up to the window compress to the same bytes); decoding and streams are
// arrow-go's.
type pageCodec struct {
	base compress.Codec
	free [zstd.SpeedBestCompression + 1]freelist.List[*zstd.Encoder] // by level
}

// init puts pageCodec in arrow-go's codec table in place of its zstd
// codec; should arrow-go have none, its table is left as it is.
func init() {
	base, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return
	}
	c := &pageCodec{base: base}
	for i := range c.free {
		c.free[i].Max = keptEncoders
	}
	compress.RegisterCodec(compress.Codecs.Zstd, c)
}

// EncodeLevel compresses one page.
func (c *pageCodec) EncodeLevel(dst, src []byte, level int) []byte {
	lvl := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		lvl = zstd.EncoderLevelFromZstd(level)
	}
	free := &c.free[lvl]
	enc, ok := free.Get()
	if !ok {
		var err error
		enc, err = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(1),
			zstd.WithAllLitEntropyCompression(true), zstd.WithWindowSize(pageWindow))
		if err != nil { // only for invalid options, which these are not
			return c.base.EncodeLevel(dst, src, level)
		}
	}
	out := enc.EncodeAll(src, dst[:0])
	free.Put(enc)
	return out
}

func (c *pageCodec) Encode(dst, src []byte) []byte { return c.base.Encode(dst, src) }

func (c *pageCodec) CompressBound(n int64) int64 { return c.base.CompressBound(n) }

func (c *pageCodec) Decode(dst, src []byte) []byte { return c.base.Decode(dst, src) }

// DecodeWithError keeps arrow-go's error for a malformed page.
func (c *pageCodec) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.base, dst, src)
}

func (c *pageCodec) NewReader(r io.Reader) io.ReadCloser {
	return c.base.(compress.StreamingCodec).NewReader(r)
}

func (c *pageCodec) NewWriter(w io.Writer) io.WriteCloser {
	return c.base.(compress.StreamingCodec).NewWriter(w)
}

func (c *pageCodec) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return c.base.(compress.StreamingCodec).NewWriterLevel(w, level)
}
