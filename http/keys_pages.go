package http

import (
	"net/http"

	"anxin"
)

// The console's key page follows the API's key policy: it offers only the
// roles the signed-in key may create (anxin.CreatableRoles), and the store
// refuses any other role posted to it (anxin.CheckKeyChange), so editing the
// form gains nothing.

func (s *Server) registerKeyPages() {
	s.handle("GET /console/keys", s.page(s.handleKeysPage))
	s.handle("POST /console/keys", s.page(s.handleKeysCreate))
	s.handle("POST /console/keys/{id}/revoke", s.page(s.handleKeysRevoke))
}

func (s *Server) handleKeysPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderKeys(w, r, "", "")
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, flash, newKey string) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	keys, err := s.Keys.FindKeys(r.Context())
	if err != nil {
		return err
	}
	roles, scoped := anxin.CreatableRoles(r.Context())
	return s.renderFlash(w, r, "keys", map[string]any{"Keys": keys, "Roles": roles, "Scoped": scoped, "NewKey": newKey}, flash)
}

func (s *Server) handleKeysCreate(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	role := anxin.Role(r.PostFormValue("role"))
	if scope := r.PostFormValue("scope"); scope != "" && (role == "merchant" || role == "rightsholder") {
		role = anxin.Role(string(role) + ":" + scope)
	}
	key, actor, err := s.Keys.CreateKey(r.Context(), r.PostFormValue("name"), role)
	if err != nil {
		return err
	}
	return s.renderKeys(w, r, "Key "+actor.KeyID+" ("+string(actor.Role)+") created; copy it now, it is not shown again.", key)
}

func (s *Server) handleKeysRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	if err := s.Keys.RevokeKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.renderKeys(w, r, "Key revoked.", "")
}
