package main

import (
	"context"
	"io"
	"os"
	"time"

	"anxin"
	"anxin/report"
	"anxin/sqlstore"
)

func runReport(ctx context.Context, args []string) error {
	return reportTo(ctx, args, os.Stdout)
}

// reportTo is runReport writing to w.
func reportTo(ctx context.Context, args []string, w io.Writer) error {
	var f dbFlags
	fs := newFlagSet("report", "report [--data DIR | --db DSN] [--from DATE] [--to DATE] [--format md|html|json]", `
Compute the consumer-protection report for a period from stored data and
print it. Dates are YYYY-MM-DD in the marketplace time zone (Asia/Shanghai)
and both are included; the default period is the current calendar year.
Figures marked "detection quality" compare stored decisions with the
simulator's ground truth and appear only after a demo.`)
	f.register(fs)
	from := fs.String("from", "", "first `day` of the period (default 1 January of this year)")
	to := fs.String("to", "", "last `day` of the period, included (default 31 December of the from year)")
	format := fs.String("format", report.FormatMarkdown, "output `format`: md, html or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmtName, err := report.ParseFormat(*format)
	if err != nil {
		return err
	}
	// The default year is the wall clock's: it chooses what to print and
	// decides nothing that is stored.
	p, err := report.ParsePeriod(*from, *to, time.Now())
	if err != nil {
		return err
	}
	db, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The command line is the operator at the machine.
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin report", Role: anxin.RoleOperator})
	r, err := sqlstore.NewReportService(db).Report(ctx, p)
	if err != nil {
		return err
	}
	return report.Write(w, r, fmtName)
}
