package http

import (
	"net/http"
)

// handleGrantApprove serves POST /v1/pii/grants/{id}/approve: the second
// privacy key's approval that makes a requested grant take effect.
func (s *Server) handleGrantApprove(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	g, err := p.ApproveGrant(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, g, err)
}
