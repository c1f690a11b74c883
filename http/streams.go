package http

import (
	"context"
	"net/http"

	"anxin"
)

// streamCursors lists the outbox publishers' cursors (sqlstore.DB).
type streamCursors interface {
	StreamCursors(ctx context.Context) ([]*anxin.StreamCursor, error)
}

func (s *Server) registerStreamRoutes() {
	s.handle("GET /v1/streams", s.api(s.handleStreams))
}

func (s *Server) registerStreamPages() {
	s.handle("GET /console/streams", s.page(s.handleStreamsPage))
}

// streams gathers this replica's event consumer and every outbox
// publisher's cursor. Role: operator.
func (s *Server) streams(r *http.Request) (map[string]any, error) {
	if err := anxin.Authorize(r.Context(), anxin.ActionReadJobs); err != nil {
		return nil, err
	}
	if s.Streams == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Streams are not configured.")
	}
	cursors, err := s.Streams.StreamCursors(r.Context())
	if err != nil {
		return nil, err
	}
	var events *anxin.EventStream
	if s.EventStream != nil {
		events = s.EventStream(r.Context())
	}
	return map[string]any{"events": events, "publishers": cursors}, nil
}

func (s *Server) handleStreams(w http.ResponseWriter, r *http.Request) error {
	v, err := s.streams(r)
	return reply(w, http.StatusOK, v, err)
}

func (s *Server) handleStreamsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.streams(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "streams", v)
}
