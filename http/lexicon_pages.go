package http

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"anxin"
)

// The lexicon editor: the list with a form for a new lexicon, and one
// lexicon as a searchable, paged table of terms with a form per term, an
// add form, the word-list import and a test box. Every save is a new
// version through GovernanceService.SaveLexicon, so the editor runs the same
// validation as PUT /v1/lexicons/{name}; a rejected form is shown again with
// the message beside the field and the typed values kept.

// lexiconPageSize is how many terms one page of the table shows.
const lexiconPageSize = 50

// termForm is a term as typed into the editor: lists are comma- or
// line-separated text, so a rejected form shows exactly what was typed.
type termForm struct {
	Pattern, Aliases, Category, Severity, Except string
	Kinds                                        []string
	Word, Pinyin                                 bool
}

// HasKind reports whether the form has kind k ticked.
func (f termForm) HasKind(k string) bool {
	for _, x := range f.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func formOfTerm(t anxin.LexiconTerm) termForm {
	return termForm{Pattern: t.Pattern, Aliases: strings.Join(t.Aliases, ", "), Category: t.Category,
		Severity: strconv.Itoa(t.Severity), Except: strings.Join(t.Except, ", "), Kinds: t.Kinds, Word: t.Word, Pinyin: t.Pinyin}
}

func termFormOf(r *http.Request) termForm {
	r.ParseForm()
	return termForm{Pattern: strings.TrimSpace(r.PostFormValue("pattern")), Aliases: r.PostFormValue("aliases"),
		Category: strings.TrimSpace(r.PostFormValue("category")), Severity: r.PostFormValue("severity"),
		Except: r.PostFormValue("except"), Kinds: r.PostForm["kinds"],
		Word: r.PostFormValue("word") == "on", Pinyin: r.PostFormValue("pinyin") == "on"}
}

// splitList splits a typed list on commas (ASCII or full-width), 、 and
// line breaks, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' || r == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// term converts the form to a term and checks it with the lexicon's own
// rules, returning the messages by input name.
func (f termForm) term() (anxin.LexiconTerm, map[string]string) {
	t := anxin.LexiconTerm{Pattern: f.Pattern, Aliases: splitList(f.Aliases), Category: f.Category,
		Except: splitList(f.Except), Kinds: f.Kinds, Word: f.Word, Pinyin: f.Pinyin}
	sev, err := strconv.Atoi(strings.TrimSpace(f.Severity))
	if err != nil {
		return t, map[string]string{"severity": "severity must be 1 to 5."}
	}
	t.Severity = sev
	if field, msg := t.Check(); field != "" {
		return t, map[string]string{field: msg}
	}
	return t, nil
}

// termRow is one row of the term table; Index is the term's position in
// the lexicon, which the edit and remove forms name.
type termRow struct {
	Index, No int
	Term      anxin.LexiconTerm
	Form      termForm
	// Editing is set on the row whose edit form is open, with its errors.
	Editing bool
	Errors  map[string]string
	Fields  termFields
}

// termFields is what the "termfields" template needs: the id prefix of the
// inputs, the form as typed, its errors and the choices.
type termFields struct {
	ID    string
	F     termForm
	E     map[string]string
	Kinds []string
	Sev   []string
}

// lexiconState is what a lexicon page shows besides the lexicon: the forms
// as typed and their errors, the test box and messages.
type lexiconState struct {
	Add        termForm
	AddErrors  map[string]string
	Edit       int // index of the open edit form, -1 for none
	EditForm   *termForm
	EditErrors map[string]string
	Problem    string
	Flash      string
	Test       *lexiconTest
	Page       int
	Status     int
}

func (s *Server) pageLexicons(w http.ResponseWriter, r *http.Request) error {
	return s.renderLexiconList(w, r, http.StatusOK, newLexiconForm{Severity: "3"}, nil, "")
}

// newLexiconForm is the "New lexicon" form as typed.
type newLexiconForm struct {
	Name, Description, Category, Severity string
}

func (s *Server) renderLexiconList(w http.ResponseWriter, r *http.Request, status int, f newLexiconForm, errs map[string]string, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	ls, err := s.Governance.FindLexicons(r.Context())
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, status, "governance_lexicon", map[string]any{"Page": "list", "Lexicons": ls, "New": f, "Errors": errs,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy), "Severities": severities}, flash)
}

