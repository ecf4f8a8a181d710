package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), including the
// build events go test emits since Go 1.24.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string // on a package "fail": the ImportPath that did not build
}

// Counts are the totals of a run. Tests include subtests; a package that
// failed without any failing test (a build failure, a crash in TestMain, a
// timeout) counts as one failure, so a red run can never look green.
type Counts struct {
	Passed, Failed, Skipped int
}

func (c Counts) exitCode(strict bool, err error) int {
	switch {
	case err != nil, c.Failed > 0, c.Passed+c.Failed+c.Skipped == 0:
		return 1
	case strict && c.Skipped > 0:
		return 1
	}
	return 0
}

type testKey struct{ pkg, test string }

// summarize reads go test -json from r, writes the reports to w and returns
// the counts. An error means the input could not be read to its end.
func summarize(r io.Reader, w io.Writer) (Counts, error) {
	var (
		c           Counts
		output      = map[testKey][]string{} // pending output per test; "" test = package
		build       = map[string][]string{}  // build output per ImportPath
		failedTests = map[string]int{}       // failing tests per package
		skips       []string
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		k := testKey{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			build[e.ImportPath] = append(build[e.ImportPath], e.Output)
		case "output":
			output[k] = append(output[k], e.Output)
		case "pass":
			if e.Test != "" {
				c.Passed++
			}
			delete(output, k)
			if e.Test == "" {
				dropPackage(output, e.Package)
			}
		case "skip":
			if e.Test != "" {
				c.Skipped++
				skips = append(skips, fmt.Sprintf("SKIP %s %s: %s", e.Package, e.Test, skipReason(output[k])))
			}
			delete(output, k)
			if e.Test == "" {
				dropPackage(output, e.Package) // "[no test files]"
			}
		case "fail":
			if e.Test != "" {
				c.Failed++
				failedTests[e.Package]++
				fmt.Fprintf(w, "--- FAIL %s %s\n%s", e.Package, e.Test, strings.Join(output[k], ""))
				delete(output, k)
				continue
			}
			if e.FailedBuild != "" {
				c.Failed++
				fmt.Fprintf(w, "--- BUILD FAILED %s\n%s", e.FailedBuild, strings.Join(build[e.FailedBuild], ""))
			} else if failedTests[e.Package] == 0 {
				// The binary failed outside any test: a panic, os.Exit
				// in TestMain, a timeout. Show everything it printed,
				// including tests that never finished.
				c.Failed++
				fmt.Fprintf(w, "--- PACKAGE FAILED %s\n%s", e.Package, packageOutput(output, e.Package))
			}
			dropPackage(output, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("reading go test -json: %w", err)
	}
	slices.Sort(skips)
	for _, s := range skips {
		fmt.Fprintln(w, s)
	}
	return c, nil
}

// skipReason extracts what the test logged, dropping go test's own framing.
func skipReason(lines []string) string {
	var reason []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		reason = append(reason, t)
	}
	if len(reason) == 0 {
		return "(no reason given)"
	}
	return strings.Join(reason, " / ")
}

// packageOutput joins the pending output of a package and its tests, the
// package's own lines last (they hold the FAIL line and usually the panic).
func packageOutput(output map[testKey][]string, pkg string) string {
	var keys []testKey
	for k := range output {
		if k.pkg == pkg && k.test != "" {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b testKey) int { return strings.Compare(a.test, b.test) })
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strings.Join(output[k], ""))
	}
	b.WriteString(strings.Join(output[testKey{pkg, ""}], ""))
	return b.String()
}

func dropPackage(output map[testKey][]string, pkg string) {
	for k := range output {
		if k.pkg == pkg {
			delete(output, k)
		}
	}
}
