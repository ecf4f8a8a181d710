package config

import (
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// Setting is one configuration value as `astral config check` shows it.
// Secrets show only "[set]" or "[not set]": not even a URL with its password
// removed, since user names and host names help an attacker too.
type Setting struct {
	Var    string // the environment variable
	Value  string // the effective value, safe to display
	Secret bool   // whether Value stands in for a secret
}

// notSet is what an empty non-secret setting shows.
const notSet = "(not set)"

// Settings returns every setting in a fixed order, matching the Config
// fields. It is safe to print and to log.
func (c *Config) Settings() []Setting {
	db := c.DatabaseURL.Describe()
	if c.DatabaseURL == "" {
		db = "(default: sqlite at " + c.SQLitePath() + ")"
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	return []Setting{
		{Var: "ASTRAL_ENV", Value: string(c.Env)},
		{Var: "ASTRAL_ADDR", Value: c.Addr},
		{Var: "ASTRAL_ADMIN_ADDR", Value: orDefault(c.AdminAddr, "off")},
		{Var: "ASTRAL_ADMIN_ALLOW_REMOTE", Value: strconv.FormatBool(c.AdminAllowRemote)},
		{Var: "ASTRAL_PUBLIC_URL", Value: urlString(c.PublicURL)},
		{Var: "ASTRAL_DATA_DIR", Value: c.DataDir},
		{Var: "ASTRAL_DATABASE_URL", Value: db, Secret: true},
		{Var: "ASTRAL_KEYS_DATABASE_URL", Value: c.KeysDatabaseURL.Describe(), Secret: true},
		{Var: "ASTRAL_REDIS_URL", Value: c.RedisURL.Describe(), Secret: true},
		{Var: "ASTRAL_LOG_LEVEL", Value: strings.ToLower(c.LogLevel.String())},
		{Var: "ASTRAL_KMS", Value: c.KMS},
		{Var: "ASTRAL_MASTER_KEY", Value: c.MasterKey.Describe(), Secret: true},
		{Var: "ASTRAL_MASTER_KEY_FILE", Value: orDefault(c.MasterKeyFile, notSet)},
		{Var: "ASTRAL_VAULT_ADDR", Value: urlString(c.VaultAddr)},
		{Var: "ASTRAL_VAULT_TOKEN", Value: c.VaultToken.Describe(), Secret: true},
		{Var: "ASTRAL_VAULT_MOUNT", Value: c.VaultMount},
		{Var: "ASTRAL_VAULT_KEY", Value: c.VaultKey},
		{Var: "ASTRAL_VAULT_CACERT", Value: orDefault(c.VaultCACert, notSet)},
		{Var: "ASTRAL_AUDIT_SIGNING_KEY", Value: c.AuditSigningKey.Describe(), Secret: true},
		{Var: "ASTRAL_AUDIT_SIGNING_KEY_FILE", Value: orDefault(c.AuditSigningKeyFile, notSet)},
		{Var: "ASTRAL_AUDIT_TRUSTED_KEYS", Value: strconv.Itoa(len(c.AuditTrustedKeys)) + " key(s)"},
		{Var: "ASTRAL_TRUSTED_PROXIES", Value: orDefault(strings.Join(proxies, ","), notSet)},
		{Var: "ASTRAL_MAX_BODY_BYTES", Value: strconv.FormatInt(c.MaxBodyBytes, 10)},
		{Var: "ASTRAL_SHUTDOWN_TIMEOUT", Value: c.ShutdownTimeout.String()},
		{Var: "ASTRAL_KEYS_CHECK_INTERVAL", Value: c.KeysCheckEvery.String()},
		{Var: "ASTRAL_SESSION_IDLE_STAFF", Value: c.Session.IdleStaff.String()},
		{Var: "ASTRAL_SESSION_IDLE_PATIENT", Value: c.Session.IdlePatient.String()},
		{Var: "ASTRAL_SESSION_ABSOLUTE", Value: c.Session.Absolute.String()},
		{Var: "ASTRAL_SESSION_REMEMBER", Value: c.Session.Remember.String()},
		{Var: "ASTRAL_SMTP_HOST", Value: orDefault(c.SMTPHost, "(not set: email goes to the outbox in "+c.OutboxDir()+")")},
		{Var: "ASTRAL_SMTP_PORT", Value: strconv.Itoa(c.SMTPPort)},
		{Var: "ASTRAL_SMTP_TLS", Value: c.SMTPTLS},
		{Var: "ASTRAL_SMTP_USERNAME", Value: orDefault(c.SMTPUsername, notSet)},
		{Var: "ASTRAL_SMTP_PASSWORD", Value: c.SMTPPassword.Describe(), Secret: true},
		{Var: "ASTRAL_SMTP_FROM", Value: orDefault(c.SMTPFrom, notSet)},
		{Var: "ASTRAL_SMTP_CACERT", Value: orDefault(c.SMTPCACert, notSet)},
	}
}

// LogValue logs c as a group of its Settings, so secrets stay hidden and URLs
// read as URLs. It has a value receiver so that logging a Config or a *Config
// behaves the same.
func (c Config) LogValue() slog.Value {
	settings := c.Settings()
	attrs := make([]slog.Attr, len(settings))
	for i, s := range settings {
		attrs[i] = slog.String(s.Var, s.Value)
	}
	return slog.GroupValue(attrs...)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func urlString(u *url.URL) string {
	if u == nil {
		return notSet
	}
	return u.String()
}
