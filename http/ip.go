package http

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"anxin"
	"anxin/counterfeit"
	"anxin/graph"
	"anxin/hashbank"

	"github.com/prometheus/client_golang/prometheus"
)

// RelationNetwork is the relation network as the API uses it.
type RelationNetwork interface {
	AddAttributes(ctx context.Context, attrs []*anxin.IdentityAttribute) ([]graph.Reregistration, error)
	Cluster(ctx context.Context, kind, id string) (graph.Cluster, error)
	Hubs(ctx context.Context) ([]graph.Attribute, error)
	Reregistrations(ctx context.Context, limit int) ([]graph.Reregistration, error)
	Export(ctx context.Context, kind, id string) (*anxin.CaseExport, error)
}

func (s *Server) registerIPRoutes() {
	s.counterfeitScores = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anxin_counterfeit_scores_total", Help: "Counterfeit scores computed, by whether the score reached the flag threshold (0.5).",
	}, []string{"flagged"})
	s.notices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anxin_ip_notices_total", Help: "IP notice actions through the API, by action and resulting state.",
	}, []string{"action", "state"})
	s.Metrics.MustRegister(s.counterfeitScores, s.notices)
	s.handle("POST /v1/identity", s.api(s.handleIdentityAdd))
	s.handle("GET /v1/graph/{kind}/{id}", s.api(s.handleGraphCluster))
	s.handle("GET /v1/graph/{kind}/{id}/export", s.api(s.handleGraphExport))
	s.handle("GET /v1/graph/hubs", s.api(s.handleGraphHubs))
	s.handle("GET /v1/graph/reregistrations", s.api(s.handleReregistrations))
	s.handle("POST /v1/images:hash", s.api(s.handleImageHash))
	s.handle("POST /v1/hashbank", s.api(s.handleHashBankAdd))
	s.handle("GET /v1/hashbank/search", s.api(s.handleHashBankSearch))
	s.registerHashListRoutes()
	s.handle("POST /v1/counterfeit:score", s.api(s.handleCounterfeitScore))
	s.handle("POST /v1/models/train", s.api(s.handleModelTrain))
	s.handle("GET /v1/models", s.api(s.handleModels))
	s.handle("POST /v1/brands", s.api(s.handleBrandUpsert))
	s.handle("GET /v1/brands", s.api(s.handleBrandList))
	s.handle("GET /v1/brands/{id}", s.api(s.handleBrandView))
	s.handle("POST /v1/notices", s.api(s.handleNoticeFile))
	s.handle("GET /v1/notices", s.api(s.handleNoticeList))
	s.handle("GET /v1/notices/{id}", s.api(s.handleNoticeView))
	s.handle("POST /v1/notices/{id}/decide", s.api(s.handleNoticeDecide))
	s.handle("POST /v1/notices/{id}/counter", s.api(s.handleNoticeCounter))
	s.handle("POST /v1/notices/{id}/legal-action", s.api(s.handleNoticeLegal))
	s.handle("GET /v1/rights-holders", s.api(s.handleRightsHolders))
}

