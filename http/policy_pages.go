package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"anxin"
	"anxin/governance"
	"anxin/rules"
)

// PolicyBacktester runs a candidate engine beside the one in effect over
// stored listings, content and decisions and reports how outcomes would
// change, storing nothing (sqlstore.GovernanceService). Forbidden without
// read access to governance.
type PolicyBacktester interface {
	Backtest(ctx context.Context, candidate *governance.Engine) (*governance.Backtest, error)
}

// The policy editor: a version's rules one per row with the expression as
// code; an edit form over the same rows where the expression, outcome,
// reason and labels can be changed, rules dropped and one added; "Check"
// compiles each rule and puts "line L, column C: message" beside the rule;
// "Backtest" runs the edited rules over stored items before anything is
// saved; "Save" creates a draft version through CreatePolicy.

// ruleRow is one rule of the editor as typed.
type ruleRow struct {
	Index                         int
	ID, Description               string
	When, Outcome, Reason, Labels string
	Remove                        bool
	Error                         string
}

// maxRuleChanges bounds the changed items a backtest result lists.
const maxRuleChanges = 50

func rowsOfPolicy(p *anxin.Policy) []ruleRow {
	rows := make([]ruleRow, len(p.Rules))
	for i, r := range p.Rules {
		rows[i] = ruleRow{Index: i, ID: r.ID, Description: r.Description, When: r.When, Outcome: r.Outcome.String(),
			Reason: r.Reason, Labels: strings.Join(r.Labels, ", ")}
	}
	return rows
}

// policyEditor is the state of the edit form.
type policyEditor struct {
	Base      *anxin.Policy
	Rows      []ruleRow
	New       ruleRow
	NewAdded  bool
	Name      string
	Note      string
	Problem   string
	Backtest  *governance.Backtest
	Changes   []governance.Change
	Checked   bool
	Saved     *anxin.Policy
	NameError string
}

func (s *Server) pagePolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.policyAt(r)
	if err != nil {
		return err
	}
	ed := &policyEditor{Base: p, Rows: rowsOfPolicy(p), New: ruleRow{Outcome: "review"}, Name: p.Name}
	return s.renderPolicy(w, r, http.StatusOK, ed, r.URL.Query().Get("edit") == "1", "")
}

func (s *Server) renderPolicy(w http.ResponseWriter, r *http.Request, status int, ed *policyEditor, edit bool, flash string) error {
	canEdit := anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy)
	return s.renderStatus(w, r, status, "governance_policy", map[string]any{"Policy": ed.Base, "Ed": ed, "Edit": edit && canEdit,
		"CanEdit": canEdit, "Outcomes": []string{"allow", "review", "block"}, "CanBacktest": s.Backtests != nil}, flash)
}

