package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"anxin"
	"anxin/governance"
	"anxin/rules"
	"anxin/sqlstore"
)

const checkUsage = `Usage:
  anxin check listings [--policy FILE | --data DIR | --db DSN]  < listings.jsonl
  anxin check content  [--policy FILE | --data DIR | --db DSN]  < content.jsonl
  anxin check backtest --policy FILE [--data DIR | --db DSN]`

func runCheck(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "listings" && args[0] != "content" && args[0] != "backtest") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println(checkUsage)
			return nil
		}
		fmt.Fprintln(os.Stderr, checkUsage)
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("check "+sub, "check "+sub+" [flags]", `
Check listings or content read as JSON lines on stdin, without a server, and
write one decision per line, in input order, on stdout:
  {"id","outcome","labels","reasons"}   outcome: allow, review or block
Listing lines: {"id","title","description","category","brand","price_fen","merchant_id"}
(all but id optional). Content lines: {"id","kind","text","stream_id","seq"}; a
livestream_segment is checked with the previous segments of its stream in the
input. A line that is not a valid item gets {"id","error"} and the command
exits 1 at the end.

The policy is the embedded default pack, or --policy FILE (a pack with
"lexicons" and "policy", or a policy with "rules" over the default lexicons),
or the lexicons and active policy stored in --data DIR / --db DSN.

"backtest" runs the candidate --policy FILE over the listings and content
stored in --data DIR / --db DSN and prints, as JSON, how the outcomes would
change against the active policy.`)
	var f dbFlags
	f.register(fs)
	policy := fs.String("policy", "", "pack or policy `file` (JSON)")
	model := fs.String("model", "", "content model `file` (from anxin train content --out) to route to review, as if active")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	useDB := false
	fs.Visit(func(fl *flag.Flag) { useDB = useDB || fl.Name == "data" || fl.Name == "db" })
	if sub == "backtest" {
		if *policy == "" {
			return anxin.Errorf(anxin.Invalid, "backtest needs --policy FILE.")
		}
		return backtest(ctx, &f, *policy)
	}
	var eng *governance.Engine
	var err error
	switch {
	case *policy != "":
		eng, err = packEngine(*policy)
	case useDB:
		eng, err = storedEngine(ctx, &f)
	default:
		var p *governance.Pack
		if p, err = governance.DefaultPack(); err == nil {
			eng, err = p.Engine()
		}
	}
	if err != nil {
		return err
	}
	if *model != "" {
		if eng, err = withModelFile(eng, *model); err != nil {
			return err
		}
	}
	return checkLines(eng, sub, os.Stdin, os.Stdout)
}

// cliActor is the actor of local commands: whoever can read the database
// files or DSN already has full access to the data.
var cliActor = anxin.Actor{KeyID: "cli", Name: "anxin check", Role: anxin.RoleOperator}

func packEngine(path string) (*governance.Engine, error) {
	p, err := governance.ReadPack(path)
	if err != nil {
		return nil, err
	}
	eng, err := p.Engine()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return eng, nil
}

// openGovernance opens the database of f (which must be migrated) and its
// governance service, seeding the default pack into an empty one.
func openGovernance(ctx context.Context, f *dbFlags) (*sqlstore.DB, *sqlstore.GovernanceService, error) {
	dsn, err := f.existingDSN()
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	g := sqlstore.NewGovernanceService(db)
	if err := g.Seed(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, g, nil
}

func storedEngine(ctx context.Context, f *dbFlags) (*governance.Engine, error) {
	db, g, err := openGovernance(ctx, f)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return g.Engine(ctx)
}

func backtest(ctx context.Context, f *dbFlags, policy string) error {
	cand, err := packEngine(policy)
	if err != nil {
		return err
	}
	db, g, err := openGovernance(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	bt, err := g.Backtest(anxin.NewContextWithActor(ctx, cliActor), cand)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "backtest: %d items; %d would change (%d stricter, %d looser)\n", bt.Items, bt.Changed, bt.Stricter, bt.Looser)
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(bt)
}

// checkLine is one output line.
type checkLine struct {
	ID      string        `json:"id"`
	Outcome anxin.Outcome `json:"outcome"`
	Labels  []string      `json:"labels"`
	Reasons []string      `json:"reasons"`
}

type errorLine struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// checkLines checks every line of in as a listing or content item and writes
// one line per input line to out, in order.
func checkLines(eng *governance.Engine, sub string, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	windows := map[string][]string{}
	bad := 0
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var res rules.Result
		var id string
		var err error
		if sub == "listings" {
			l := new(anxin.ListingCheck)
			if err = anxin.DecodeJSON(line, l); err == nil {
				id = l.ID
				if err = l.Validate(); err == nil {
					res = eng.CheckListing(l, rules.Merchant{}, nil).Result
				}
			}
		} else {
			c := new(anxin.ContentItem)
			if err = anxin.DecodeJSON(line, c); err == nil {
				id = c.ID
				if err = c.Validate(); err == nil {
					var win []string
					if c.Kind == anxin.ContentLivestreamSegment {
						win = windows[c.StreamID]
						windows[c.StreamID] = append(win[max(0, len(win)-governance.WindowSegments+1):len(win):len(win)], c.Text)
					}
					res = eng.CheckContent(c, win, rules.Merchant{}, nil).Result
				}
			}
		}
		if err != nil {
			bad++
			if err := enc.Encode(errorLine{ID: id, Error: anxin.MessageOf(err)}); err != nil {
				return err
			}
			continue
		}
		labels, reasons := res.Labels, res.Reasons
		if labels == nil {
			labels = []string{}
		}
		if reasons == nil {
			reasons = []string{}
		}
		if err := enc.Encode(checkLine{ID: id, Outcome: res.Outcome, Labels: labels, Reasons: reasons}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return anxin.Errorf(anxin.Invalid, "reading stdin: a line is longer than 4 MiB or the input failed.")
	}
	if bad > 0 {
		w.Flush()
		return anxin.Errorf(anxin.Invalid, "%d line(s) were not valid items.", bad)
	}
	return nil
}
