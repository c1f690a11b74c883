package http

import (
	"context"
	"net/http"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (s *Server) registerSystemRoutes() {
	s.handle("GET /healthz", s.public(s.handleHealth))
	s.handle("GET /readyz", s.public(s.handleReady))
	s.handle("GET /openapi.json", s.public(s.handleOpenAPI))
	metrics := promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})
	s.handle("GET /metrics", s.public(func(w http.ResponseWriter, r *http.Request) error { // rate-limited per address like the other public routes
		metrics.ServeHTTP(w, r)
		return nil
	}))
	s.handle("GET /v1/whoami", s.api(s.handleWhoami))
	s.handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": anxin.Version})
	return nil
}

// handleReady answers 503 while draining or while a dependency is down, so a
// load balancer stops sending traffic.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if s.isDraining() {
		return anxin.Errorf(anxin.Unavailable, "The server is shutting down.")
	}
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, anxin.ActorFromContext(r.Context()))
	return nil
}
