// Command rtfsvm runs RTFS plans. Its contract (flags, output, exit statuses) is fixed:
// see the README.
package main

import (
	"os"

	"github.com/rtfsvm/rtfsvm/internal/startheap"
)

func main() {
	// A run is mostly one compile and one VM: collecting before the heap reaches its
	// starting goal would only delay it (see startheap).
	startheap.Set(startheap.Goal)
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
