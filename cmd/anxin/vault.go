package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"anxin"
	"anxin/sqlstore"
	"anxin/vault"
)

// openKEK returns the vault's key-encryption key: ANXIN_VAULT_KEK (base64,
// or "1:<b64>,2:<b64>") when set, otherwise the key file, created 0600 on
// first start. An empty file path means vault.kek beside a SQLite database,
// or in ./anxin-data for PostgreSQL.
func openKEK(file, dsn string) (vault.KEK, error) {
	if env := os.Getenv("ANXIN_VAULT_KEK"); env != "" {
		return vault.ParseEnvKEK(env)
	}
	if file == "" {
		file = filepath.Join("anxin-data", "vault.kek")
		if dsn != "" && !sqlstore.IsPostgresDSN(dsn) {
			file = filepath.Join(filepath.Dir(dsn), "vault.kek")
		}
	}
	return vault.OpenFileKEK(file)
}

// kekFile is where the commands keep the KEK file: beside a SQLite file
// named with --db, otherwise in the data directory.
func (f *dbFlags) kekFile(dsn string) string {
	if f.db != "" && !sqlstore.IsPostgresDSN(f.db) {
		return filepath.Join(filepath.Dir(dsn), "vault.kek")
	}
	return filepath.Join(f.data, "vault.kek")
}

const vaultUsage = "vault rotate [--rewrap-only] | vault retire | vault status   [--data DIR | --db DSN]"

func runVault(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "retire" && args[0] != "status") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin " + vaultUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin "+vaultUsage)
		return errUsage
	}
	sub := args[0]
	var f dbFlags
	fs := newFlagSet("vault "+sub, vaultUsage, `
Manage the vault's key-encryption key (KEK). The KEK is ANXIN_VAULT_KEK when
set, otherwise DIR/vault.kek (created 0600 on first start).

rotate  makes a new KEK version (file KEK) and re-wraps every data key wrapped
        by an older version, in batches; sealed records are never decrypted
        and a running server keeps serving. With ANXIN_VAULT_KEK, add the new
        version to the variable first and rotate re-wraps to it.
retire  forgets KEK versions older than current that no data key uses.
status  prints versions and how many data keys each wraps.`)
	f.register(fs)
	kekFile := fs.String("kek", "", "KEK `file` (default DIR/vault.kek)")
	rewrapOnly := fs.Bool("rewrap-only", false, "rotate: re-wrap to the current version without making a new one")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	dsn, err := f.existingDSN()
	if err != nil {
		return err
	}
	if *kekFile == "" {
		*kekFile = f.kekFile(dsn)
	}
	kek, err := openKEK(*kekFile, dsn)
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
	s := sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{})
	switch sub {
	case "rotate":
		res, err := s.Rotate(ctx, !*rewrapOnly)
		if err != nil {
			return err
		}
		if res.NewVersion != 0 {
			fmt.Printf("new KEK version %d\n", res.NewVersion)
		}
		fmt.Printf("re-wrapped %d data keys\n", res.Rewrapped)
	case "retire":
		retired, inUse, err := s.Retire(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("retired versions %v\n", retired)
		if len(inUse) > 0 {
			return anxin.Errorf(anxin.Conflict, "KEK versions %v still wrap data keys; run \"anxin vault rotate --rewrap-only\" first.", inUse)
		}
	}
	st, err := s.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("current KEK version %d; %d sealed records; %d data keys awaiting re-wrap\n", st.CurrentVersion, st.Records, st.StaleDataKeys)
	for _, v := range st.Versions {
		state := "retired"
		switch {
		case v.Current:
			state = "current"
		case v.InKEK:
			state = "old"
		}
		fmt.Printf("  version %d\t%s\t%d data keys\n", v.Version, state, v.DataKeys)
	}
	return nil
}
