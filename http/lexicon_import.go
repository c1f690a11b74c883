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

// pageLexiconImport imports the uploaded word list (form field "file") into
// the lexicon of the page, with the form's category, severity and pinyin,
// and shows the lexicon again with the report or the problem.
func (s *Server) pageLexiconImport(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	name := r.PathValue("name")
	cur, err := s.Governance.FindLexicon(r.Context(), name)
	if anxin.KindOf(err) == anxin.NotFound { // the import creates it
		cur, err = &anxin.Lexicon{Name: name, Active: true, Terms: []anxin.LexiconTerm{}}, nil
	}
	if err != nil {
		return err
	}
	fail := func(err error) error {
		if k := anxin.KindOf(err); k == anxin.Invalid || k == anxin.TooLarge {
			return s.renderLexiconPage(w, r, cur, lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Status: http.StatusUnprocessableEntity,
				Problem: "Nothing was imported. " + problemOf(err)})
		}
		return err
	}
	pinyin := "false"
	if r.PostFormValue("pinyin") == "on" {
		pinyin = "true"
	}
	opts, err := importOptions(r.PostFormValue("category"), r.PostFormValue("severity"), "", pinyin)
	if err != nil {
		return fail(err)
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return fail(anxin.Errorf(anxin.Invalid, "Choose a word-list file to import."))
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, anxin.MaxImportBytes+1))
	if err != nil {
		return fail(anxin.Errorf(anxin.Invalid, "The file could not be read."))
	}
	rep, err := s.importWordList(r, name, body, opts)
	if err != nil {
		return fail(err)
	}
	l, err := s.Governance.FindLexicon(r.Context(), name)
	if err != nil {
		return err
	}
	msg := "Imported as version " + strconv.Itoa(rep.Version) + " (" + rep.Encoding + ", " + strconv.Itoa(rep.Lines) + " lines): " +
		strconv.Itoa(rep.Added) + " added, " + strconv.Itoa(rep.SkippedCount) + " skipped"
	for i, sk := range rep.Skipped {
		if i == 10 {
			msg += "; …"
			break
		}
		msg += "; line " + strconv.Itoa(sk.Line) + " " + sk.Term + ": " + sk.Reason
	}
	return s.renderLexiconPage(w, r, l, lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Flash: msg + ". Checks use it now."})
}
