package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"anxin"
	"anxin/governance"
)

func init() {
	lexiconCommands["import"] = command{"import", "add a plain word list (UTF-8 or GBK, one term a line) to a lexicon", runLexiconImport}
}

func runLexiconImport(ctx context.Context, args []string) error {
	fs := newFlagSet("lexicon import", "lexicon import --name N --category C [--severity S] [--kinds K,K] [--pinyin] FILE", `
Add the terms of FILE, one per line, to lexicon N (created when absent) as
one new version, which running servers pick up without a restart. FILE may
be UTF-8 with or without a byte-order mark, or GBK, with LF or CRLF line
ends; '#' lines and blank lines are ignored, and only the first
tab-separated field of a line is read. Duplicates and terms the lexicon
already has are skipped. Prints the report as JSON: added, skipped (line,
term, reason). A file with a NUL byte, mixed encodings, a term over 64
characters or more than 100,000 lines is refused naming the line, and
nothing changes.`)
	var db dbFlags
	db.register(fs)
	name := fs.String("name", "", "lexicon `name`")
	category := fs.String("category", "", "`category` every term gets (a policy rule must read it)")
	severity := fs.Int("severity", 3, "`severity` 1 (weak) to 5 (certain)")
	kinds := fs.String("kinds", "", "content `kinds` the terms apply to, comma-separated (default all)")
	pinyin := fs.Bool("pinyin", false, "also match each Chinese term's pinyin")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *category == "" || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	o := governance.ImportOptions{Category: *category, Severity: *severity, Pinyin: *pinyin}
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.Kinds = append(o.Kinds, k)
		}
	}
	imp, err := governance.ParseWordList(data, o)
	if err != nil {
		return err
	}
	store, g, err := openGovernance(ctx, &db)
	if err != nil {
		return err
	}
	defer store.Close()
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin lexicon import", Role: anxin.RoleOperator})
	rep, err := g.ImportLexicon(ctx, *name, imp)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
