// Package rules compiles and evaluates governance policies: versioned sets of
// rules whose conditions are expressions in a small, sandboxed language
// (github.com/expr-lang/expr) over lexicon hits and other signals. It does no
// I/O.
//
// Each rule has an outcome (allow < review < block), labels, a user-facing
// reason template and actions. Evaluating a policy runs every rule that
// applies to the content kind; the strictest outcome of the rules that fired
// wins, their actions are merged as a union in which the longest duration of
// an action type wins, and every firing is recorded. A rule in shadow mode is
// evaluated and recorded but has no effect.
//
//	prog, err := rules.Compile(rules.Policy{Version: 3, Rules: []rules.Rule{{
//		ID: "counterfeit.hard", When: `hits.category["counterfeit_hard"] > 0`,
//		Outcome: rules.Block, Reason: "The listing uses replica wording: {terms}.",
//		Evidence: []string{"counterfeit_hard"},
//	}}})
//	if err != nil { ... } // a *CompileError naming the rule and the position
//	res := prog.Evaluate(&rules.Env{Kind: "listing", Hits: hits})
//
// The sandbox: expressions see only Env (documented on the type), may call
// only the builtins in Builtins, are limited to MaxNodes syntax nodes and
// MaxExprLen bytes, and every evaluation runs under a memory budget, so the
// time of one evaluation is bounded by the size of the expression and the
// input. A Program is immutable and safe for concurrent use.
package rules

