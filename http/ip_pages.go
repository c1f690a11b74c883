package http

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"

	"anxin"
	"anxin/graph"
)

func (s *Server) registerIPPages() {
	s.handle("GET /console/ip/graph", s.page(s.handleGraphPage))
	s.handle("GET /console/ip/graph/export", s.page(s.handleGraphExportPage))
	s.handle("GET /console/ip/notices", s.page(s.handleNoticesPage))
	s.handle("GET /console/ip/notices/{id}", s.page(s.handleNoticePage))
	s.handle("POST /console/ip/notices/{id}/decide", s.page(s.handleNoticeDecidePage))
	s.handle("GET /console/ip/brands", s.page(s.handleBrandsPage))
}

// graphView is the investigation page: the cluster drawn as SVG plus its
// members and links as tables.
type graphView struct {
	Kind, ID string
	Cluster  *graph.Cluster
	SVG      template.HTML
	Rereg    []graph.Reregistration
	Hubs     []graph.Attribute
}

func (s *Server) handleGraphPage(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionInvestigate); err != nil {
		return err
	}
	v := graphView{Kind: r.URL.Query().Get("kind"), ID: strings.TrimSpace(r.URL.Query().Get("id"))}
	if v.Kind == "" {
		v.Kind = "merchant"
	}
	if v.ID != "" {
		c, err := s.Relations.Cluster(r.Context(), v.Kind, v.ID)
		if err != nil {
			return err
		}
		v.Cluster = &c
		v.SVG = clusterSVG(c, graph.Node{Kind: v.Kind, ID: v.ID})
	}
	var err error
	if v.Rereg, err = s.Relations.Reregistrations(r.Context(), 20); err != nil {
		return err
	}
	if v.Hubs, err = s.Relations.Hubs(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, "ip_graph", v)
}

// clusterSVG draws a cluster: members on a circle (the subject in the
// centre), one line per link labelled with the shared attribute type, nodes
// coloured by inherited risk. Each node links to its own cluster view, which
// is how an investigator expands the graph. All text is escaped.
func clusterSVG(c graph.Cluster, subject graph.Node) template.HTML {
	const w, h = 720.0, 420.0
	pos := map[graph.Node][2]float64{}
	others := []graph.Member{}
	for _, m := range c.Members {
		if m.Node == subject {
			pos[m.Node] = [2]float64{w / 2, h / 2}
		} else {
			others = append(others, m)
		}
	}
	if len(others) > 60 {
		others = others[:60] // the tables list everyone; the drawing stays legible
	}
	for i, m := range others {
		a := 2 * math.Pi * float64(i) / float64(max(len(others), 1))
		pos[m.Node] = [2]float64{w/2 + 170*math.Cos(a), h/2 + 170*math.Sin(a)}
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="cluster-graph" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="relation network cluster">`, w, h)
	for _, l := range c.Links {
		pa, oka := pos[l.A]
		pb, okb := pos[l.B]
		if !oka || !okb {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9aa5b1" stroke-width="%.1f"/>`, pa[0], pa[1], pb[0], pb[1], 1+3*l.Weight)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#66707c" text-anchor="middle">%s</text>`, (pa[0]+pb[0])/2, (pa[1]+pb[1])/2-3, esc(l.Type))
	}
	for _, m := range c.Members {
		p, ok := pos[m.Node]
		if !ok {
			continue
		}
		fill := "#0b6e4f"
		switch {
		case m.OwnRisk >= 0.9:
			fill = "#b3261e"
		case m.Risk >= 0.5:
			fill = "#b35c00"
		case m.Risk > 0:
			fill = "#c9a227"
		}
		href := "/console/ip/graph?kind=" + url.QueryEscape(m.Node.Kind) + "&id=" + url.QueryEscape(m.Node.ID)
		fmt.Fprintf(&b, `<a href="%s" class="node" data-node="%s"><circle cx="%.1f" cy="%.1f" r="14" fill="%s"/><text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text></a>`,
			esc(href), esc(m.Node.Kind+":"+m.Node.ID), p[0], p[1], fill, p[0], p[1]+28, esc(m.Node.Kind+":"+m.Node.ID))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (s *Server) handleGraphExportPage(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Relations.Export(r.Context(), r.URL.Query().Get("kind"), r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="case-export.json"`)
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleBrandsPage(w http.ResponseWriter, r *http.Request) error {
	bs, err := s.IP.FindBrands(r.Context())
	if err != nil {
		return err
	}
	var stats []anxin.RightsHolderStats
	if anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionDecideNotice) {
		if stats, err = s.IP.RightsHolders(r.Context()); err != nil {
			return err
		}
	}
	return s.render(w, r, "ip_brands", map[string]any{"Brands": bs, "Stats": stats})
}
