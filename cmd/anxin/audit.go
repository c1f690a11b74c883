package main

import (
	"context"
	"encoding/json"

	"fmt"
	"io"
	"os"
	"path/filepath"

	"anxin"
	"anxin/sqlstore"
	"anxin/vault"
)

const auditUsage = "audit verify [--anchor FILE] | audit anchor --out FILE   [--data DIR | --db DSN] [--kek FILE]"

// maxAnchorSize bounds an anchor file read by audit verify.
const maxAnchorSize = 64 << 10

func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "anchor") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin " + auditUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin "+auditUsage)
		return errUsage
	}
	sub := args[0]
	var f dbFlags
	fs := newFlagSet("audit "+sub, auditUsage, `
verify  checks the privacy audit log's keyed chain (the KEK is needed) and
        exits 1 naming the first bad row when any row was edited, removed or
        reordered. With --anchor it also checks the log against a checkpoint
        written earlier by "audit anchor" (or received as an audit.checkpoint
        webhook): rows removed or rewritten after it are found even when the
        chain head was rewritten to match.
anchor  verifies the chain, then writes a checkpoint of its head (sequence
        number, MAC, time) signed with a key derived from the vault's KEK.
        Keep it outside the database: another machine, a write-once bucket.`)
	f.register(fs)
	kekFile := fs.String("kek", "", "KEK `file` (default DIR/vault.kek; ANXIN_VAULT_KEK overrides)")
	anchorFile := fs.String("anchor", "", "verify: a checkpoint `file` to verify against")
	out := fs.String("out", "", "anchor: the `file` to write the checkpoint to (- for standard output)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	s, db, err := openVaultService(ctx, &f, *kekFile)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "anchor" {
		return writeAnchor(ctx, s, *out)
	}
	var anchor *anxin.AuditCheckpoint
	if *anchorFile != "" {
		if anchor, err = readAnchor(*anchorFile); err != nil {
			return err
		}
	}
	v, err := s.VerifyAuditChain(ctx, anchor)
	if err != nil {
		return err
	}
	if !v.OK {
		return anxin.Errorf(anxin.Conflict, "The audit log is broken at row %d: %s (%d rows checked).", v.FirstBadSeq, v.Reason, v.Rows)
	}
	fmt.Printf("audit log intact: %d rows, chain head at row %d, keyed from row %d", v.Rows, v.HeadSeq, v.KeyedFrom)
	if anchor != nil {
		fmt.Printf(", consistent with the checkpoint of row %d at %s", anchor.Seq, anchor.At.Format("2006-01-02 15:04:05Z07:00"))
	}
	fmt.Println()
	return nil
}

// openVaultService opens the database and the KEK the way "anxin serve"
// does; the service keys the database's audit chain. The caller closes the
// database.
func openVaultService(ctx context.Context, f *dbFlags, kekFile string) (*sqlstore.VaultService, *sqlstore.DB, error) {
	dsn, err := f.existingDSN() // audit commands only read: never create a database or a KEK
	if err != nil {
		return nil, nil, err
	}
	if kekFile == "" {
		kekFile = f.kekFile(dsn)
	}
	kek, err := openKEK(kekFile, dsn)
	if err != nil {
		return nil, nil, err
	}
	db, err := f.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{}), db, nil
}

func writeAnchor(ctx context.Context, s *sqlstore.VaultService, out string) error {
	if out == "" {
		return anxin.Errorf(anxin.Invalid, "audit anchor needs --out FILE.")
	}
	c, err := s.Checkpoint(ctx)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if out == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".anchor-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "checkpoint of row %d written to %s\n", c.Seq, out)
	return nil
}

// readAnchor reads a checkpoint file: the output of audit anchor, or the
// payload of an audit.checkpoint webhook.
func readAnchor(path string) (*anxin.AuditCheckpoint, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxAnchorSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAnchorSize {
		return nil, anxin.Errorf(anxin.Invalid, "The anchor file is larger than %d bytes.", maxAnchorSize)
	}
	var c anxin.AuditCheckpoint
	if err := json.Unmarshal(b, &c); err != nil || c.Signature == "" || c.Seq < 0 {
		return nil, anxin.Errorf(anxin.Invalid, "The anchor file is not an audit checkpoint.")
	}
	return &c, nil
}
