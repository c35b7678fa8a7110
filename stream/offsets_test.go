package stream_test

import (
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
)

// TestOffsetsCommitsUpToTheLowestUnfinished finishes messages out of order
// and checks each commit position: never past an unfinished message of the
// same partition, and partitions independent.
func TestOffsetsCommitsUpToTheLowestUnfinished(t *testing.T) {
	msg := func(part int, off int64) kafka.Message {
		return kafka.Message{Topic: stream.TaskQueue, Partition: part, Offset: off}
	}
	var o stream.Offsets
	for _, m := range []kafka.Message{msg(0, 10), msg(0, 11), msg(0, 12), msg(1, 5)} {
		o.Start(m)
	}
	steps := []struct {
		name   string
		finish kafka.Message
		commit int64 // the offset of the message to commit; -1 for none
	}{
		{"later one done, earlier in flight", msg(0, 11), -1},
		{"another partition is independent", msg(1, 5), 5},
		{"earliest done: up to the next unfinished", msg(0, 10), 11},
		{"finished twice: nothing new", msg(0, 10), -1},
		{"last done: everything started", msg(0, 12), 12},
	}
	for _, s := range steps {
		got, ok := o.Finish(s.finish)
		if s.commit < 0 {
			if ok {
				t.Errorf("%s: committed %s, want nothing", s.name, stream.Origin(got))
			}
			continue
		}
		if !ok || got.Partition != s.finish.Partition || got.Offset != s.commit {
			t.Errorf("%s: got %s (%v), want offset %d", s.name, stream.Origin(got), ok, s.commit)
		}
	}
}
