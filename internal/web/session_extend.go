package web

import (
	"encoding/json"
	"net/http"

	"github.com/astralcore/astral/internal/reqctx"
)

// ExtendSession serves POST /session/extend, the idle warning's "stay signed
// in". The session middleware has already counted the request as activity;
// this answers with the new end of the session (JSON for the script) or
// returns to the page (a plain form post).
func (h *Handler) ExtendSession(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	if r.Header.Get("Accept") == "application/json" {
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(map[string]int64{"expires_at_ms": info.SessionExpires.UnixMilli()})
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(r.PostForm.Get("return")), http.StatusSeeOther)
	return nil
}
