package main

import (
	"context"
	"fmt"

	"anxin/sqlstore"
)

func runMigrate(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("migrate", "migrate [--data DIR | --db DSN] [--status]", `
Apply the pending database migrations, each in its own transaction. With
--status, list pending migrations and change nothing.`)
	f.register(fs)
	status := fs.Bool("status", false, "list pending migrations only")
	if err := parse(fs, args); err != nil {
		return err
	}
	dsn, err := f.dsn()
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if *status {
		p, err := db.Pending(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%d pending migration(s)\n", len(p))
		for _, n := range p {
			fmt.Println(" ", n)
		}
		return nil
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("applied %d migration(s)\n", len(applied))
	for _, n := range applied {
		fmt.Println(" ", n)
	}
	return nil
}
