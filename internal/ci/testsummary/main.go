// Command testsummary condenses `go test -json` output for CI logs.
//
//	go test -json ./... 2>&1 | go run ./internal/ci/testsummary [-strict]
//
// It echoes the output of every failed test and failed package build (so the
// log shows why), names every skipped test with its reason, and ends with the
// line "N passed, N failed, N skipped". It exits 1 when a test or build
// failed, when the input held no test at all, or, with -strict, when a test
// was skipped; otherwise 0. Lines that are not JSON (such as stderr merged in
// with 2>&1) are echoed unchanged.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testsummary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "fail when any test was skipped")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "testsummary: unexpected arguments %q; input is read from stdin\n", fs.Args())
		return 2
	}
	c, err := summarize(stdin, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "testsummary: %v\n", err)
		// Still print the counts seen so far, as the last line.
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", c.Passed, c.Failed, c.Skipped)
	return c.exitCode(*strict, err)
}
