// Command genmanifests writes the manifests derived from code: the local
// overlay's Strimzi KafkaTopic objects (stream's topic list) and the base's
// collection CronJobs (the dataset registry). go generate ./k8s runs it.
package main

import (
	"fmt"
	"os"

	"github.com/tickerlake/tickerlake/k8s"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: genmanifests KAFKA_TOPICS_FILE COLLECT_CRONJOBS_FILE")
		os.Exit(2)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{
		// One broker in the local overlay: one replica per partition.
		{os.Args[1], k8s.StrimziTopics(k8s.StrimziCluster, 1)},
		{os.Args[2], k8s.CollectCronJobs()},
	} {
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genmanifests:", err)
			os.Exit(1)
		}
	}
}
