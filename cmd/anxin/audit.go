package main

import (
	"context"
	"fmt"
	"os"

	"anxin"
	"anxin/sqlstore"
)

const auditUsage = "audit verify [--data DIR | --db DSN]"

func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin " + auditUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin "+auditUsage)
		return errUsage
	}
	var f dbFlags
	fs := newFlagSet("audit verify", auditUsage, `
Verify the privacy audit log's hash chain. Exits 1 and names the first bad
row when any row was edited, removed or reordered.`)
	f.register(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	dsn, err := f.existingDSN()
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	v, err := db.VerifyAuditChain(ctx)
	if err != nil {
		return err
	}
	if !v.OK {
		return anxin.Errorf(anxin.Conflict, "The audit log is broken at row %d: %s (%d rows checked).", v.FirstBadSeq, v.Reason, v.Rows)
	}
	fmt.Printf("audit log intact: %d rows, chain head at row %d\n", v.Rows, v.HeadSeq)
	return nil
}
