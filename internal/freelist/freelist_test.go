package freelist

import "testing"

func TestListIsBoundedAndLastInFirstOut(t *testing.T) {
	l := List[int]{Max: 2}
	if _, ok := l.Get(); ok {
		t.Fatal("an empty list gave a value")
	}
	for i, want := range []bool{true, true, false} {
		if got := l.Put(i + 1); got != want {
			t.Errorf("Put(%d) = %v, want %v", i+1, got, want)
		}
	}
	if n := l.Len(); n != 2 {
		t.Errorf("Len() = %d after two kept, want 2", n)
	}
	for _, want := range []int{2, 1} {
		if v, ok := l.Get(); !ok || v != want {
			t.Errorf("Get() = %d, %v; want %d, true", v, ok, want)
		}
	}
	if _, ok := l.Get(); ok {
		t.Error("the list gave more than was put")
	}
}
