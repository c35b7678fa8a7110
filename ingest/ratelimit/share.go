package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
)

// Share returns share i of n disjoint shares of keys: key j goes to share
// j mod n. Replicas that each plan against their own share never spend one
// key's per-minute budget twice. Every share must get at least one key.
func Share(keys []string, n, i int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("key shares: %d shares, want at least 1", n)
	}
	if i < 0 || i >= n {
		return nil, fmt.Errorf("key share %d out of range: want 0 to %d for %d shares", i, n-1, n)
	}
	if len(keys) < n {
		return nil, fmt.Errorf("%d keys cannot make %d shares of at least one key each", len(keys), n)
	}
	var out []string
	for j := i; j < len(keys); j += n {
		out = append(out, keys[j])
	}
	return out, nil
}

// Ordinal is the number ending a StatefulSet pod's host name: 2 for
// "collector-2".
func Ordinal(host string) (int, error) {
	cut := strings.LastIndexByte(host, '-')
	n, err := strconv.Atoi(host[cut+1:])
	if cut < 0 || err != nil || n < 0 {
		return 0, fmt.Errorf("host name %q does not end in -<ordinal>, as a StatefulSet pod's does", host)
	}
	return n, nil
}
