// Command gentopics writes the local overlay's Strimzi KafkaTopic objects
// from stream's topic list: go generate ./k8s.
package main

import (
	"fmt"
	"os"

	"github.com/tickerlake/tickerlake/k8s"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gentopics FILE")
		os.Exit(2)
	}
	// One broker in the local overlay: one replica per partition.
	if err := os.WriteFile(os.Args[1], k8s.StrimziTopics(k8s.StrimziCluster, 1), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gentopics:", err)
		os.Exit(1)
	}
}