import (
	"anxin"

	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Limits of the sandbox.
const (
	MaxExprLen   = 4096 // bytes in one rule's expression
	MaxNodes     = 500  // syntax nodes in one expression
	MaxRules     = 1000 // rules in one policy
	MemoryBudget = 1e5  // expr VM allocation units per evaluation
)

// Builtins is the whitelist of expr builtins rules may call. Everything else
// (now, date, repeat, fromJSON, …) is disabled: rules must be deterministic
// and cheap.
var Builtins = []string{
	"all", "any", "none", "one", "filter", "count", "len",
	"abs", "max", "min", "lower", "upper", "hasPrefix", "hasSuffix",
	"indexOf", "first", "last", "get", "keys", "int", "float",
}

// Outcome is allow, review or block, ordered by strictness.
type Outcome = anxin.Outcome

// The outcomes, in order.
const (
	Allow  = anxin.OutcomeAllow
	Review = anxin.OutcomeReview
	Block  = anxin.OutcomeBlock
)

// Action types. They are the enforcement verbs of doc/domain.md, Outcomes and actions, plus the
// livestream-only cut_stream and remove_from_cart.
const (
	ActInterceptPublish   = "intercept_publish"
	ActBanListing         = "ban_listing"
	ActDelist             = "delist"
	ActRestrictListing    = "restrict_listing"
	ActShieldShop         = "shield_shop"
	ActFreezePayout       = "freeze_payout"
	ActDeductDeposit      = "deduct_deposit"
	ActClearOut           = "clear_out"
	ActPenaliseInfluencer = "penalise_influencer"
	ActCutStream          = "cut_stream"
	ActRemoveFromCart     = "remove_from_cart"
	ActHideContent        = "hide_content"
)

// ActionTypes lists every valid action type.
var ActionTypes = []string{
	ActInterceptPublish, ActBanListing, ActDelist, ActRestrictListing, ActShieldShop,
	ActFreezePayout, ActDeductDeposit, ActClearOut, ActPenaliseInfluencer,
	ActCutStream, ActRemoveFromCart, ActHideContent,
}

// Action is one enforcement verb with an optional duration.
type Action = anxin.EnforcementAction

// Points is what a rule adds to the merchant's record.
type Points = anxin.RulePoints

// Rule is one condition and what follows when it holds; see anxin.Rule.
type Rule = anxin.Rule

// Policy is a versioned set of rules; see anxin.Policy.
type Policy = anxin.Policy

// CompileError reports why a rule does not compile, with the rule's id and
// the 1-based line and column of the error in its expression (0 when the
// error is not about the expression).
type CompileError struct {
	RuleID  string `json:"rule_id"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rule %s: line %d, column %d: %s", e.RuleID, e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("rule %s: %s", e.RuleID, e.Message)
}

type compiled struct {
	rule  Rule
	prog  *vm.Program
	kinds uint8 // bit set of kindBit; 0 = all
	// needs, when not nil, are values of Env at least one of which must
	// be non-zero for the expression to be true; a rule whose needs are all
	// zero is skipped without running it.
	needs []need
}

// Program is a compiled policy. It is immutable and safe for concurrent use.
type Program struct {
	policy Policy
	rules  []compiled
	vms    sync.Pool
}

// Policy returns the policy the program was compiled from. The caller must
// not modify it.
func (p *Program) Policy() Policy { return p.policy }

// Kinds is every content kind a rule may name.
var Kinds = []string{"listing", "livestream_segment", "video", "comment", "image_text"}

func kindBit(k string) uint8 {
	i := slices.Index(Kinds, k)
	if i < 0 {
		return 0
	}
	return 1 << i
}

var exprOptions = func() []expr.Option {
	opts := []expr.Option{expr.Env(Env{}), expr.AsBool(), expr.DisableAllBuiltins(), expr.MaxNodes(MaxNodes)}
	for _, b := range Builtins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return opts
}()

// Compile checks and compiles every rule of p. It returns a *CompileError for
// the first rule that is malformed or whose expression does not compile; a
// policy is compiled whole or not at all.
func Compile(p Policy) (*Program, error) {
	if len(p.Rules) > MaxRules {
		return nil, &CompileError{Message: fmt.Sprintf("a policy has at most %d rules", MaxRules)}
	}
	prog := &Program{policy: p}
	seen := map[string]bool{}
	for _, r := range p.Rules {
		c, err := compileRule(r)
		if err != nil {
			return nil, err
		}
		if seen[r.ID] {
			return nil, &CompileError{RuleID: r.ID, Message: "the rule id is used twice"}
		}
		seen[r.ID] = true
		prog.rules = append(prog.rules, c)
	}
	prog.vms.New = func() any { return &vm.VM{MemoryBudget: MemoryBudget} }
	return prog, nil
}

// CheckRule reports whether one rule compiles, for editors.
func CheckRule(r Rule) error {
	_, err := compileRule(r)
	return err
}

func compileRule(r Rule) (compiled, error) {
	fail := func(format string, args ...any) (compiled, error) {
		return compiled{}, &CompileError{RuleID: r.ID, Message: fmt.Sprintf(format, args...)}
	}
	if !validID(r.ID) {
		return fail("the rule id must be 1-128 characters of a-z, 0-9, '.', '_' and '-'")
	}
	if strings.TrimSpace(r.When) == "" {
		return fail("the expression is empty")
	}
	if len(r.When) > MaxExprLen {
		return fail("the expression is longer than %d bytes", MaxExprLen)
	}
	if r.Outcome < Allow || r.Outcome > Block {
		return fail("the outcome is not allow, review or block")
	}
	if len(r.Reason) > 1000 || len(r.Labels) > 32 || len(r.Actions) > 16 || len(r.Evidence) > 32 || len(r.Description) > 2000 {
		return fail("the reason, labels, actions, evidence or description are too long")
	}
	if r.Outcome != Allow && strings.TrimSpace(r.Reason) == "" {
		return fail("a review or block rule needs a user-facing reason")
	}
	for _, a := range r.Actions {
		if !slices.Contains(ActionTypes, a.Type) {
			return fail("unknown action %q", a.Type)
		}
		if a.Days < 0 || a.Days > 3650 {
			return fail("action %s: days must be 0 to 3650", a.Type)
		}
	}
	if r.Points != nil {
		if r.Points.Track != "general" && r.Points.Track != "serious" {
			return fail("points track must be general or serious")
		}
		if r.Points.Points < 0 || r.Points.Points > 100 {
			return fail("points must be 0 to 100")
		}
	}
	switch r.Ground {
	case "", "incompatible_with_terms":
	case "illegal_content":
		if r.LegalGround == "" {
			return fail("illegal_content needs a legal_ground")
		}
	default:
		return fail("decision_ground must be incompatible_with_terms or illegal_content")
	}
	var kinds uint8
	for _, k := range r.Kinds {
		b := kindBit(k)
		if b == 0 {
			return fail("unknown kind %q", k)
		}
		kinds |= b
	}
	tree, err := parser.Parse(r.When)
	if err != nil {
		return compiled{}, exprError(r.ID, err)
	}
	v := &sandbox{}
	ast.Walk(&tree.Node, v)
	if v.err != nil {
		fe := &file.Error{Location: v.err.loc, Message: v.err.msg}
		return compiled{}, exprError(r.ID, fe.Bind(file.NewSource(r.When)))
	}
	if r.Outcome == Block && readsModel(&tree.Node) {
		return fail("a block rule may not read the model: the model routes to review, lexicon and pattern hits block")
	}
	prog, err := expr.Compile(r.When, exprOptions...)
	if err != nil {
		return compiled{}, exprError(r.ID, err)
	}
	needs, _ := requires(tree.Node)
	return compiled{rule: r, prog: prog, kinds: kinds, needs: needs}, nil
}

// need is one value of Env that a rule's expression needs non-zero: a count
// of hits, window, offered or cautioned (a category's count when field is
// fieldCategory), or the signal key.
type need struct {
	root  uint8 // rootHits … rootSignals
	field uint8 // fieldCategory … fieldCategories; unused for signals
	key   string
}

// Roots and fields of a need, in the order of their expression names.
const (
	rootHits uint8 = iota
	rootWindow
	rootOffered
	rootCautioned
	rootSignals
)

const (
	fieldCategory uint8 = iota
	fieldTotal
	fieldDistinct
	fieldMaxSeverity
	fieldMaxRepeat
	fieldCategories
)

var (
	rootNames  = []string{"hits", "window", "offered", "cautioned", "signals"}
	fieldNames = []string{"category", "total", "distinct", "max_severity", "max_repeat", "categories"}
)

func (n need) String() string {
	switch {
	case n.root == rootSignals:
		return "signals[" + n.key + "]"
	case n.field == fieldCategory:
		return rootNames[n.root] + ".category[" + n.key + "]"
	}
	return rootNames[n.root] + "." + fieldNames[n.field]
}

// nonZero reports whether the value n names is not zero in env.
func (n need) nonZero(env *Env) bool {
	var h *Hits
	switch n.root {
	case rootSignals:
		return env.Signals[n.key] != 0
	case rootHits:
		h = &env.Hits
	case rootWindow:
		h = &env.Window
	case rootOffered:
		h = &env.Offered
	default:
		h = &env.Cautioned
	}
	switch n.field {
	case fieldCategory:
		return h.Category[n.key] != 0
	case fieldTotal:
		return h.Total != 0
	case fieldDistinct:
		return h.Distinct != 0
	case fieldMaxSeverity:
		return h.MaxSeverity != 0
	case fieldMaxRepeat:
		return h.MaxRepeat != 0
	}
	return h.Categories != 0
}

// requires returns values one of which must be non-zero for n to be true,
// and whether such a set could be proven. It understands conjunctions,
// disjunctions and comparisons of a sum of summands (hits.category["c"],
// window.max_severity, signals["s"], … see summands) with a constant bound
// that a sum of zeros cannot meet (> b with b >= 0, >= b with b > 0, == b
// with b != 0): whatever their signs, when every summand is zero the sum is
// zero and the comparison false. Anything else proves nothing, so the rule
// always runs.
func requires(n ast.Node) ([]need, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return nil, false
	}
	switch b.Operator {
	case "&&", "and":
		if l, ok := requires(b.Left); ok {
			return l, true
		}
		return requires(b.Right)
	case "||", "or":
		l, ok1 := requires(b.Left)
		r, ok2 := requires(b.Right)
		if ok1 && ok2 {
			return append(l, r...), true
		}
		return nil, false
	case ">", ">=", "==":
		var bound float64
		switch x := b.Right.(type) {
		case *ast.IntegerNode:
			bound = float64(x.Value)
		case *ast.FloatNode:
			bound = x.Value
		default:
			return nil, false
		}
		if b.Operator == ">" && bound < 0 || b.Operator == ">=" && bound <= 0 || b.Operator == "==" && bound == 0 || bound != bound {
			return nil, false
		}
		return summands(b.Left)
	}
	return nil, false
}

// summands recognises hits.category["c"], hits.total, hits.distinct,
// hits.max_severity, hits.max_repeat and hits.categories (also of window,
// offered and cautioned), signals["s"], and sums of them.
func summands(n ast.Node) ([]need, bool) {
	if b, ok := n.(*ast.BinaryNode); ok && b.Operator == "+" {
		l, ok1 := summands(b.Left)
		r, ok2 := summands(b.Right)
		if ok1 && ok2 {
			return append(l, r...), true
		}
		return nil, false
	}
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional {
		return nil, false
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, false
	}
	if root, ok := m.Node.(*ast.IdentifierNode); ok {
		if root.Value == "signals" {
			return []need{{root: rootSignals, key: prop.Value}}, true
		}
		r, f := slices.Index(rootNames[:rootSignals], root.Value), slices.Index(fieldNames, prop.Value)
		if r >= 0 && f > int(fieldCategory) {
			return []need{{root: uint8(r), field: uint8(f)}}, true
		}
		return nil, false
	}
	inner, ok := m.Node.(*ast.MemberNode)
	if !ok || inner.Optional {
		return nil, false
	}
	field, ok := inner.Property.(*ast.StringNode)
	root, ok2 := inner.Node.(*ast.IdentifierNode)
	if !ok || !ok2 || field.Value != "category" {
		return nil, false
	}
	r := slices.Index(rootNames[:rootSignals], root.Value)
	if r < 0 {
		return nil, false
	}
	return []need{{root: uint8(r), field: fieldCategory, key: prop.Value}}, true
}

// mayFire reports whether a rule with needs can be true for env.
func (c *compiled) mayFire(env *Env) bool {
	if c.needs == nil {
		return true
	}
	for _, n := range c.needs {
		if n.nonZero(env) {
			return true
		}
	}
	return false
}

func exprError(id string, err error) error {
	if fe, ok := err.(*file.Error); ok {
		msg := fe.Message
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return &CompileError{RuleID: id, Line: fe.Line, Column: fe.Column + 1, Message: msg}
	}
	return &CompileError{RuleID: id, Message: err.Error()}
}

// sandbox rejects what the type checker allows but rules must not do:
// regular expressions built at run time (the pattern of "matches" must be a
// constant string, so it is compiled once) and method calls.
type sandbox struct{ err *posError }

type posError struct {
	loc file.Location
	msg string
}

func (s *sandbox) Visit(n *ast.Node) {
	if s.err != nil {
		return
	}
	switch x := (*n).(type) {
	case *ast.BinaryNode:
		if x.Operator == "matches" {
			if _, ok := x.Right.(*ast.StringNode); !ok {
				s.err = &posError{x.Location(), "the pattern of matches must be a constant string"}
			} else if len(x.Right.(*ast.StringNode).Value) > 256 {
				s.err = &posError{x.Location(), "the pattern of matches is longer than 256 bytes"}
			}
		}
	case *ast.CallNode:
		if _, ok := x.Callee.(*ast.MemberNode); ok {
			s.err = &posError{x.Location(), "method calls are not allowed"}
		}
	}
}

func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Fired is one rule whose condition held.
type Fired struct {
	RuleID  string   `json:"rule_id"`
	Outcome Outcome  `json:"outcome"`
	Labels  []string `json:"labels,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Actions []Action `json:"actions,omitempty"`
	Points  *Points  `json:"points,omitempty"`
	Shadow  bool     `json:"shadow,omitempty"`
	// Evidence is the hit categories the rule cites.
	Evidence []string `json:"evidence,omitempty"`
	// Ground and LegalGround are the DSA decision grounds of the rule.
	Ground      string `json:"decision_ground,omitempty"`
	LegalGround string `json:"legal_ground,omitempty"`
}

// RuleError is a rule that failed at run time (for example over its memory
// budget). It counts as not fired.
type RuleError struct {
	RuleID  string `json:"rule_id"`
	Message string `json:"message"`
}

// Result is the merged outcome of a policy over one item.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Labels  []string
	Reasons []string
	Actions []Action
	// Fired lists the effective rules that fired, strictest first; Shadow
	// lists shadow rules that fired.
	Fired  []Fired
	Shadow []Fired
	Errors []RuleError
}

