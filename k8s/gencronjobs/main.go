// Command gencronjobs writes the base's collection CronJobs from the
// dataset registry: go generate ./k8s.
package main

import (
	"fmt"
	"os"

	"github.com/tickerlake/tickerlake/k8s"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencronjobs FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], k8s.CollectCronJobs(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gencronjobs:", err)
		os.Exit(1)
	}
}
