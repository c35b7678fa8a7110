package lake

import "testing"

// TestKeptBuffersStayInBudget offers the free list more large buffers than
// its budget holds, and checks the bytes it keeps stay within it and that
// taking them back accounts for every byte.
func TestKeptBuffersStayInBudget(t *testing.T) {
	for {
		if _, ok := encodeBuffers.Get(); !ok {
			break
		}
	}
	keptBytes.Store(0)
	const size = 24 << 20
	for range keptBuffers {
		recycle(make([]byte, 0, size))
	}
	if got := keptBytes.Load(); got > keptBudget || got == 0 {
		t.Fatalf("kept %d bytes, want some and at most the budget of %d", got, keptBudget)
	}
	if n, want := encodeBuffers.Len(), keptBudget/size; n != want {
		t.Errorf("kept %d buffers of %d MiB, want %d", n, size>>20, want)
	}
	recycle(make([]byte, 0, maxRecycled+1))
	for encodeBuffers.Len() > 0 {
		encodeBuffer()
	}
	if got := keptBytes.Load(); got != 0 {
		t.Errorf("%d bytes still counted once every kept buffer was taken", got)
	}
}
