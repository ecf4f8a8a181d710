package session

import (
	"net/netip"
	"strings"
)

// Device is a short description of the browser behind a session, parsed
// from its User-Agent for the "your sessions" list: a browser family and an
// operating system, without versions. Empty fields mean "not recognised".
// The values are product names, so they need no translation.
type Device struct {
	Browser string // "Firefox", "Chrome", "Safari", "Edge", ...
	OS      string // "Windows", "macOS", "iOS", "Android", "Linux", ...
}

// The order matters: Edge and Opera also claim Chrome, Chrome also claims
// Safari, and every browser on iOS claims Safari.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"},
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"OPR/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"},
	{"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"Chromium/", "Chromium"},
	{"Chrome/", "Chrome"},
	{"Safari/", "Safari"},
	{"curl/", "curl"},
}

// iPhone and iPad before Mac OS X (iPads claim both), Android before Linux,
// CrOS before Linux.
var systems = []struct{ token, name string }{
	{"Windows", "Windows"},
	{"iPhone", "iOS"},
	{"iPad", "iOS"},
	{"iPod", "iOS"},
	{"Android", "Android"},
	{"CrOS", "ChromeOS"},
	{"Mac OS X", "macOS"},
	{"Macintosh", "macOS"},
	{"Linux", "Linux"},
}

// maxUserAgent bounds how much of a User-Agent header ParseDevice reads.
const maxUserAgent = 512

// ParseDevice summarises a User-Agent header. Unknown agents give an empty
// Device; nothing of the header beyond the two names is kept.
func ParseDevice(userAgent string) Device {
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	var d Device
	for _, b := range browsers {
		if strings.Contains(userAgent, b.token) {
			d.Browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(userAgent, s.token) {
			d.OS = s.name
			break
		}
	}
	return d
}

// PlaceOf returns the coarse network of a client address: the IPv4 /24 or
// IPv6 /48 that contains it, such as "203.0.113.0/24". IPv4-mapped IPv6
// addresses count as IPv4. An invalid address gives "".
func PlaceOf(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
