package http

import (
	"net/http"

	"anxin"
)

func (s *Server) registerKeyRoutes() {
	s.handle("GET /v1/keys", s.api(s.handleKeyList))
	s.handle("POST /v1/keys", s.api(s.handleKeyCreate))
	s.handle("DELETE /v1/keys/{id}", s.api(s.handleKeyRevoke))
}

func (s *Server) handleKeyList(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	keys, err := s.Keys.FindKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	var in struct {
		Name string     `json:"name"`
		Role anxin.Role `json:"role"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	key, actor, err := s.Keys.CreateKey(r.Context(), in.Name, in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"key": key, "id": actor.KeyID, "name": actor.Name, "role": actor.Role})
	return nil
}

func (s *Server) handleKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionManageKeys); err != nil {
		return err
	}
	if err := s.Keys.RevokeKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
