// Command rtfsvm runs RTFS plans. Its contract (flags, output, exit statuses) is fixed:
// see the README.
package main

import (
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
