package vaulttest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// request is one API call: its parameters and what the handler answers.
type request struct {
	params   map[string]any
	known    []string
	warnings []string
}

func (r *request) str(name string) string {
	r.known = append(r.known, name)
	switch v := r.params[name].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (r *request) int(name string) (int, bool, error) {
	s := r.str(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, userError(fmt.Sprintf("error converting input for field %q", name))
	}
	return n, true, nil
}

func (r *request) bool(name string) bool {
	r.known = append(r.known, name)
	switch v := r.params[name].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

func (r *request) b64(name string) ([]byte, error) {
	s := r.str(name)
	if s == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, userError("failed to base64-decode " + name)
	}
	return b, nil
}

// unrecognized adds Vault's warning for parameters the endpoint ignored.
func (r *request) unrecognized() {
	var extra []string
	for _, name := range slices.Sorted(maps.Keys(r.params)) {
		if !slices.Contains(r.known, name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("Endpoint ignored these unrecognized parameters: [%s]", strings.Join(extra, " ")))
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	// Read the body first: net/http notices a client that hangs up only
	// once the body is consumed, and a delayed answer must end then.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeErrors(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closing:
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{}})
		return
	}
	if path == "sys/health" {
		s.health(w)
		return
	}
	if s.sealed {
		writeErrors(w, http.StatusServiceUnavailable, "Vault is sealed")
		return
	}
	policy, ok := s.policies[r.Header.Get("X-Vault-Token")]
	if !ok {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}

	req := &request{params: map[string]any{}}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&req.params); err != nil && !errors.Is(err, io.EOF) {
			writeErrors(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
			return
		}
	}

	rest, ok := strings.CutPrefix(path, s.mount+"/")
	if !ok {
		writeErrors(w, http.StatusNotFound, "no handler for route \""+path+"\". route entry not found.")
		return
	}
	op, name, capability, found := s.route(r.Method, rest)
	if !found {
		// Vault checks the policy before routing; a token that may not
		// touch the path gets 403 whether or not a handler exists.
		if !allowed(policy, path, capability) {
			writeErrors(w, http.StatusForbidden, "permission denied")
			return
		}
		writeErrors(w, http.StatusNotFound, "no handler for route \""+path+"\". route entry not found.")
		return
	}
	if op == "keys-write" && s.keys[name] == nil {
		capability = "create"
	}
	if !allowed(policy, path, capability) {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}

	status, data, err := s.handle(op, name, rest, req)
	switch err.(type) {
	case nil:
	case userError:
		writeErrors(w, http.StatusBadRequest, err.Error())
		return
	default:
		// Vault's router collects handler errors in a multierror.
		writeErrors(w, http.StatusInternalServerError, "1 error occurred:\n\t* "+err.Error()+"\n\n")
		return
	}
	if status == http.StatusNotFound {
		writeJSON(w, status, map[string]any{"errors": []string{}})
		return
	}
	req.unrecognized()
	var warnings any
	if len(req.warnings) > 0 {
		warnings = req.warnings
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id": "00000000-0000-0000-0000-000000000000", "lease_id": "", "renewable": false,
		"lease_duration": 0, "data": data, "wrap_info": nil, "warnings": warnings, "auth": nil,
	})
}

// route maps a path below the mount to an operation, the key name and the
// capability the request needs.
func (s *Server) route(method, rest string) (op, name, capability string, ok bool) {
	parts := strings.Split(rest, "/")
	post := method == http.MethodPost || method == http.MethodPut
	switch {
	case len(parts) == 3 && parts[0] == "datakey" && post:
		return "datakey", parts[2], "update", true
	case len(parts) == 2 && (parts[0] == "decrypt" || parts[0] == "rewrap") && post:
		return parts[0], parts[1], "update", true
	case len(parts) == 2 && parts[0] == "keys" && method == http.MethodGet:
		return "keys", parts[1], "read", true
	case len(parts) == 2 && parts[0] == "keys" && post:
		return "keys-write", parts[1], "update", true
	case len(parts) == 3 && parts[0] == "keys" && (parts[2] == "rotate" || parts[2] == "config") && post:
		return parts[2], parts[1], "update", true
	}
	capability = "update"
	if method == http.MethodGet {
		capability = "read"
	}
	return "", "", capability, false
}

func allowed(p Policy, path, capability string) bool {
	if p == nil {
		return true // root
	}
	for pattern, caps := range p {
		prefix, glob := strings.CutSuffix(pattern, "*")
		if (path == pattern || glob && strings.HasPrefix(path, prefix)) && slices.Contains(caps, capability) {
			return true
		}
	}
	return false
}

