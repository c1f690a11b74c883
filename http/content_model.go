package http

import (
	"net/http"
	"slices"
	"strconv"

	"anxin"
)

// Content classifier versions: list, train, add seed examples, promote.
// Training, examples and promotion are the operator's; reviewers teach the
// model by deciding cases (POST /v1/cases/{id}/decide).
func (s *Server) registerContentModelRoutes() {
	s.handle("GET /v1/models/content", s.api(s.handleContentModels))
	s.handle("POST /v1/models/content/train", s.api(s.handleContentModelTrain))
	s.handle("POST /v1/models/content/examples", s.api(s.handleContentExamples))
	s.handle("POST /v1/models/content/{version}/promote", s.api(s.handleContentModelPromote))
	s.handle("POST /console/governance/models/{version}", s.page(s.pageContentModelPromote))
}

func (s *Server) contentModels() error {
	if s.ContentModels == nil {
		return anxin.Errorf(anxin.Unavailable, "The content classifier is not configured.")
	}
	return nil
}

func (s *Server) handleContentModels(w http.ResponseWriter, r *http.Request) error {
	if err := s.contentModels(); err != nil {
		return err
	}
	ms, err := s.ContentModels.ContentModels(r.Context())
	if err != nil {
		return err
	}
	c, err := s.ContentModels.ContentExampleCounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ms), "examples": c})
	return nil
}

func (s *Server) handleContentModelTrain(w http.ResponseWriter, r *http.Request) error {
	if err := s.contentModels(); err != nil {
		return err
	}
	var in anxin.ContentTraining
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := s.ContentModels.TrainContentModel(r.Context(), in)
	return reply(w, http.StatusCreated, m, err)
}

func (s *Server) handleContentExamples(w http.ResponseWriter, r *http.Request) error {
	if err := s.contentModels(); err != nil {
		return err
	}
	var in struct {
		Items []anxin.ContentExample `json:"items"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	n, err := s.ContentModels.AddContentExamples(r.Context(), in.Items)
	return reply(w, http.StatusOK, map[string]int{"added": n}, err)
}

func modelVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v <= 0 {
		return 0, anxin.Errorf(anxin.NotFound, "Content model version not found.")
	}
	return v, nil
}

func (s *Server) handleContentModelPromote(w http.ResponseWriter, r *http.Request) error {
	if err := s.contentModels(); err != nil {
		return err
	}
	v, err := modelVersion(r)
	if err != nil {
		return err
	}
	var in anxin.ContentPromotion
	if err := readJSON(r, &in); err != nil {
		return err
	}
	res, err := s.ContentModels.PromoteContentModel(r.Context(), v, in)
	return reply(w, http.StatusOK, res, err)
}

// modelSection is the content-model part of the policies page: the
// versions, the stored holdouts to promote against, and the example counts.
// A role that may not read them sees nothing.
func (s *Server) modelSection(r *http.Request) map[string]any {
	if s.ContentModels == nil {
		return nil
	}
	ms, err := s.ContentModels.ContentModels(r.Context())
	if err != nil {
		return nil
	}
	c, err := s.ContentModels.ContentExampleCounts(r.Context())
	if err != nil {
		return nil
	}
	var holdouts []string
	for h := range c.Holdout {
		holdouts = append(holdouts, h)
	}
	slices.Sort(holdouts)
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	return map[string]any{"Versions": ms, "Holdouts": holdouts, "Seed": sum(c.Seed), "Review": sum(c.Review),
		"CanPromote": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionPromoteModel)}
}

// pageContentModelPromote promotes a shadow version against the chosen
// stored holdout; a refusal (not better, not in shadow) is shown on the page.
func (s *Server) pageContentModelPromote(w http.ResponseWriter, r *http.Request) error {
	if err := s.contentModels(); err != nil {
		return err
	}
	v, err := modelVersion(r)
	if err != nil {
		return err
	}
	res, err := s.ContentModels.PromoteContentModel(r.Context(), v, anxin.ContentPromotion{Holdout: r.PostFormValue("holdout")})
	switch k := anxin.KindOf(err); {
	case err == nil:
		return s.renderPolicies(w, r, "", "Content model v"+strconv.Itoa(res.Model.Version)+" is now active (F1 "+
			strconv.FormatFloat(res.Candidate.F1, 'f', 3, 64)+" on holdout "+res.Holdout+").")
	case k == anxin.Conflict || k == anxin.Invalid:
		return s.renderPolicies(w, r, anxin.MessageOf(err), "")
	default:
		return err
	}
}
