package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"anxin"
	"anxin/dsa"
	anxinhttp "anxin/http"
	"anxin/report"
	"anxin/sqlstore"
)

const statementsUsage = "statements export --format dsa [--from DAY] [--to DAY] [--territorial-scope DE,FR] [--terms-url URL] [--out FILE] [--data DIR | --db DSN]"

func runStatements(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin " + statementsUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin "+statementsUsage)
		return errUsage
	}
	var f dbFlags
	fs := newFlagSet("statements export", statementsUsage, `
Export the statements of reasons issued in a period (days in the
marketplace's time zone, both included) as {"statements":[…]} in the DSA
Transparency Database's submission shape, each validated against that
database's rules. Statements it could not take are listed under "skipped"
with the fields at fault. Exits 1 when the period holds no statement.`)
	f.register(fs)
	format := fs.String("format", "", "export `format`: dsa")
	from := fs.String("from", "", "first `day` YYYY-MM-DD (default 1 January of this year)")
	to := fs.String("to", "", "last `day` YYYY-MM-DD, included (default today)")
	scope := fs.String("territorial-scope", "", "comma-separated EU/EEA `codes` where the decisions apply")
	terms := fs.String("terms-url", "", "the terms of service `url` the contractual grounds refer to")
	out := fs.String("out", "", "write to `file` instead of standard output")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *format != "dsa" {
		return anxin.Errorf(anxin.Invalid, "--format must be dsa.")
	}
	opt, err := anxinhttp.DSAOptions(*scope, *terms)
	if err != nil {
		return err
	}
	p, err := report.ParsePeriod(*from, *to, time.Now())
	if err != nil {
		return err
	}
	db, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	w := io.Writer(os.Stdout)
	if *out != "" {
		file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	return exportStatements(ctx, db, p, opt, w)
}

// exportStatements writes every statement of the period, page by page.
func exportStatements(ctx context.Context, db *sqlstore.DB, p anxin.Period, opt dsa.Options, w io.Writer) error {
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin statements export", Role: anxin.RoleAuditor})
	g := sqlstore.NewGovernanceService(db)
	subs, skipped := []dsa.Submission{}, []anxinhttp.SkippedStatement{}
	page := anxin.Page{Limit: 500}
	for {
		sts, next, err := g.FindStatementsIssued(ctx, p, page)
		if err != nil {
			return err
		}
		s, k := anxinhttp.ExportDSA(sts, opt)
		subs, skipped = append(subs, s...), append(skipped, k...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if len(subs)+len(skipped) == 0 {
		return anxin.Errorf(anxin.NotFound, "No statements of reasons were issued in %s.", report.FormatPeriod(p))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"statements": subs, "skipped": skipped}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "statements export: %d statements, %d skipped\n", len(subs), len(skipped))
	return nil
}
