package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"anxin"
	"anxin/evaluate"
	"anxin/governance"
)

func runEval(ctx context.Context, args []string) error {
	fs := newFlagSet("eval", "eval --labels FILE [--policy FILE | --data DIR | --db DSN] [--json] [--examples N] [--store]", `
Measure the detection engine on a labelled set, in-process, without a server.
The file holds JSON lines {"id","kind","text","label","note"?}: kind is listing,
comment, caption or message; label is clean or one of `+strings.Join(evaluate.Labels, ", ")+`.

Each text is checked as a listing title, a comment, a livestream segment
(caption) or a comment (message). A violation counts as caught when the outcome
is review or block ("blocked-or-review"); recall of blocks alone is printed
beside it. Per-label precision maps the rules' labels to the file's labels.

The engine is the embedded default pack, or --policy FILE (a pack, or a policy
over the default lexicons), or the active lexicons and policy stored in
--data DIR / --db DSN. --store records the result in that database, where the
report's detection-quality figures and the console's evaluation page read it.`)
	var f dbFlags
	f.register(fs)
	labels := fs.String("labels", "", "labelled JSONL `file` (required)")
	policy := fs.String("policy", "", "pack or policy `file` (JSON)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	examples := fs.Int("examples", 10, "confusion examples of each kind to print (`N`)")
	store := fs.Bool("store", false, "store the result in --data DIR / --db DSN")
	name := fs.String("name", "", "name to store the result under (default: the file's name)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *labels == "" {
		return anxin.Errorf(anxin.Invalid, "eval needs --labels FILE.")
	}
	if *examples < 0 || *examples > 1000 {
		return anxin.Errorf(anxin.Invalid, "--examples must be between 0 and 1000.")
	}
	useDB := false
	fs.Visit(func(fl *flag.Flag) { useDB = useDB || fl.Name == "data" || fl.Name == "db" })
	if *store && *policy != "" {
		return anxin.Errorf(anxin.Invalid, "--store records the stored engine's figures; it cannot be used with --policy.")
	}
	in, err := os.Open(*labels)
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "The labelled file cannot be read.")
	}
	items, err := evaluate.Parse(in, evaluate.MaxFileBytes)
	in.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *labels, err)
	}
	var eng *governance.Engine
	switch {
	case *policy != "":
		eng, err = packEngine(*policy)
	case useDB || *store:
		eng, err = storedEngine(ctx, &f)
	default:
		var p *governance.Pack
		if p, err = governance.DefaultPack(); err == nil {
			eng, err = p.Engine()
		}
	}
	if err != nil {
		return err
	}
	s := evaluate.Run(eng, items, evaluate.Options{Examples: *examples})
	if *store {
		n := *name
		if n == "" {
			n = filepath.Base(*labels)
		}
		db, err := f.open(ctx)
		if err != nil {
			return err
		}
		r, err := db.StoreEvalResult(anxin.NewContextWithActor(ctx, cliActor), n, s)
		db.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "eval: stored as %s (%q)\n", r.ID, r.Name)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printEval(os.Stdout, s)
	return nil
}

// printEval writes the summary as text: overall figures at both thresholds,
// a table per label and per kind, and the confusion examples.
func printEval(w io.Writer, s *evaluate.Summary) {
	fmt.Fprintf(w, "engine: %s\nitems: %d (%d violations, %d clean)\n", s.Engine, s.Items, s.Violations, s.Clean)
	fmt.Fprintln(w, "\ncaught when           precision  recall  false-positive rate   TP    FN    FP     TN")
	for _, row := range []struct {
		name string
		b    evaluate.Binary
	}{{"blocked", s.Blocked}, {"blocked-or-review", s.Flagged}} {
		fmt.Fprintf(w, "%-20s  %9s  %6s  %19s  %4d  %4d  %4d  %5d\n", row.name, rate(row.b.Precision, row.b.TP+row.b.FP),
			rate(row.b.Recall, row.b.TP+row.b.FN), pct(row.b.FPR, row.b.FP+row.b.TN), row.b.TP, row.b.FN, row.b.FP, row.b.TN)
	}
	fmt.Fprintln(w, "\nlabel                  n  recall:blocked  recall:blocked-or-review  precision (of predicted)  FPR")
	for _, l := range s.Labels {
		if l.Label == evaluate.Clean {
			fmt.Fprintf(w, "%-18s %5d  %d blocked, %d blocked or sent to review\n", l.Label, l.N, l.Blocked, l.Flagged)
			continue
		}
		fmt.Fprintf(w, "%-18s %5d  %14s  %24s  %9s (%4d)         %s\n", l.Label, l.N, rate(l.RecallBlocked, l.N),
			rate(l.RecallFlagged, l.N), rate(l.Precision, l.Predicted), l.Predicted, pct(l.FPR, s.Clean))
	}
	fmt.Fprintln(w, "\nkind        items  recall:blocked-or-review  FPR:blocked-or-review  FPR:blocked")
	for _, k := range s.Kinds {
		fmt.Fprintf(w, "%-10s %6d  %24s  %21s  %11s\n", k.Kind, k.Items, rate(k.Flagged.Recall, k.Flagged.TP+k.Flagged.FN),
			pct(k.Flagged.FPR, k.Flagged.FP+k.Flagged.TN), pct(k.Blocked.FPR, k.Blocked.FP+k.Blocked.TN))
	}
	examples(w, "missed violations (allowed)", s.Missed)
	examples(w, "false positives (clean, blocked or sent to review)", s.FalsePositives)
	examples(w, "caught under another label", s.WrongLabel)
}

func examples(w io.Writer, title string, es []evaluate.Example) {
	if len(es) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, e := range es {
		rules := strings.Join(e.Rules, ",")
		if rules == "" {
			rules = "-"
		}
		fmt.Fprintf(w, "  line %d %s [%s %s → %s %s] %s\n", e.Line, e.ID, e.Kind, e.Label, e.Outcome, rules, oneLine(e.Text, 120))
	}
}

// rate formats a ratio with three decimals, or "-" when its denominator is 0.
func rate(v float64, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

// pct formats a ratio as a percentage with two decimals, or "-".
func pct(v float64, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f %%", v*100)
}

// oneLine shortens s to n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