// Evaluate runs every rule that applies to env.Kind and merges the results.
// It never fails: a rule that errors at run time is recorded in Errors and
// counts as not fired.
func (p *Program) Evaluate(env *Env) Result {
	var res Result
	bit := kindBit(env.Kind)
	m := p.vms.Get().(*vm.VM)
	defer p.vms.Put(m)
	for i := range p.rules {
		c := &p.rules[i]
		if c.kinds != 0 && c.kinds&bit == 0 || !c.mayFire(env) {
			continue
		}
		out, err := m.Run(c.prog, env)
		if err != nil {
			msg := err.Error()
			if j := strings.IndexByte(msg, '\n'); j >= 0 {
				msg = msg[:j]
			}
			res.Errors = append(res.Errors, RuleError{RuleID: c.rule.ID, Message: msg})
			continue
		}
		if ok, _ := out.(bool); !ok {
			continue
		}
		r := &c.rule
		f := Fired{RuleID: r.ID, Outcome: r.Outcome, Labels: r.Labels, Actions: r.Actions, Points: r.Points,
			Shadow: r.Shadow, Evidence: r.Evidence, Ground: r.Ground, LegalGround: r.LegalGround}
		f.Reason = render(r, env)
		if r.Shadow {
			res.Shadow = append(res.Shadow, f)
			continue
		}
		if res.Fired == nil {
			res.Fired = make([]Fired, 0, 4) // most items that fire fire a few rules
		}
		res.Fired = append(res.Fired, f)
	}
	res.merge()
	return res
}

