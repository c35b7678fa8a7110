package stream

import "github.com/segmentio/kafka-go"

// Offsets tracks messages handled out of order, so that a consumer commits
// on each partition only up to its lowest message still unfinished: a
// commit never skips past work a crash would then lose. The zero value is
// ready; it is not safe for concurrent use.
type Offsets struct {
	parts map[partition]*partOffsets
}

type partition struct {
	topic string
	part  int
}

type partOffsets struct {
	open      map[int64]bool // started, not finished
	next      int64          // one past the highest offset started
	committed int64          // one past the highest offset committed
}

// Start records m as fetched and unfinished.
func (o *Offsets) Start(m kafka.Message) {
	if o.parts == nil {
		o.parts = map[partition]*partOffsets{}
	}
	k := partition{m.Topic, m.Partition}
	p := o.parts[k]
	if p == nil {
		p = &partOffsets{open: map[int64]bool{}, committed: m.Offset}
		o.parts[k] = p
	}
	p.open[m.Offset] = true
	p.next = max(p.next, m.Offset+1)
}

// Finish records m as handled. When that lets its partition's commit
// position advance, it returns the message to pass to CommitMessages (which
// commits one past its offset: every message before the lowest unfinished
// one, or all started) and true.
func (o *Offsets) Finish(m kafka.Message) (kafka.Message, bool) {
	p := o.parts[partition{m.Topic, m.Partition}]
	if p == nil || !p.open[m.Offset] {
		return kafka.Message{}, false
	}
	delete(p.open, m.Offset)
	upTo := p.next
	for off := range p.open {
		upTo = min(upTo, off)
	}
	if upTo <= p.committed {
		return kafka.Message{}, false
	}
	p.committed = upTo
	return kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: upTo - 1}, true
}
