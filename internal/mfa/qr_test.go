package mfa

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

// svgDoc is the shape QRCodeSVG promises.
type svgDoc struct {
	XMLName   xml.Name   `xml:"svg"`
	ViewBox   string     `xml:"viewBox,attr"`
	Width     string     `xml:"width,attr"`
	Height    string     `xml:"height,attr"`
	Role      string     `xml:"role,attr"`
	AriaLabel string     `xml:"aria-label,attr"`
	Title     string     `xml:"title"`
	Rects     []xml.Name `xml:"rect"`
	Paths     []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
	Any []xml.Name `xml:",any"`
}

var runRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// svgMatrix reads the dark modules back out of the path: one rectangle, one
// module high, per run.
func svgMatrix(t *testing.T, d string, n int) [][]bool {
	t.Helper()
	m := make([][]bool, n)
	for i := range m {
		m[i] = make([]bool, n)
	}
	if rest := runRE.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("path has commands other than module runs: %.40q", rest)
	}
	for _, r := range runRE.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		if r[3] != r[4] || w < 1 || x+w > n || y >= n {
			t.Fatalf("bad run %s in a %d-module square", r[0], n)
		}
		for i := range w {
			if m[y][x+i] {
				t.Fatalf("module (%d,%d) drawn twice", x+i, y)
			}
			m[y][x+i] = true
		}
	}
	return m
}

func TestQRCodeSVG(t *testing.T) {
	uri := totpURI("Astral Core", "ana@example.org", []byte("12345678901234567890"))
	label := `Scan with your app <b>"now"</b> & go`
	out, err := QRCodeSVG(uri, label)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, bad := range []string{"style", "script", "href", "<b>"} {
		if strings.Contains(s, bad) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	if regexp.MustCompile(`\son\w+=`).MatchString(s) {
		t.Error("SVG has an event handler attribute")
	}

	var doc svgDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	want, err := qr.Encode(uri, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	n := want.Size + 2*qrQuietZone
	if doc.ViewBox != "0 0 "+strconv.Itoa(n)+" "+strconv.Itoa(n) {
		t.Errorf("viewBox = %q, want a %d-module square", doc.ViewBox, n)
	}
	if px := strconv.Itoa(n * qrModulePixels); doc.Width != px || doc.Height != px {
		t.Errorf("size = %sx%s, want %s", doc.Width, doc.Height, px)
	}
	if doc.Role != "img" || doc.AriaLabel != label || doc.Title != label {
		t.Errorf("accessible name: role %q, aria-label %q, title %q; want img and %q", doc.Role, doc.AriaLabel, doc.Title, label)
	}
	if len(doc.Paths) != 1 || len(doc.Rects) != 1 || len(doc.Any) != 0 {
		t.Fatalf("SVG has %d paths, %d rects, others %v; want one background and one path", len(doc.Paths), len(doc.Rects), doc.Any)
	}
	if doc.Paths[0].Fill != "#000" {
		t.Errorf("path fill = %q", doc.Paths[0].Fill)
	}

	got := svgMatrix(t, doc.Paths[0].D, n)
	for y := range n {
		for x := range n {
			inner := x >= qrQuietZone && x < n-qrQuietZone && y >= qrQuietZone && y < n-qrQuietZone
			if !inner {
				if got[y][x] {
					t.Fatalf("module (%d,%d) is dark inside the quiet zone", x, y)
				}
				continue
			}
			if w := want.Black(x-qrQuietZone, y-qrQuietZone); got[y][x] != w {
				t.Fatalf("module (%d,%d) = %v, rsc.io/qr says %v", x, y, got[y][x], w)
			}
		}
	}
	// Compact: a typical enrolment URI fits in well under 16 KB.
	if len(s) > 16<<10 {
		t.Errorf("SVG is %d bytes", len(s))
	}
	// The three finder patterns start with a 7-module dark run on the top
	// row of each; a quick independent sanity check of the drawing.
	if !strings.Contains(s, "M4 4h7v1h-7z") {
		t.Error("top-left finder pattern missing")
	}
}

func TestQRCodeSVGTooLong(t *testing.T) {
	_, err := QRCodeSVG(strings.Repeat("x", 5000), "label")
	if err == nil {
		t.Fatal("a 5000-byte text was encoded")
	}
}