var severities = []string{"1", "2", "3", "4", "5"}

// pageLexiconCreate creates an empty lexicon from the "New lexicon" form
// and opens it with the add form set to the chosen category and severity.
func (s *Server) pageLexiconCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	f := newLexiconForm{Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Category: strings.TrimSpace(r.PostFormValue("category")), Severity: r.PostFormValue("severity")}
	errs := map[string]string{}
	if err := anxin.ValidateID("name", f.Name); err != nil {
		errs["name"] = anxin.MessageOf(err)
	} else if _, err := s.Governance.FindLexicon(r.Context(), f.Name); err == nil {
		errs["name"] = "A lexicon named " + f.Name + " already exists."
	} else if anxin.KindOf(err) != anxin.NotFound {
		return err
	}
	if err := anxin.ValidateText("description", f.Description, anxin.MaxNameLen*4); err != nil {
		errs["description"] = anxin.MessageOf(err)
	}
	if err := anxin.ValidateID("category", f.Category); err != nil {
		errs["category"] = anxin.MessageOf(err)
	}
	if n, err := strconv.Atoi(f.Severity); err != nil || n < 1 || n > 5 {
		errs["severity"] = "severity must be 1 to 5."
	}
	if len(errs) > 0 {
		return s.renderLexiconList(w, r, http.StatusUnprocessableEntity, f, errs, "")
	}
	l, err := s.Governance.SaveLexicon(r.Context(), &anxin.Lexicon{Name: f.Name, Description: f.Description, Active: true, Terms: []anxin.LexiconTerm{}})
	if err != nil {
		if anxin.KindOf(err) == anxin.Invalid {
			return s.renderLexiconList(w, r, http.StatusUnprocessableEntity, f, map[string]string{"name": problemOf(err)}, "")
		}
		return err
	}
	q := url.Values{"category": {f.Category}, "severity": {f.Severity}, "created": {"1"}}
	http.Redirect(w, r, "/console/governance/lexicons/"+url.PathEscape(l.Name)+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (s *Server) pageLexicon(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	l, err := s.Governance.FindLexicon(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := lexiconState{Add: termForm{Category: q.Get("category"), Severity: q.Get("severity")}, Edit: -1}
	if st.Add.Category == "" && len(l.Terms) > 0 { // most lexicons hold one category
		st.Add.Category = l.Terms[len(l.Terms)-1].Category
	}
	if st.Add.Severity == "" {
		st.Add.Severity = "3"
	}
	if q.Get("created") == "1" {
		st.Flash = "Created lexicon " + l.Name + ". Add its first term below or import a word list."
	}
	if e, err := strconv.Atoi(q.Get("edit")); err == nil && e >= 0 && e < len(l.Terms) {
		st.Edit = e
	}
	st.Page, _ = strconv.Atoi(q.Get("page"))
	return s.renderLexiconPage(w, r, l, st)
}

// matchesTerm reports whether the search q (lower-cased) finds t.
func matchesTerm(t anxin.LexiconTerm, q string) bool {
	if q == "" {
		return true
	}
	for _, s := range append(append([]string{t.Pattern, t.Category}, t.Aliases...), t.Except...) {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

func (s *Server) renderLexiconPage(w http.ResponseWriter, r *http.Request, l *anxin.Lexicon, st lexiconState) error {
	q := strings.TrimSpace(r.FormValue("q"))
	lq := strings.ToLower(q)
	var match []int
	for i, t := range l.Terms {
		if matchesTerm(t, lq) || i == st.Edit {
			match = append(match, i)
		}
	}
	pages := max(1, (len(match)+lexiconPageSize-1)/lexiconPageSize)
	if st.Edit >= 0 && st.Page == 0 {
		st.Page = sort.SearchInts(match, st.Edit)/lexiconPageSize + 1
	}
	st.Page = min(max(st.Page, 1), pages)
	lo, hi := (st.Page-1)*lexiconPageSize, min(st.Page*lexiconPageSize, len(match))
	rows := make([]termRow, 0, hi-lo)
	for _, i := range match[lo:hi] {
		row := termRow{Index: i, No: i + 1, Term: l.Terms[i], Form: formOfTerm(l.Terms[i])}
		if i == st.Edit {
			row.Editing, row.Errors = true, st.EditErrors
			if st.EditForm != nil {
				row.Form = *st.EditForm
			}
			row.Fields = termFields{ID: "edit", F: row.Form, E: row.Errors, Kinds: checkKinds, Sev: severities}
		}
		rows = append(rows, row)
	}
	link := func(p int) string {
		v := url.Values{"page": {strconv.Itoa(p)}}
		if q != "" {
			v.Set("q", q)
		}
		return "/console/governance/lexicons/" + url.PathEscape(l.Name) + "?" + v.Encode()
	}
	data := map[string]any{"Page": "lexicon", "Lexicon": l, "Rows": rows, "Q": q, "Matches": len(match), "PageNo": st.Page, "Pages": pages,
		"State": st, "Kinds": checkKinds, "AddFields": termFields{ID: "add", F: st.Add, E: st.AddErrors, Kinds: checkKinds, Sev: severities}, "Severities": severities,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy)}
	if st.Page > 1 {
		data["Prev"] = link(st.Page - 1)
	}
	if st.Page < pages {
		data["Next"] = link(st.Page + 1)
	}
	status := st.Status
	if status == 0 {
		status = http.StatusOK
	}
	return s.renderStatus(w, r, status, "governance_lexicon", data, st.Flash)
}

// lexiconForEdit loads the lexicon of the path for a form that was opened
// on the version in the form's "version" field. A lexicon changed since
// then is Conflict, so one operator's edit cannot silently drop another's.
func (s *Server) lexiconForEdit(r *http.Request) (*anxin.Lexicon, error) {
	if err := s.governance(); err != nil {
		return nil, err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	l, err := s.Governance.FindLexicon(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	if v := r.PostFormValue("version"); v != strconv.Itoa(l.Version) {
		return l, anxin.Errorf(anxin.Conflict, "The lexicon was changed (it is now version %d) since this form was opened; nothing was saved. Check the terms below and try again.", l.Version)
	}
	return l, nil
}

// saveTerms stores l with terms as a new version and shows the page with
// flash, or with the problem in st when the store refuses it.
func (s *Server) saveTerms(w http.ResponseWriter, r *http.Request, l *anxin.Lexicon, terms []anxin.LexiconTerm, st lexiconState, flash string, at int) error {
	next := *l
	next.Terms = terms
	saved, err := s.Governance.SaveLexicon(r.Context(), &next)
	if err != nil {
		if k := anxin.KindOf(err); k == anxin.Invalid || k == anxin.TooLarge {
			st.Problem, st.Status = "Not saved: "+problemOf(err), http.StatusUnprocessableEntity
			return s.renderLexiconPage(w, r, l, st)
		}
		return err
	}
	page := 1
	if at >= 0 {
		page = at/lexiconPageSize + 1
	}
	return s.renderLexiconPage(w, r, saved, lexiconState{Add: termForm{Category: st.Add.Category, Severity: st.Add.Severity}, Edit: -1, Page: page,
		Flash: flash + " Saved as version " + strconv.Itoa(saved.Version) + "; checks use it now."})
}

// editConflict shows the page again with a conflict or a refusal kept in
// st; other errors go to the error page.
func (s *Server) editConflict(w http.ResponseWriter, r *http.Request, l *anxin.Lexicon, st lexiconState, err error) error {
	if l == nil || anxin.KindOf(err) != anxin.Conflict {
		return err
	}
	st.Problem, st.Status = anxin.MessageOf(err), http.StatusConflict
	return s.renderLexiconPage(w, r, l, st)
}

// pageLexiconSettings saves the description and the active switch.
func (s *Server) pageLexiconSettings(w http.ResponseWriter, r *http.Request) error {
	l, err := s.lexiconForEdit(r)
	if err != nil {
		return s.editConflict(w, r, l, lexiconState{Edit: -1, Add: termForm{Severity: "3"}}, err)
	}
	next := *l
	next.Description, next.Active = strings.TrimSpace(r.PostFormValue("description")), r.PostFormValue("active") == "on"
	saved, err := s.Governance.SaveLexicon(r.Context(), &next)
	if err != nil {
		if anxin.KindOf(err) == anxin.Invalid {
			return s.renderLexiconPage(w, r, l, lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Problem: "Not saved: " + problemOf(err), Status: http.StatusUnprocessableEntity})
		}
		return err
	}
	return s.renderLexiconPage(w, r, saved, lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Flash: "Settings saved as version " + strconv.Itoa(saved.Version) + "."})
}

// pageTermAdd appends the add form's term; a duplicate pattern is refused.
func (s *Server) pageTermAdd(w http.ResponseWriter, r *http.Request) error {
	f := termFormOf(r)
	st := lexiconState{Add: f, Edit: -1}
	l, err := s.lexiconForEdit(r)
	if err != nil {
		return s.editConflict(w, r, l, st, err)
	}
	t, errs := f.term()
	for i, x := range l.Terms {
		if errs == nil && x.Pattern == t.Pattern {
			errs = map[string]string{"pattern": "This lexicon already has " + t.Pattern + " (term " + strconv.Itoa(i+1) + "); edit that term instead."}
		}
	}
	if errs != nil {
		st.AddErrors, st.Status = errs, http.StatusUnprocessableEntity
		return s.renderLexiconPage(w, r, l, st)
	}
	terms := append(append(make([]anxin.LexiconTerm, 0, len(l.Terms)+1), l.Terms...), t)
	return s.saveTerms(w, r, l, terms, st, "Added "+t.Pattern+".", len(terms)-1)
}

// pageTermChange saves (action=save) or removes (action=remove) the term at
// the index in the path; the form also names the pattern it was opened on.
func (s *Server) pageTermChange(w http.ResponseWriter, r *http.Request) error {
	f := termFormOf(r)
	i, convErr := strconv.Atoi(r.PathValue("index"))
	st := lexiconState{Edit: i, EditForm: &f, Add: termForm{Severity: "3"}}
	l, err := s.lexiconForEdit(r)
	if l == nil {
		return err
	}
	found := convErr == nil && i >= 0 && i < len(l.Terms) && l.Terms[i].Pattern == r.PostFormValue("was")
	if err != nil {
		if !found { // the term moved or went: keep the message, close the form
			st.Edit, st.EditForm = -1, nil
		}
		return s.editConflict(w, r, l, st, err)
	}
	if !found {
		return anxin.Errorf(anxin.NotFound, "Term not found in this version of the lexicon.")
	}
	terms := append([]anxin.LexiconTerm(nil), l.Terms...)
	switch r.PostFormValue("action") {
	case "remove":
		if r.PostFormValue("confirm") != "yes" {
			st.EditForm, st.Problem, st.Status = nil, "Tick the confirmation to remove "+l.Terms[i].Pattern+".", http.StatusUnprocessableEntity
			return s.renderLexiconPage(w, r, l, st)
		}
		terms = append(terms[:i], terms[i+1:]...)
		return s.saveTerms(w, r, l, terms, st, "Removed "+l.Terms[i].Pattern+".", i-1)
	case "save":
		t, errs := f.term()
		for j, x := range l.Terms {
			if errs == nil && j != i && x.Pattern == t.Pattern {
				errs = map[string]string{"pattern": "This lexicon already has " + t.Pattern + " (term " + strconv.Itoa(j+1) + ")."}
			}
		}
		if errs != nil {
			st.EditErrors, st.Status = errs, http.StatusUnprocessableEntity
			return s.renderLexiconPage(w, r, l, st)
		}
		terms[i] = t
		return s.saveTerms(w, r, l, terms, st, "Saved "+t.Pattern+".", i)
	}
	return anxin.Errorf(anxin.Invalid, "Unknown action.")
}

// pageLexiconDelete deletes the lexicon after the confirmation box is
// ticked; checks stop using it at once.
func (s *Server) pageLexiconDelete(w http.ResponseWriter, r *http.Request) error {
	l, err := s.lexiconForEdit(r)
	if err != nil {
		return s.editConflict(w, r, l, lexiconState{Edit: -1, Add: termForm{Severity: "3"}}, err)
	}
	if r.PostFormValue("confirm") != "yes" {
		return s.renderLexiconPage(w, r, l, lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Problem: "Tick the confirmation to delete the lexicon.", Status: http.StatusUnprocessableEntity})
	}
	if err := s.Governance.DeleteLexicon(r.Context(), l.Name); err != nil {
		return err
	}
	return s.renderLexiconList(w, r, http.StatusOK, newLexiconForm{Severity: "3"}, nil, "Deleted lexicon "+l.Name+"; checks no longer use it.")
}