// editedPolicy reads the edit form over base: the rules in their order with
// the typed expression (line breaks as \n), outcome, reason and labels,
// without those ticked for removal, plus the new rule when one was typed.
func editedPolicy(r *http.Request, base *anxin.Policy) (*policyEditor, *anxin.Policy) {
	ed := &policyEditor{Base: base, Name: strings.TrimSpace(r.PostFormValue("name")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	text := func(k string) string { return strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n") }
	p := &anxin.Policy{Name: ed.Name, Note: ed.Note}
	for i, b := range base.Rules {
		k := strconv.Itoa(i)
		row := ruleRow{Index: i, ID: b.ID, Description: b.Description, When: text("when-" + k), Outcome: r.PostFormValue("outcome-" + k),
			Reason: strings.TrimSpace(text("reason-" + k)), Labels: r.PostFormValue("labels-" + k), Remove: r.PostFormValue("remove-"+k) == "on"}
		if r.PostFormValue("id-"+k) != b.ID { // the form was not made from this version
			row = rowsOfPolicy(base)[i]
		}
		ed.Rows = append(ed.Rows, row)
	}
	ed.New = ruleRow{Index: -1, ID: strings.TrimSpace(r.PostFormValue("new-id")), When: text("new-when"), Outcome: r.PostFormValue("new-outcome"),
		Reason: strings.TrimSpace(text("new-reason")), Labels: r.PostFormValue("new-labels")}
	ed.NewAdded = ed.New.ID != "" || strings.TrimSpace(ed.New.When) != ""
	for i := range ed.Rows {
		row := &ed.Rows[i]
		if row.Remove {
			continue
		}
		rule := base.Rules[i]
		row.Error = applyRow(&rule, row)
		p.Rules = append(p.Rules, rule)
	}
	if ed.NewAdded {
		rule := anxin.Rule{ID: ed.New.ID}
		ed.New.Error = applyRow(&rule, &ed.New)
		p.Rules = append(p.Rules, rule)
	}
	return ed, p
}

// applyRow sets the typed fields of row on rule and returns the rule's
// compile error as "line L, column C: message" (or the message alone when
// it is not about a position), "" when it compiles.
func applyRow(rule *anxin.Rule, row *ruleRow) string {
	o, err := anxin.ParseOutcome(row.Outcome)
	if err != nil {
		return "outcome must be allow, review or block."
	}
	rule.When, rule.Outcome, rule.Reason, rule.Labels = row.When, o, row.Reason, splitList(row.Labels)
	return ruleError(rules.CheckRule(*rule))
}

func ruleError(err error) string {
	var ce *rules.CompileError
	if err == nil {
		return ""
	}
	if !errors.As(err, &ce) {
		return anxin.MessageOf(err)
	}
	if ce.Line > 0 {
		return "line " + strconv.Itoa(ce.Line) + ", column " + strconv.Itoa(ce.Column) + ": " + ce.Message
	}
	return ce.Message
}

// hasRuleErrors reports whether any kept row or the new rule has an error.
func (ed *policyEditor) hasRuleErrors() bool {
	for _, row := range ed.Rows {
		if row.Error != "" && !row.Remove {
			return true
		}
	}
	return ed.NewAdded && ed.New.Error != ""
}

// pagePolicyEdit handles the edit form's three buttons: check, backtest and
// save. Rules that do not compile are shown with their line and column and
// the typed text; nothing is saved until "save", which creates a draft.
func (s *Server) pagePolicyEdit(w http.ResponseWriter, r *http.Request) error {
	base, err := s.policyAt(r)
	if err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	ed, cand := editedPolicy(r, base)
	ed.Checked = true
	bad := func(problem string) error {
		ed.Problem = problem
		return s.renderPolicy(w, r, http.StatusUnprocessableEntity, ed, true, "")
	}
	if ed.hasRuleErrors() {
		return bad("Some rules do not compile; nothing was saved or run. Fix the rules marked below.")
	}
	if len(cand.Rules) == 0 {
		return bad("A policy needs at least one rule.")
	}
	if _, err := rules.Compile(*cand); err != nil { // across rules: ids used twice
		return bad("The policy does not compile: " + ruleErrorWithID(err))
	}
	switch r.PostFormValue("action") {
	case "check":
		return s.renderPolicy(w, r, http.StatusOK, ed, true, "Every rule compiles. Nothing was saved.")
	case "backtest":
		if s.Backtests == nil {
			return anxin.Errorf(anxin.Unavailable, "Backtests are not configured.")
		}
		lexs, err := s.Governance.FindLexicons(r.Context())
		if err != nil {
			return err
		}
		cand.Version = base.Version
		eng, err := governance.New(lexs, cand, nil)
		if err != nil {
			return bad("The policy does not compile with the current lexicons: " + ruleErrorWithID(err))
		}
		bt, err := s.Backtests.Backtest(r.Context(), eng)
		if err != nil {
			return err
		}
		ed.Backtest, ed.Changes = bt, bt.Changes[:min(len(bt.Changes), maxRuleChanges)]
		return s.renderPolicy(w, r, http.StatusOK, ed, true, "")
	case "save":
		if ed.Name == "" {
			ed.NameError = "Give the new version a name."
			return bad("Not saved: the version needs a name.")
		}
		created, err := s.Governance.CreatePolicy(r.Context(), cand)
		if err != nil {
			if anxin.KindOf(err) == anxin.Invalid {
				return bad("Not saved: " + problemOf(err))
			}
			return err
		}
		ed.Saved = created
		return s.renderPolicy(w, r, http.StatusOK, ed, true, "Created draft version "+strconv.Itoa(created.Version)+"; shadow or activate it from the policy list.")
	}
	return anxin.Errorf(anxin.Invalid, "Unknown action.")
}

func ruleErrorWithID(err error) string {
	var ce *rules.CompileError
	if errors.As(err, &ce) && ce.RuleID != "" {
		return "rule " + ce.RuleID + ": " + ruleError(err) + "."
	}
	return ruleError(err)
}
