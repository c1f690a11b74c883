package http

import (
	"net/http"
	"slices"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

func (s *Server) registerEventRoutes() {
	s.events = newEventMetrics(s.Metrics)
	s.handle("POST /v1/events", s.api(s.handleEvents))
}

// eventMetrics counts events by type as they are received, stored, found to
// be duplicates or rejected. Types outside anxin.EventTypes are counted as
// "unknown" so a hostile client cannot mint label values.
type eventMetrics struct {
	received, stored, duplicate, rejected *prometheus.CounterVec
}

func newEventMetrics(reg *prometheus.Registry) *eventMetrics {
	c := func(name, help string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"type"})
		reg.MustRegister(v)
		return v
	}
	return &eventMetrics{
		received:  c("anxin_events_received_total", "Events received on POST /v1/events, by type."),
		stored:    c("anxin_events_stored_total", "Events stored for the first time, by type."),
		duplicate: c("anxin_events_duplicate_total", "Events whose id was already stored, by type."),
		rejected:  c("anxin_events_rejected_total", "Events in rejected batches, by type."),
	}
}

// countByType counts events per type label.
func countByType(events []*anxin.Event) map[string]int {
	n := map[string]int{}
	for _, e := range events {
		t := "unknown"
		if e != nil && slices.Contains(anxin.EventTypes, e.Type) {
			t = e.Type
		}
		n[t]++
	}
	return n
}

func addCounts(v *prometheus.CounterVec, counts map[string]int) {
	for t, n := range counts {
		v.WithLabelValues(t).Add(float64(n))
	}
}

// handleEvents ingests a batch of marketplace events: 200 with
// {"received","stored","duplicates"}; 400 with per-event details when any
// event is invalid (nothing stored); 413 over anxin.MaxBatch events or
// MaxBodyBytes.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionWriteMarketplace); err != nil {
		return err
	}
	if s.Events == nil {
		return anxin.Errorf(anxin.Unavailable, "Event ingestion is not configured.")
	}
	var in anxin.EventBatch
	if err := readJSON(r, &in); err != nil {
		return err
	}
	byType := countByType(in.Events)
	addCounts(s.events.received, byType)
	res, err := s.Events.IngestEvents(r.Context(), in.Events)
	if err != nil {
		if k := anxin.KindOf(err); k == anxin.Invalid || k == anxin.TooLarge {
			addCounts(s.events.rejected, byType)
		}
		return err
	}
	addCounts(s.events.stored, res.StoredByType)
	for t, n := range byType {
		if d := n - res.StoredByType[t]; d > 0 {
			s.events.duplicate.WithLabelValues(t).Add(float64(d))
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
