package http

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"anxin"
	"anxin/governance"
)

// handleLexiconImport adds a plain word list (the raw request body, one term
// per line, UTF-8 or GBK) to the lexicon in the path, creating it when
// absent. Query: category (required), severity (1-5, default 3), kinds
// (comma-separated), pinyin (true to match each term's pinyin too). The
// reply is the import report; a bad file is Invalid naming the line, and
// nothing changes.
func (s *Server) handleLexiconImport(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	opts, err := importOptions(r.URL.Query().Get("category"), r.URL.Query().Get("severity"), r.URL.Query().Get("kinds"), r.URL.Query().Get("pinyin"))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, anxin.MaxImportBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return anxin.Errorf(anxin.TooLarge, "The body is larger than %d bytes.", mbe.Limit)
		}
		return anxin.Errorf(anxin.Invalid, "The body could not be read.")
	}
	rep, err := s.importWordList(r, r.PathValue("name"), body, opts)
	return reply(w, http.StatusOK, rep, err)
}

// importOptions reads the import settings shared by the API and the console.
func importOptions(category, severity, kinds, pinyin string) (governance.ImportOptions, error) {
	o := governance.ImportOptions{Category: strings.TrimSpace(category)}
	if severity != "" {
		v, err := strconv.Atoi(severity)
		if err != nil {
			return o, anxin.Errorf(anxin.Invalid, "severity must be 1 to 5.")
		}
		o.Severity = v
	}
	for _, k := range strings.Split(kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.Kinds = append(o.Kinds, k)
		}
	}
	switch pinyin {
	case "", "false", "0", "off":
	case "true", "1", "on":
		o.Pinyin = true
	default:
		return o, anxin.Errorf(anxin.Invalid, "pinyin must be true or false.")
	}
	return o, nil
}

func (s *Server) importWordList(r *http.Request, name string, body []byte, o governance.ImportOptions) (*anxin.LexiconImportReport, error) {
	imp, err := governance.ParseWordList(body, o)
	if err != nil {
		return nil, err
	}
	return s.Governance.ImportLexicon(r.Context(), name, imp)
}
