package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"anxin/sqlstore"
)

// errLedgerUnbalanced makes anxin ledger verify exit non-zero.
var errLedgerUnbalanced = errors.New("the ledger failed verification")

func runLedger(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(os.Stderr, "Usage: anxin ledger verify [--data DIR | --db DSN]")
		return errUsage
	}
	var f dbFlags
	fs := newFlagSet("ledger verify", "ledger verify [--data DIR | --db DSN]", `
Verify the books: every posting balances (its entries sum to zero per
currency), every account balance equals the sum of its entries, no claim or
trigger was paid twice, every payout has its approving decision and posting,
and every approving decision has its payout. Exits 0 only when all hold, and
prints what it checked.`)
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
	c, err := db.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("checked %d postings (%d entries) balance per currency\n", c.Postings, c.Entries)
	fmt.Printf("checked %d account balances against the sum of their entries\n", c.Accounts)
	fmt.Printf("checked %d payouts: one per claim and trigger, each with its decision and posting\n", c.Payouts)
	fmt.Printf("checked %d approving decisions each have their payout\n", c.Decisions)
	for _, p := range c.Problems {
		fmt.Println("PROBLEM:", p)
	}
	if !c.OK() {
		fmt.Printf("FAIL: %d problem(s)\n", len(c.Problems))
		return errLedgerUnbalanced
	}
	fmt.Println("OK: the ledger balances")
	return nil
}
