package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"anxin"
	"anxin/sqlstore"
)

// errUsage reports a usage error; usage has already been printed.
var errUsage = errors.New("usage")

// command is one subcommand, implemented in a file of its own.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands lists every subcommand. Each capability that adds one adds a line.
func commands() []command {
	return []command{
		{"serve", "serve the API, console, jobs and webhooks", runServe},
		{"demo", "run a simulated marketplace through Anxin and print the report", runDemo},
		{"migrate", "apply pending database migrations", runMigrate},
		{"keys", "create, list and revoke API keys", runKeys},
		{"check", "check listings or content from JSON lines; backtest a policy", runCheck},
		{"report", "print the consumer-protection report for a period", runReport},
		{"version", "print the version", runVersion},
		{"ledger", "verify the guarantee-fund ledger", runLedger},
		{"vault", "rotate, retire and inspect the vault's key-encryption keys", runVault},
		{"audit", "verify the privacy audit log's hash chain", runAudit},
		{"lexicon", "lexicon tools: import word lists, bench the scanner", runLexicon},
		{"train", "train the counterfeit text model; train content: the content classifier", runTrain},
		{"bench", "drive a running server with checks, claims or events and print throughput and latency", runBench},
		{"statements", "export statements of reasons (DSA Transparency Database shape)", runStatements},
		{"eval", "measure detection on a labelled JSONL set (precision, recall, FPR)", runEval},
		{"hashbank", "import and export PDQ hash lists (ThreatExchange, HMA)", runHashBank},
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return dispatch(ctx, []string{args[1], "-h"})
		}
		usage(os.Stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "anxin: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Anxin (安心): trust, safety and buyer protection for marketplaces.")
	fmt.Fprintln(w, "\nUsage: anxin <command> [flags]   (anxin <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Environment:
  ANXIN_DATA   data directory (default ./anxin-data): SQLite file, keys, demo output
  ANXIN_DB     database: a postgres:// URL, or a SQLite file path (default $ANXIN_DATA/anxin.db)
  ANXIN_ADDR   listen address for serve and demo (default 127.0.0.1:8080)
Flags override the environment.`)
}

// dbFlags are the flags every database-using command shares.
type dbFlags struct {
	data string
	db   string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", envOr("ANXIN_DATA", "anxin-data"), "data `dir` (env ANXIN_DATA)")
	fs.StringVar(&f.db, "db", os.Getenv("ANXIN_DB"), "database `dsn`: postgres://… or a SQLite path (env ANXIN_DB; default DIR/anxin.db)")
}

// dsn returns the database to open, creating the data dir for SQLite.
func (f *dbFlags) dsn() (string, error) {
	if f.db != "" {
		return f.db, nil
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return "", err
	}
	return filepath.Join(f.data, "anxin.db"), nil
}

// existingDSN returns the database to open for a command that only reads:
// it never creates the data dir or a SQLite file, and says clearly when
// there is no database there (a mistyped --data must not leave an empty
// database behind).
func (f *dbFlags) existingDSN() (string, error) {
	path := f.db
	if path == "" {
		path = filepath.Join(f.data, "anxin.db")
	} else if sqlstore.IsPostgresDSN(path) {
		return path, nil
	}
	path = strings.TrimPrefix(path, "sqlite:")
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return "", anxin.Errorf(anxin.NotFound, "There is no Anxin database at %s: run \"anxin migrate\" or \"anxin demo\" first, or pass --data DIR or --db DSN.", path)
	}
	return path, nil
}

// open opens an existing database and checks that its schema is current
// (Conflict with a hint to run "anxin migrate" otherwise); it never creates
// one. The caller closes it.
func (f *dbFlags) open(ctx context.Context) (*sqlstore.DB, error) {
	dsn, err := f.existingDSN()
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// newFlagSet returns a flag set whose -h prints the command's usage line,
// its description and its flags.
func newFlagSet(name, usageLine, desc string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: anxin %s\n\n%s\n\nFlags:\n", usageLine, strings.TrimSpace(desc))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, mapping a flag error to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
