package http

import (
	"net/http"
	"strings"

	"anxin"
	"anxin/dsa"
	"anxin/report"
)

// handleStatementExport serves GET /v1/statements/export?format=dsa: the
// statements of reasons issued in the period, in the DSA Transparency
// Database's submission shape, each validated against its rules. A
// statement the database could not take (an allow has no restriction to
// report) is listed under "skipped" with the reason, never sent half-made.
func (s *Server) handleStatementExport(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "dsa" {
		return anxin.Errorf(anxin.Invalid, "format must be dsa (the DSA Transparency Database's submission shape), the default.")
	}
	opt, err := DSAOptions(q.Get("territorial_scope"), q.Get("terms_url"))
	if err != nil {
		return err
	}
	p, err := report.ParsePeriod(q.Get("from"), q.Get("to"), s.now())
	if err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	sts, next, err := s.Enforcement.FindStatementsIssued(r.Context(), p, page)
	if err != nil {
		return err
	}
	subs, skipped := ExportDSA(sts, opt)
	return reply(w, http.StatusOK, map[string]any{"statements": subs, "skipped": skipped, "next_cursor": next}, nil)
}

// SkippedStatement names a statement left out of an export and why.
type SkippedStatement struct {
	ID     string            `json:"id"`
	Reason string            `json:"reason"`
	Fields []anxin.ItemError `json:"fields,omitempty"`
}

// ExportDSA maps statements to submissions; the ones that do not validate
// are returned as skipped. The CLI's export shares it.
func ExportDSA(sts []*anxin.Statement, opt dsa.Options) ([]dsa.Submission, []SkippedStatement) {
	subs, skipped := []dsa.Submission{}, []SkippedStatement{}
	for _, st := range sts {
		sub, err := dsa.FromStatement(st, opt)
		if err != nil {
			sk := SkippedStatement{ID: st.ID, Reason: anxin.MessageOf(err)}
			if e, ok := err.(*anxin.Error); ok {
				sk.Fields = e.Details
			}
			skipped = append(skipped, sk)
			continue
		}
		subs = append(subs, sub)
	}
	return subs, skipped
}

// DSAOptions parses the export's settings: a comma-separated list of
// EU/EEA country codes and the terms-of-service URL, both optional.
func DSAOptions(scope, terms string) (dsa.Options, error) {
	opt := dsa.Options{Location: anxin.MarketplaceTZ, TermsURL: terms}
	if len(scope) > 200 || len(terms) > 500 {
		return opt, anxin.Errorf(anxin.Invalid, "territorial_scope or terms_url is too long.")
	}
	if scope != "" {
		for c := range strings.SplitSeq(scope, ",") {
			opt.TerritorialScope = append(opt.TerritorialScope, strings.ToUpper(strings.TrimSpace(c)))
		}
	}
	if err := dsa.ValidateOptions(opt); err != nil {
		return opt, err
	}
	return opt, nil
}
