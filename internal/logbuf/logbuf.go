// Package logbuf is a log destination tests read back: a buffer that
// several goroutines may write at once.
package logbuf

import (
	"bytes"
	"sync"
)

// Buffer keeps what is written to it; its zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes is a copy of what has been written.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// String is what has been written.
func (b *Buffer) String() string { return string(b.Bytes()) }
