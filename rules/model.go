package rules

import "github.com/expr-lang/expr/ast"

// Model is the trained content model's view of an item, as rules see it
// (env field "model"):
//
//	model.active   true when an active (not shadow) model scored the item
//	model.label    its highest-scoring category, or "clean" below its threshold
//	model.score    that category's probability, 0-1
//	model.version  the model version (0 when none)
//
// A model in shadow mode is never visible here: it only records what it
// would have done. The model routes to review and never blocks on its own,
// so a block rule may not read it (Compile refuses such a rule); lexicon and
// pattern hits stay the block rules.
type Model struct {
	Active  bool    `expr:"active"`
	Label   string  `expr:"label"`
	Score   float64 `expr:"score"`
	Version int     `expr:"version"`
}

// modelReader finds a reference to the model in an expression.
type modelReader struct{ found bool }

func (v *modelReader) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok && id.Value == "model" {
		v.found = true
	}
}

// readsModel reports whether the expression tree reads env.model.
func readsModel(n *ast.Node) bool {
	v := &modelReader{}
	ast.Walk(n, v)
	return v.found
}
