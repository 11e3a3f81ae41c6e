// Command ratios runs every benchmark workload on every engine and prints a Markdown
// table of ns/op, with each engine's time as a multiple of native Go's.
//
//	cd bench && go run ./cmd/ratios [-test.benchtime=3x]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/bench"
)

func main() {
	// testing.Init registers the -test.* flags, so -test.benchtime works here too.
	testing.Init()
	flag.Parse()

	var names []string
	for _, e := range bench.Workloads[0].Engines() {
		names = append(names, e.Name)
	}
	header := []string{"workload"}
	for _, n := range names {
		header = append(header, n+" ns/op")
	}
	for _, n := range names {
		if n != "native-go" {
			header = append(header, n+"/native")
		}
	}
	row(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = "---"
	}
	row(rule)

	failed := false
	for _, w := range bench.Workloads {
		ns := map[string]int64{}
		cells := []string{w.Name}
		for _, e := range w.Engines() {
			fmt.Fprintf(os.Stderr, "%s engine=%s...\n", w.Name, e.Name)
			r := testing.Benchmark(e.Bench)
			// testing.Benchmark returns an empty result when the benchmark fails
			// (a wrong answer or an error) and keeps its message; say where to see it.
			if r.N == 0 {
				failed = true
				fmt.Fprintf(os.Stderr, "failed: go test -bench 'Benchmark%s/engine=%s' says why\n", w.Name, e.Name)
				cells = append(cells, "failed")
				continue
			}
			ns[e.Name] = r.NsPerOp()
			cells = append(cells, fmt.Sprint(r.NsPerOp()))
		}
		for _, n := range names {
			if n == "native-go" {
				continue
			}
			if ns[n] == 0 || ns["native-go"] == 0 {
				cells = append(cells, "-")
			} else {
				cells = append(cells, fmt.Sprintf("%.1fx", float64(ns[n])/float64(ns["native-go"])))
			}
		}
		row(cells)
	}
	if failed {
		os.Exit(1)
	}
}

func row(cells []string) { fmt.Println("| " + strings.Join(cells, " | ") + " |") }
