package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/astralcore/astral/internal/phi"
)

// apiResponse is Vault's envelope: {"data":{...}} or {"errors":[...]}.
type apiResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []string        `json:"errors"`
}

// call sends a request with the token and decodes the answer's data into
// out (when out is not nil). secrets are request values (ciphertexts,
// contexts) to strip from any message Vault sends back.
func (p *Provider) call(ctx context.Context, op, method, path string, body, out any, secrets ...string) error {
	resp, err := p.send(ctx, op, method, path, body, true)
	if err != nil {
		return err
	}
	defer drain(resp)
	var env apiResponse
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if readErr != nil {
		return p.transportError(ctx, op, readErr)
	}
	_ = json.Unmarshal(raw, &env) // error bodies may be empty or not JSON
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return p.statusError(op, resp.StatusCode, env.Errors, secrets)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if len(env.Data) == 0 || json.Unmarshal(env.Data, out) != nil {
		return fmt.Errorf("vault %s: %w: answer has no readable data", op, phi.ErrUnavailable)
	}
	return nil
}

// send builds and sends one request, honouring ctx.
func (p *Provider) send(ctx context.Context, op, method, path string, body any, withToken bool) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vault %s: %w: %w", op, phi.ErrUnavailable, err)
	}
	u := *p.base
	u.Path = p.base.Path + path
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("vault %s: encode request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("vault %s: build request: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if withToken {
		req.Header.Set("X-Vault-Token", p.token.Reveal())
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.transportError(ctx, op, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		drain(resp)
		return nil, fmt.Errorf("vault %s: %w: Vault answered with a redirect (status %d), which is not followed so the token stays on this host; point ASTRAL_VAULT_ADDR at the active node or a load balancer",
			op, phi.ErrUnavailable, resp.StatusCode)
	}
	return resp, nil
}

// transportError classifies a failure to get an answer as unavailable. The
// message keeps the cause (refused, timeout, certificate) but not the URL's
// query or any header.
func (p *Provider) transportError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("vault %s: %w: %w", op, phi.ErrUnavailable, ctxErr)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("vault %s: %w: %v", op, phi.ErrUnavailable, err)
}

// statusError maps an error answer to the phi sentinels and this package's
// errors, by status and by Transit's message texts.
func (p *Provider) statusError(op string, status int, msgs []string, secrets []string) error {
	msg := p.scrub(strings.Join(msgs, "; "), secrets)
	has := func(s string) bool { return strings.Contains(msg, s) }
	desc := fmt.Sprintf("status %d", status)
	if msg != "" {
		desc += ": " + msg
	}
	switch {
	case status == http.StatusForbidden:
		return fmt.Errorf("vault %s: %w: %w: %s", op, ErrPermission, phi.ErrUnavailable, desc)
	// Rewrap reports a failed authentication as a 500, so the message is
	// checked before the status class.
	case has("message authentication failed"):
		return fmt.Errorf("vault %s: %w: %s", op, phi.ErrUnwrap, desc)
	case has("disallowed by policy (too old)"), has("version is too new"), has("cannot set min decryption version"):
		return fmt.Errorf("vault %s: %w: %s", op, phi.ErrKeyVersion, desc)
	case status >= 500 || status == http.StatusTooManyRequests:
		return fmt.Errorf("vault %s: %w: %s", op, phi.ErrUnavailable, desc)
	case status == http.StatusNotFound, has("encryption key not found"), has("key not found"), has("no existing key named"):
		return fmt.Errorf("vault %s: %w: %w: key %q on mount %q: %s", op, ErrKeyNotFound, phi.ErrUnavailable, p.key, p.mount, desc)
	case has("invalid ciphertext"):
		return fmt.Errorf("vault %s: %w: %s", op, phi.ErrUnwrap, desc)
	}
	return fmt.Errorf("vault %s: %s", op, desc)
}

// scrub removes the token and request values from a message Vault sent and
// shortens it. Vault's Transit messages do not echo inputs today; this keeps
// it that way should one start to.
func (p *Provider) scrub(msg string, secrets []string) string {
	for _, s := range append([]string{p.token.Reveal()}, secrets...) {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxVaultMessageLength {
		msg = msg[:maxVaultMessageLength] + "…"
	}
	return msg
}

// drain reads a little of the body and closes it, so the connection can be
// reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
}
