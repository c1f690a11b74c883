package http

import (
	"html/template"
	"net/http"
	"strconv"

	"anxin"
	"anxin/svgchart"
)

func (s *Server) registerQualityPages() {
	s.handle("GET /console/quality", s.page(s.handleQualityPage))
	s.handle("GET /console/quality/monitors/{id}", s.page(s.handleQualityMonitorPage))
}

func (s *Server) quality() (anxin.QualityService, error) {
	if s.Quality == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The quality watch is not configured.")
	}
	return s.Quality, nil
}

// maxWatchCharts bounds the charts on the watch page: each loads a year
// of a series' orders.
const maxWatchCharts = 24

// qualityChartDays is how many days a console chart shows.
const qualityChartDays = 60

// qualityView is one monitor with its series drawn.
type qualityView struct {
	Monitor *anxin.QualityMonitor
	Series  *anxin.QualitySeries
	Title   string        // "fresh · return rate"
	Config  string        // what the monitor asks for
	Label   string        // the last day's baseline in words
	Chart   template.HTML // the inline SVG
}

// monitorConfig says what baseline a monitor asks for, with its fallback.
func monitorConfig(m *anxin.QualityMonitor) string {
	trailing := "trailing " + plural(m.Weeks, "week")
	if m.Seasonal {
		return "seasonal (same weekday a year earlier), else " + trailing
	}
	return trailing
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func newQualityView(m *anxin.QualityMonitor, s *anxin.QualitySeries) qualityView {
	title := svgchart.QualityTitle(m)
	return qualityView{Monitor: m, Series: s, Title: title, Config: monitorConfig(m),
		Label: svgchart.BaselineWords(s.BaselineKind, s.BaselineLabel), Chart: svgchart.Quality(s, "")}
}

func (s *Server) handleQualityPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.quality()
	if err != nil {
		return err
	}
	monitors, err := svc.FindMonitors(r.Context())
	if err != nil {
		return err
	}
	alerts, err := svc.FindAlerts(r.Context(), 100)
	if err != nil {
		return err
	}
	campaigns, err := svc.FindCampaigns(r.Context())
	if err != nil {
		return err
	}
	views := make([]qualityView, 0, len(monitors))
	for i, m := range monitors {
		if i == maxWatchCharts {
			break
		}
		series, err := svc.Series(r.Context(), m.ID, qualityChartDays)
		if err != nil {
			return err
		}
		views = append(views, newQualityView(m, series))
	}
	return s.render(w, r, "quality_watch", map[string]any{"Monitors": monitors, "Views": views, "More": len(monitors) - len(views),
		"Alerts": alerts, "Campaigns": campaigns, "Days": qualityChartDays})
}

func (s *Server) handleQualityMonitorPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.quality()
	if err != nil {
		return err
	}
	series, err := svc.Series(r.Context(), r.PathValue("id"), qualityChartDays)
	if err != nil {
		return err
	}
	return s.render(w, r, "quality_monitor", map[string]any{"View": newQualityView(series.Monitor, series), "Days": qualityChartDays})
}
