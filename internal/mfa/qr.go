package mfa

import (
	"html/template"
	"strconv"
	"strings"

	"rsc.io/qr"

	"github.com/astralcore/astral/internal/errs"
)

// QR code rendering. The code is drawn by the server as inline SVG, so the
// page needs no script, no image URL carrying the secret and no third-party
// service, and the strict Content Security Policy stays as it is.
const (
	// qrQuietZone is the blank margin, in modules, that ISO/IEC 18004
	// requires around a QR code for scanners to find it.
	qrQuietZone = 4
	// qrModulePixels is the default rendered size of one module in CSS
	// pixels; the SVG scales without loss if a stylesheet resizes it.
	qrModulePixels = 4
)

// QRCodeSVG renders uri (such as a TOTPEnrollment URI) as a QR code in
// inline SVG: a white square with a 4-module quiet zone and one black path
// made of one rectangle per horizontal run of dark modules. label is the
// accessible name (role="img", aria-label and <title>); it is escaped. The
// SVG has no style attribute, script or external reference, so it can be
// inlined under a strict CSP. The result holds the secret: render it into a
// no-store page and never log it. Text too long for a QR code is
// errs.Internal.
func QRCodeSVG(uri string, label string) (template.HTML, error) {
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "mfa.QRCodeSVG")
	}
	n := strconv.Itoa(code.Size + 2*qrQuietZone)
	px := strconv.Itoa((code.Size + 2*qrQuietZone) * qrModulePixels)
	l := template.HTMLEscapeString(label)

	var b strings.Builder
	b.Grow(64 * code.Size)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n +
		`" width="` + px + `" height="` + px + `" role="img" aria-label="` + l +
		`" shape-rendering="crispEdges"><title>` + l + `</title>`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y := range code.Size {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			w := strconv.Itoa(run)
			b.WriteString("M" + strconv.Itoa(x+qrQuietZone) + " " + strconv.Itoa(y+qrQuietZone) +
				"h" + w + "v1h-" + w + "z")
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	// The only input is escaped above; the rest is built from numbers.
	return template.HTML(b.String()), nil
}