// merge computes the outcome, labels, reasons and actions from Fired:
// labels and actions of every rule, reasons of the rules at the outcome.
func (res *Result) merge() {
	slices.SortStableFunc(res.Fired, func(a, b Fired) int { return int(b.Outcome) - int(a.Outcome) })
	if len(res.Fired) == 0 {
		return
	}
	res.Outcome = res.Fired[0].Outcome
	// Size the merged lists once (nil stays nil, as append would leave it).
	nl, nr, na := 0, 0, 0
	for _, f := range res.Fired {
		nl, na = nl+len(f.Labels), na+len(f.Actions)
		if f.Outcome == res.Outcome && f.Reason != "" {
			nr++
		}
	}
	if nl > 0 {
		res.Labels = make([]string, 0, nl)
	}
	if nr > 0 {
		res.Reasons = make([]string, 0, nr)
	}
	if na > 0 {
		res.Actions = make([]Action, 0, na)
	}
	for _, f := range res.Fired {
		for _, l := range f.Labels {
			if !slices.Contains(res.Labels, l) {
				res.Labels = append(res.Labels, l)
			}
		}
		// Reasons explain the outcome: those of weaker rules (a "will be
		// reviewed" under a block) would mislead; they stay in Fired.
		if f.Outcome == res.Outcome && f.Reason != "" && !slices.Contains(res.Reasons, f.Reason) {
			res.Reasons = append(res.Reasons, f.Reason)
		}
		res.Actions = MergeActions(res.Actions, f.Actions)
	}
}

