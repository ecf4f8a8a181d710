package config

import "time"

// Session holds the session timeouts (see internal/session). The defaults
// are SECURITY.md's: 15 minutes idle for staff and clinicians (HIPAA
// automatic logoff), 30 for patients, 12 hours absolute (NIST AAL2/AAL3),
// and up to 30 days for a patient's "remember me". The ranges keep an
// operator from configuring a session longer than those sources allow.
type Session struct {
	IdleStaff   time.Duration // ASTRAL_SESSION_IDLE_STAFF, 1m..30m, default 15m
	IdlePatient time.Duration // ASTRAL_SESSION_IDLE_PATIENT, 1m..60m, default 30m
	Absolute    time.Duration // ASTRAL_SESSION_ABSOLUTE, 1h..12h, default 12h
	Remember    time.Duration // ASTRAL_SESSION_REMEMBER, 1h..720h (30 days), default 720h
}

// The session settings' defaults and bounds.
const (
	defaultSessionIdleStaff   = 15 * time.Minute
	defaultSessionIdlePatient = 30 * time.Minute
	defaultSessionAbsolute    = 12 * time.Hour
	defaultSessionRemember    = 30 * 24 * time.Hour
)

// session reads the ASTRAL_SESSION_* settings, each a Go duration in its
// range. Every value out of range is its own problem.
func (l *loader) session(c *Config) {
	c.Session = Session{
		IdleStaff:   l.durationRange("ASTRAL_SESSION_IDLE_STAFF", defaultSessionIdleStaff, time.Minute, 30*time.Minute),
		IdlePatient: l.durationRange("ASTRAL_SESSION_IDLE_PATIENT", defaultSessionIdlePatient, time.Minute, time.Hour),
		Absolute:    l.durationRange("ASTRAL_SESSION_ABSOLUTE", defaultSessionAbsolute, time.Hour, 12*time.Hour),
		Remember:    l.durationRange("ASTRAL_SESSION_REMEMBER", defaultSessionRemember, time.Hour, 30*24*time.Hour),
	}
}