func (s *Server) handle(op, name, rest string, req *request) (int, any, error) {
	k := s.keys[name]
	switch op {
	case "datakey":
		return s.datakey(k, strings.Split(rest, "/")[1], req)
	case "decrypt":
		if req.str("ciphertext") == "" {
			return 0, nil, userError("missing ciphertext to decrypt")
		}
		context, err := req.b64("context")
		if err != nil {
			return 0, nil, err
		}
		ad, err := req.b64("associated_data")
		if err != nil {
			return 0, nil, err
		}
		req.str("nonce")
		if k == nil {
			return 0, nil, userError("encryption key not found")
		}
		plain, err := k.decrypt(context, req.str("ciphertext"), ad)
		if err != nil {
			if _, ok := err.(userError); !ok {
				err = userError(err.Error()) // decrypt reports every item error as 400
			}
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"plaintext": base64.StdEncoding.EncodeToString(plain)}, nil
	case "rewrap":
		if req.str("ciphertext") == "" {
			return 0, nil, userError("missing ciphertext to decrypt")
		}
		context, err := req.b64("context")
		if err != nil {
			return 0, nil, err
		}
		ver, _, err := req.int("key_version")
		if err != nil {
			return 0, nil, err
		}
		if k == nil {
			return 0, nil, userError("encryption key not found")
		}
		// Rewrap takes no associated_data: it decrypts without any, and a
		// non-user error (failed authentication) becomes a 500.
		plain, err := k.decrypt(context, req.str("ciphertext"), nil)
		if err != nil {
			return 0, nil, err
		}
		ct, v, err := k.encrypt(ver, context, plain, nil)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"ciphertext": ct, "key_version": v}, nil
	case "keys":
		if k == nil {
			return http.StatusNotFound, nil, nil
		}
		return http.StatusOK, k.info(name), nil
	case "keys-write":
		if k == nil {
			typ := req.str("type")
			k = newKey(KeyOptions{Type: typ, Derived: req.bool("derived"), Exportable: req.bool("exportable"),
				AllowPlaintextBackup: req.bool("allow_plaintext_backup")})
			s.keys[name] = k
		}
		return http.StatusOK, k.info(name), nil
	case "rotate":
		if k == nil {
			return 0, nil, userError("key not found")
		}
		k.rotate()
		return http.StatusOK, k.info(name), nil
	case "config":
		return s.config(k, name, req)
	}
	return 0, nil, fmt.Errorf("unhandled operation %s", op)
}

func (s *Server) datakey(k *key, kind string, req *request) (int, any, error) {
	if kind != "plaintext" && kind != "wrapped" {
		return 0, nil, userError("Invalid path, must be 'plaintext' or 'wrapped'")
	}
	context, err := req.b64("context")
	if err != nil {
		return 0, nil, err
	}
	req.str("nonce")
	ver, _, err := req.int("key_version")
	if err != nil {
		return 0, nil, err
	}
	if k == nil {
		return 0, nil, userError("encryption key not found")
	}
	bits, set, err := req.int("bits")
	if err != nil {
		return 0, nil, err
	}
	if !set {
		bits = 256
	}
	if bits != 128 && bits != 256 && bits != 512 {
		return 0, nil, userError("invalid bit length")
	}
	dk := make([]byte, bits/8)
	_, _ = rand.Read(dk)
	// Transit hands the key to Encrypt as base64, which decodes it first:
	// the ciphertext holds the raw bytes, and decrypt returns their base64.
	ct, v, err := k.encrypt(ver, context, dk, nil)
	if err != nil {
		return 0, nil, err
	}
	d := map[string]any{"ciphertext": ct, "key_version": v}
	if kind == "plaintext" {
		d["plaintext"] = base64.StdEncoding.EncodeToString(dk)
	}
	return http.StatusOK, d, nil
}

// config follows Transit's keys/NAME/config handler for the two versions.
func (s *Server) config(k *key, name string, req *request) (int, any, error) {
	if k == nil {
		return 0, nil, userError(fmt.Sprintf("no existing key named %s could be found", name))
	}
	minDec, decSet, err := req.int("min_decryption_version")
	if err != nil {
		return 0, nil, err
	}
	minEnc, encSet, err := req.int("min_encryption_version")
	if err != nil {
		return 0, nil, err
	}
	if decSet {
		if minDec < 0 {
			return 0, nil, userError("min decryption version cannot be negative")
		}
		if minDec == 0 {
			minDec = 1
			req.warnings = append(req.warnings, "since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1")
		}
		if minDec != k.minDecryption && minDec > k.latest {
			return 0, nil, userError(fmt.Sprintf("cannot set min decryption version of %d, latest key version is %d", minDec, k.latest))
		}
	}
	if encSet {
		if minEnc < 0 {
			return 0, nil, userError("min encryption version cannot be negative")
		}
		if minEnc > k.latest {
			return 0, nil, userError(fmt.Sprintf("cannot set min encryption version of %d, latest key version is %d", minEnc, k.latest))
		}
	}
	newDec, newEnc := k.minDecryption, k.minEncryption
	if decSet {
		newDec = minDec
	}
	if encSet {
		newEnc = minEnc
	}
	if newEnc > 0 && newEnc < newDec {
		return 0, nil, userError(fmt.Sprintf("min encryption version %d must be greater than or equal to min decryption version %d", newEnc, newDec))
	}
	k.minDecryption, k.minEncryption = newDec, newEnc
	return http.StatusOK, k.info(name), nil
}

func (s *Server) health(w http.ResponseWriter) {
	status := http.StatusOK
	switch {
	case s.sealed:
		status = http.StatusServiceUnavailable
	case s.standby:
		status = http.StatusTooManyRequests
	}
	writeJSON(w, status, map[string]any{
		"initialized": true, "sealed": s.sealed, "standby": s.standby && !s.sealed,
		"performance_standby": false, "replication_performance_mode": "disabled",
		"replication_dr_mode": "disabled", "server_time_utc": time.Now().Unix(),
		"version": "vaulttest", "cluster_name": "vaulttest",
	})
}

func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, map[string]any{"errors": msgs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
