package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	kafkalz4 "github.com/segmentio/kafka-go/compress/lz4"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestLz4CodecReuse: writers and readers taken from the free lists again
// and again give back every batch as it went in, a stock LZ4 frame reader
// and kafka-go's own codec read the frames they write, each block as the
// reference compressor makes it, and they read a stock writer's frames.
func TestLz4CodecReuse(t *testing.T) {
	c, ok := compress.Codecs[compress.Lz4].(*lz4Codec)
	if !ok {
		t.Fatalf("kafka-go's lz4 codec is %T, want *lz4Codec", compress.Codecs[compress.Lz4])
	}
	for i := range 40 {
		in := payload(uint64(i), 1+i*60_000) // up to ~2.3 MB, past one block
		frame := codecRoundTrip(t, c, i, in)
		if out, err := io.ReadAll(lz4.NewReader(bytes.NewReader(frame))); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("batch %d: stock reader: %v, equal %v", i, err, bytes.Equal(out, in))
		}
		// The frame descriptor: version 1, independent blocks (Kafka's Java
		// client reads no other), no block or content checksum, no content
		// size; blocks of at most 1 MiB.
		if len(frame) < 6 || frame[4] != 0x60 || frame[5] != 0x60 {
			t.Fatalf("batch %d: frame descriptor % x, want 60 60", i, frame[4:min(len(frame), 6)])
		}
		if err := referenceBlocks(frame, in); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		// kafka-go's own codec, as a consumer without ours decodes them.
		kr := new(kafkalz4.Codec).NewReader(bytes.NewReader(frame))
		if out, err := io.ReadAll(kr); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("batch %d: kafka-go's codec: %v, equal %v", i, err, bytes.Equal(out, in))
		}
		kr.Close()
		// A frame of kafka-go's own settings (4 MiB blocks, a content
		// checksum), as another producer writes it.
		var stock bytes.Buffer
		sw := lz4.NewWriter(&stock)
		if _, err := sw.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := sw.Close(); err != nil {
			t.Fatal(err)
		}
		r := c.NewReader(bytes.NewReader(stock.Bytes()))
		if out, err := io.ReadAll(r); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("batch %d: stock frame: %v, equal %v", i, err, bytes.Equal(out, in))
		}
		r.Close()
	}
	if c.writers.Len() == 0 || c.readers.Len() == 0 {
		t.Errorf("free lists hold %d writers and %d readers after use, want them kept", c.writers.Len(), c.readers.Len())
	}
	w := c.NewWriter(io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after close: no error")
	}
	r := c.NewReader(bytes.NewReader([]byte("not an lz4 frame")))
	if _, err := io.ReadAll(r); err == nil {
		t.Error("corrupt frame: no error")
	}
	r.Close()
}

// TestCodecsThroughBroker produces batches of differing records through a
// broker with the raw topics' producer (zstd) and the processor's (lz4),
// and reads every one back intact.
func TestCodecsThroughBroker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		topic string
		w     func(Cluster) *kafka.Writer
		want  kafka.Compression
	}{
		{"raw", OptionData, func(k Cluster) *kafka.Writer { return NewWriter(k, OptionData) }, kafka.Zstd},
		{"processed", ProcessedOptionData, NewProcessedWriter, kafka.Lz4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			k := newCluster(t, kfake.SeedTopics(Partitions, tt.topic))
			w := tt.w(k)
			defer w.Close()
			if w.Compression != tt.want {
				t.Fatalf("producer compresses with %s, want %s", w.Compression, tt.want)
			}
			var sent []kafka.Message
			for i := range 300 {
				m := kafka.Message{Key: []byte(fmt.Sprintf("S%d", i%7)), Value: payload(uint64(i), 100+i*97)}
				if w.Topic == "" {
					m.Topic = tt.topic
				}
				sent = append(sent, m)
			}
			if err := WriteMessages(ctx, w, sent...); err != nil {
				t.Fatal(err)
			}
			r := NewReader(ReaderConfig{Kafka: k, Group: "codec-test", Topics: []string{tt.topic}})
			defer r.Close()
			want := map[string]bool{}
			for _, m := range sent {
				want[string(m.Key)+string(m.Value)] = true
			}
			for range sent {
				m, err := FetchMessage(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				if !want[string(m.Key)+string(m.Value)] {
					t.Fatalf("read a record that was not sent: key %s, %d bytes", m.Key, len(m.Value))
				}
				delete(want, string(m.Key)+string(m.Value))
			}
			if len(want) != 0 {
				t.Errorf("%d records not read back", len(want))
			}
		})
	}
}

// referenceBlocks checks that a frame of the codec holds in as 1 MiB blocks
// compressed as the reference C library's LZ4_compress_fast compresses
// them (lz4.CompressorCCompat), or stored where that is no smaller.
func referenceBlocks(frame, in []byte) error {
	const header, block = 7, 1 << 20
	rest := frame[header:]
	var c lz4.CompressorCCompat
	dst := make([]byte, lz4.CompressBlockBound(block))
	for n := 0; ; n++ {
		if len(rest) < 4 {
			return fmt.Errorf("frame ends without its end mark")
		}
		word := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if word == 0 {
			if len(in) != 0 || len(rest) != 0 {
				return fmt.Errorf("end mark with %d bytes of input left and %d of frame after it", len(in), len(rest))
			}
			return nil
		}
		stored, size := word&(1<<31) != 0, int(word&^(1<<31))
		if size > len(rest) {
			return fmt.Errorf("block %d: %d bytes, %d left in the frame", n, size, len(rest))
		}
		src := in[:min(block, len(in))]
		in = in[len(src):]
		m, err := c.CompressBlock(src, dst[:len(src)])
		switch {
		case err != nil:
			return fmt.Errorf("block %d: %w", n, err)
		case m == 0 && (!stored || !bytes.Equal(rest[:size], src)):
			return fmt.Errorf("block %d: incompressible, but not stored as it is", n)
		case m > 0 && (stored || !bytes.Equal(rest[:size], dst[:m])):
			return fmt.Errorf("block %d: %d bytes unlike the reference compressor's %d", n, size, m)
		}
		rest = rest[size:]
	}
}
