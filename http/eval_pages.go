package http

import (
	"context"
	"net/http"
	"path"
	"strings"

	"anxin"
	"anxin/evaluate"
	"anxin/governance"
)

// EvalStore runs and keeps evaluations of the detection engine on labelled
// sets: the active engine and the stored results (sqlstore.DB with the
// governance service's engine).
type EvalStore interface {
	// EvalEngine returns the engine of the active lexicons and policy.
	EvalEngine(ctx context.Context) (*governance.Engine, error)
	StoreEvalResult(ctx context.Context, name string, s *evaluate.Summary) (*evaluate.Stored, error)
	EvalResults(ctx context.Context) ([]evaluate.Stored, error)
	EvalResult(ctx context.Context, id string) (*evaluate.Stored, error)
}

// evalExamples bounds the confusion examples a console evaluation keeps.
const evalExamples = 25

func (s *Server) registerEvalPages() {
	s.handle("GET /console/governance/eval", s.page(s.pageEval))
	s.handle("POST /console/governance/eval", s.page(s.pageEvalUpload))
	s.handle("GET /console/governance/eval/{id}", s.page(s.pageEvalResult))
}

func (s *Server) evalStore() error {
	if s.Evals == nil {
		return anxin.Errorf(anxin.Unavailable, "Evaluation is not configured.")
	}
	return nil
}

// pageEval lists the stored evaluations with the upload form.
func (s *Server) pageEval(w http.ResponseWriter, r *http.Request) error {
	return s.renderEval(w, r, http.StatusOK, "")
}

func (s *Server) renderEval(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	if err := s.evalStore(); err != nil {
		return err
	}
	list, err := s.Evals.EvalResults(r.Context())
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, status, "governance_eval", map[string]any{
		"Results": list, "Problem": problem, "Labels": evaluate.Labels, "MaxBytes": s.maxBody(),
	}, "")
}

// pageEvalUpload evaluates an uploaded labelled JSONL file with the active
// engine, stores the result and shows it. A bad file is refused with the
// parser's message, which names the line, and nothing is stored.
func (s *Server) pageEvalUpload(w http.ResponseWriter, r *http.Request) error {
	if err := s.evalStore(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	f, hdr, err := r.FormFile("labels")
	if err != nil {
		return s.renderEval(w, r, http.StatusBadRequest, "Choose a labelled JSONL file to upload.")
	}
	defer f.Close()
	items, err := evaluate.Parse(f, min(int64(evaluate.MaxFileBytes), s.maxBody()))
	if err != nil {
		if anxin.KindOf(err) != anxin.Invalid {
			return err
		}
		return s.renderEval(w, r, http.StatusBadRequest, hdr.Filename+": "+anxin.MessageOf(err))
	}
	eng, err := s.Evals.EvalEngine(r.Context())
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		name = path.Base(strings.ReplaceAll(hdr.Filename, `\`, "/"))
	}
	sum := evaluate.Run(eng, items, evaluate.Options{Examples: evalExamples})
	res, err := s.Evals.StoreEvalResult(r.Context(), name, sum)
	if err != nil {
		if anxin.KindOf(err) != anxin.Invalid {
			return err
		}
		return s.renderEval(w, r, http.StatusBadRequest, anxin.MessageOf(err))
	}
	http.Redirect(w, r, "/console/governance/eval/"+res.ID, http.StatusSeeOther)
	return nil
}

// pageEvalResult shows one stored evaluation.
func (s *Server) pageEvalResult(w http.ResponseWriter, r *http.Request) error {
	if err := s.evalStore(); err != nil {
		return err
	}
	res, err := s.Evals.EvalResult(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, "governance_eval_result", map[string]any{"R": res, "S": res.Summary})
}

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return anxin.MaxBodyBytes
}