func (s *Server) handleIdentityAdd(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Items []*anxin.IdentityAttribute `json:"items"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	caught, err := s.Relations.AddAttributes(r.Context(), in.Items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": len(in.Items), "reregistrations": nonNil(caught)})
	return nil
}

func (s *Server) handleGraphCluster(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Relations.Cluster(r.Context(), r.PathValue("kind"), r.PathValue("id"))
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleGraphExport(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Relations.Export(r.Context(), r.PathValue("kind"), r.PathValue("id"))
	return reply(w, http.StatusOK, e, err)
}

func (s *Server) handleGraphHubs(w http.ResponseWriter, r *http.Request) error {
	h, err := s.Relations.Hubs(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(h)})
	return nil
}

func (s *Server) handleReregistrations(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	rr, err := s.Relations.Reregistrations(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(rr)})
	return nil
}

// handleImageHash hashes image bytes sent as the raw body (JPEG, PNG or GIF).
func (s *Server) handleImageHash(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionInvestigate); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, hashbank.MaxImageBytes+1))
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "The body could not be read.")
	}
	h, err := hashbank.HashImage(body)
	if err != nil {
		return err
	}
	dihedral := map[string]string{}
	for k, name := range hashbank.DihedralNames {
		dihedral[name] = h.Dihedral[k].Hex()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"pdq": h.PDQ.Hex(), "pdq_dihedral": dihedral, "phash": strconv.FormatUint(h.PHash, 16), "dhash": strconv.FormatUint(h.DHash, 16),
		"width": h.Width, "height": h.Height, "quality": h.Quality,
	})
	return nil
}

func (s *Server) handleHashBankAdd(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Items []anxin.KnownImage `json:"items"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, err := s.HashBank.Add(r.Context(), in.Items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": len(in.Items), "added": n})
	return nil
}

func (s *Server) handleHashBankSearch(w http.ResponseWriter, r *http.Request) error {
	d, err := queryInt(r, "distance", 31, 0, 47)
	if err != nil {
		return err
	}
	m, err := s.HashBank.Search(r.Context(), r.URL.Query().Get("pdq"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(m)})
	return nil
}

func (s *Server) handleCounterfeitScore(w http.ResponseWriter, r *http.Request) error {
	var in anxin.ScoreInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sc, err := s.Counterfeit.Score(r.Context(), in)
	if err != nil {
		return err
	}
	s.counterfeitScores.WithLabelValues(strconv.FormatBool(sc.Score >= 0.5)).Inc()
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) handleModelTrain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Seed uint64 `json:"seed"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := s.Counterfeit.Train(r.Context(), in.Seed)
	return reply(w, http.StatusCreated, m, err)
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.Counterfeit.Models(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ms)})
	return nil
}

func (s *Server) handleBrandUpsert(w http.ResponseWriter, r *http.Request) error {
	var b anxin.Brand
	if err := readJSON(r, &b); err != nil {
		return err
	}
	if err := s.IP.UpsertBrand(r.Context(), &b); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) handleBrandList(w http.ResponseWriter, r *http.Request) error {
	bs, err := s.IP.FindBrands(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(bs)})
	return nil
}

func (s *Server) handleBrandView(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionReadNotices); err != nil {
		if anxin.Authorize(r.Context(), anxin.ActionManageBrands) != nil {
			return err
		}
	}
	b, err := s.IP.FindBrand(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if rh := anxin.ActorFromContext(r.Context()).Role; rh.Base() == "rightsholder" && rh.Scope() != b.RightsHolderID {
		return anxin.Errorf(anxin.NotFound, "Brand not found.")
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) handleNoticeFile(w http.ResponseWriter, r *http.Request) error {
	var n anxin.Notice
	if err := readJSON(r, &n); err != nil {
		return err
	}
	out, err := s.IP.FileNotice(r.Context(), &n, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	s.notices.WithLabelValues("file", out.State).Inc()
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleNoticeList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	f := anxin.NoticeFilter{State: q.Get("state"), BrandID: q.Get("brand_id"), MerchantID: q.Get("merchant_id"), Reason: q.Get("reason"), Page: page}
	if f.Reason != "" && !slices.ContainsFunc(counterfeit.Reasons, func(rc counterfeit.Reason) bool { return rc.Code == f.Reason }) {
		return anxin.Errorf(anxin.Invalid, "reason %q is not a complaint reason code.", anxin.Clip(f.Reason))
	}
	ns, next, err := s.IP.FindNotices(r.Context(), f)
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(w, "notices", next, noticeCSV, ns)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ns), "next_cursor": next})
	return nil
}

func (s *Server) handleNoticeView(w http.ResponseWriter, r *http.Request) error {
	n, err := s.IP.FindNotice(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, n, err)
}

func (s *Server) handleNoticeDecide(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Accept *bool  `json:"accept"`
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Accept == nil {
		return anxin.Errorf(anxin.Invalid, "accept (true or false) is required.")
	}
	n, err := s.IP.DecideNotice(r.Context(), r.PathValue("id"), *in.Accept, in.Reason)
	if err != nil {
		return err
	}
	s.notices.WithLabelValues("decide", n.State).Inc()
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) handleNoticeCounter(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Statement string `json:"statement"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, err := s.IP.CounterNotice(r.Context(), r.PathValue("id"), in.Statement)
	if err != nil {
		return err
	}
	s.notices.WithLabelValues("counter", n.State).Inc()
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) handleNoticeLegal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CaseRef string `json:"case_ref"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, err := s.IP.ReportLegalAction(r.Context(), r.PathValue("id"), in.CaseRef)
	if err != nil {
		return err
	}
	s.notices.WithLabelValues("legal_action", n.State).Inc()
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) handleRightsHolders(w http.ResponseWriter, r *http.Request) error {
	st, err := s.IP.RightsHolders(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(st)})
	return nil
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, anxin.Errorf(anxin.Invalid, "%s must be an integer from %d to %d.", name, lo, hi)
	}
	return n, nil
}
