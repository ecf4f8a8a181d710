package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/mixed.json is real `go test -json ./...` output (times removed)
// of a module with a passing, a failing (with a failing subtest) and a
// skipped test, a package that does not compile and one without tests.
func TestMixedStream(t *testing.T) {
	in, err := os.ReadFile("testdata/mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		args := []string{}
		if strict {
			args = append(args, "-strict")
		}
		code := run(args, bytes.NewReader(in), &stdout, &stderr)
		if code != 1 {
			t.Errorf("strict=%v: exit code %d, want 1", strict, code)
		}
		out := stdout.String()
		// 1 pass; TestFail, TestFail/sub and the build failure; 1 skip.
		if last := lastLine(out); last != "1 passed, 3 failed, 1 skipped" {
			t.Errorf("last line = %q", last)
		}
		for _, want := range []string{
			"--- FAIL example.com/m/ok TestFail/sub",
			"ok_test.go:4: got 1, want 2",        // why the subtest failed
			"--- BUILD FAILED example.com/m/bad", // which package did not build
			"declared and not used: x",           // and why
			"SKIP example.com/m/ok TestSkip: ok_test.go:5: PostgreSQL test skipped: ASTRAL_TEST_POSTGRES_URL is not set",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		for _, unwanted := range []string{"ok_test.go:3: fine", "[no test files]"} {
			if strings.Contains(out, unwanted) {
				t.Errorf("output has %q, which belongs to no failure:\n%s", unwanted, out)
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	const (
		pass = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p"}
`
		skip = `{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: no Redis\n"}
{"Action":"skip","Package":"p","Test":"TestB"}
`
		// The test binary died outside any test (say, in TestMain).
		crash = `{"Action":"output","Package":"q","Output":"panic: cannot connect\n"}
{"Action":"output","Package":"q","Output":"FAIL\tq\t0.01s\n"}
{"Action":"fail","Package":"q"}
`
	)
	tests := []struct {
		name     string
		in       string
		strict   bool
		wantCode int
		wantLast string
		wantOut  string
	}{
		{"all pass", pass, false, 0, "1 passed, 0 failed, 0 skipped", ""},
		{"skip allowed", pass + skip, false, 0, "1 passed, 0 failed, 1 skipped", "SKIP p TestB: b_test.go:9: no Redis"},
		{"skip strict", pass + skip, true, 1, "1 passed, 0 failed, 1 skipped", ""},
		{"no tests", `{"Action":"skip","Package":"p"}` + "\n", false, 1, "0 passed, 0 failed, 0 skipped", ""},
		{"empty input", "", false, 1, "0 passed, 0 failed, 0 skipped", ""},
		{"package crash", pass + crash, false, 1, "1 passed, 1 failed, 0 skipped", "panic: cannot connect"},
		{"non-JSON echoed", "go: downloading x v1\n" + pass, false, 0, "1 passed, 0 failed, 0 skipped", "go: downloading x v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.strict {
				args = []string{"-strict"}
			}
			var stdout, stderr bytes.Buffer
			if got := run(args, strings.NewReader(tt.in), &stdout, &stderr); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d", got, tt.wantCode)
			}
			if got := lastLine(stdout.String()); got != tt.wantLast {
				t.Errorf("last line = %q, want %q", got, tt.wantLast)
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, stdout.String())
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}