// MergeActions returns the union of a and b in which, for the same action
// type, the longest duration wins (doc/domain.md, Outcomes and actions).
func MergeActions(a, b []Action) []Action {
	for _, x := range b {
		i := slices.IndexFunc(a, func(y Action) bool { return y.Type == x.Type })
		if i < 0 {
			a = append(a, x)
			continue
		}
		if x.Days > a[i].Days {
			a[i].Days = x.Days
		}
	}
	return a
}

// render fills the reason template of r: {terms} becomes the first five
// distinct quotes of the hits the rule cites (all hits when it cites none),
// {kind} and {brand} the item's. It builds the string in one pass.
func render(r *Rule, env *Env) string {
	s := r.Reason
	if strings.IndexByte(s, '{') < 0 {
		return s
	}
	var termBuf [5]string
	terms := termBuf[:0]
	if strings.Contains(s, "{terms}") {
		for _, f := range env.Found {
			if (len(r.Evidence) == 0 || slices.Contains(r.Evidence, f.Category)) && !slices.Contains(terms, f.Quote) {
				terms = append(terms, f.Quote)
				if len(terms) == 5 {
					break
				}
			}
		}
	}
	var b strings.Builder
	b.Grow(len(s) + 8*len(terms) + 16)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "{terms}"):
			b.WriteByte('"')
			for j, t := range terms {
				if j > 0 {
					b.WriteString("\", \"")
				}
				b.WriteString(t)
			}
			b.WriteByte('"')
			s = s[len("{terms}"):]
		case strings.HasPrefix(s, "{kind}"):
			b.WriteString(env.Kind)
			s = s[len("{kind}"):]
		case strings.HasPrefix(s, "{brand}"):
			b.WriteString(env.Brand)
			s = s[len("{brand}"):]
		default:
			b.WriteByte('{')
			s = s[1:]
		}
	}
}
