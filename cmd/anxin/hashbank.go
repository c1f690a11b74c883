package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"anxin"
	"anxin/hashbank"
	"anxin/sqlstore"
)

func runHashBank(ctx context.Context, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "import":
		return runHashBankImport(ctx, args)
	case "export":
		return runHashBankExport(ctx, args)
	case "legacy":
		return runHashBankLegacy(ctx, args)
	}
	fmt.Fprintln(os.Stderr, `Usage: anxin hashbank import|export|legacy [flags]   (anxin hashbank <sub> -h for its flags)

  import   add a shared PDQ hash list to the bank, whole or not at all
  export   write the bank's PDQ hashes as a list other platforms read
  legacy   count (or promote to PDQ) rows kept from before real PDQ

Formats: threatexchange-csv (the ThreatExchange tool's dataset --csv),
signal-file ("pdq <hash>" lines, ThreatExchange's and HMA's file exchange),
hma (HMA 1.x's simple.HASH_PDQ.te CSV).`)
	return errUsage
}

// hashBankCLI opens the database and returns the hash bank as the operator.
func hashBankCLI(ctx context.Context, f *dbFlags, name string) (context.Context, *sqlstore.HashBankService, func(), error) {
	db, err := f.open(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin hashbank " + name, Role: anxin.RoleOperator})
	return ctx, sqlstore.NewHashBankService(db), func() { db.Close() }, nil
}

func runHashBankImport(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("hashbank import", "hashbank import -format F -label L [-brand ID] [-note TEXT] FILE|-", `
Import a PDQ hash list shared by another platform into the hash bank, every
hash under one label (and brand). The list is read whole first: a malformed
line, a hash of the wrong length, an unknown signal type or category stops
the import with the line named, and nothing is stored. Entries a sharer
marked NEGATIVE_CLASS (reviewed false positives) are skipped; tags and the
collaboration or list each hash came from are kept. Prints the counts.`)
	f.register(fs)
	format := fs.String("format", "", "list `format`: threatexchange-csv, signal-file or hma")
	label := fs.String("label", "", "bank `label` for every hash: counterfeit, logo_covered or brand_owned")
	brand := fs.String("brand", "", "brand `id` the hashes belong to")
	note := fs.String("note", "", "note stored with every hash")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	fm, err := hashbank.ParseFormat(*format)
	if err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if name := fs.Arg(0); name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	entries, err := hashbank.ReadList(bufio.NewReader(in), fm)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return anxin.Errorf(anxin.Invalid, "The list holds no hashes.")
	}
	ctx, hb, done, err := hashBankCLI(ctx, &f, "import")
	if err != nil {
		return err
	}
	defer done()
	items, skipped := hashbank.KnownImages(entries, *label, *brand, *note)
	res, err := hb.Import(ctx, items, skipped)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func runHashBankExport(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("hashbank export", "hashbank export -format F [-label L] [-brand ID] [-o FILE]", `
Write the bank's PDQ hashes, oldest first, as a list another platform can
import: each hash's label and brand become tags ("counterfeit",
"brand:b_1") beside the tags it was imported with, and its source (or
"anxin") is the collaboration it came from.`)
	f.register(fs)
	format := fs.String("format", "", "list `format`: threatexchange-csv, signal-file or hma")
	label := fs.String("label", "", "only hashes with this `label`")
	brand := fs.String("brand", "", "only hashes of this brand `id`")
	outName := fs.String("o", "-", "output `file` (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	fm, err := hashbank.ParseFormat(*format)
	if err != nil {
		return err
	}
	ctx, hb, done, err := hashBankCLI(ctx, &f, "export")
	if err != nil {
		return err
	}
	defer done()
	out := io.Writer(os.Stdout)
	if *outName != "-" {
		file, err := os.Create(*outName)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	lw, err := hashbank.NewListWriter(out, fm)
	if err != nil {
		return err
	}
	n := 0
	err = hb.Export(ctx, anxin.HashExportFilter{Label: *label, BrandID: *brand}, func(k anxin.KnownImage) error {
		e, err := hashbank.EntryOf(k)
		if err != nil {
			return err
		}
		n++
		return lw.Write(e)
	})
	if err != nil {
		return err
	}
	if err := lw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d hashes exported\n", n)
	return nil
}

func runHashBankLegacy(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("hashbank legacy", "hashbank legacy [-promote]", `
Count the hash-bank rows kept from before Anxin computed real PDQ
(migration 0420 marked them anxin_dct256_v0; they are not searched).
Re-hash their images and add them again. Only if every such row was sent by
a client that hashed with a real PDQ hasher, -promote makes them PDQ rows.`)
	f.register(fs)
	promote := fs.Bool("promote", false, "declare the legacy rows PDQ and search them again")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, hb, done, err := hashBankCLI(ctx, &f, "legacy")
	if err != nil {
		return err
	}
	defer done()
	if *promote {
		n, err := hb.PromoteLegacy(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%d legacy rows promoted to PDQ\n", n)
		return nil
	}
	n, err := hb.LegacyCount(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d legacy rows (not searched)\n", n)
	return nil
}
