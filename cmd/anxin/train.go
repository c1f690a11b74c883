package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"anxin"
	"anxin/sqlstore"
)

func runTrain(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "content" {
		return runTrainContent(ctx, args[1:])
	}
	var f dbFlags
	fs := newFlagSet("train", "train [--data DIR | --db DSN] [--seed N]  |  train content …", `
Train a new version of the counterfeit text model (character n-gram logistic
regression) from confirmed outcomes: listings of accepted counterfeit notices
are positive, listings of rejected or reinstated notices negative, plus a
stable sample of never-flagged listings as presumed genuine. Training is
reproducible for a seed; the new version is stored and used by the next
score. Prints the version and its precision and recall on a held-out fifth.

"anxin train content" trains the content classifier instead (see
"anxin train content -h").`)
	f.register(fs)
	seed := fs.Uint64("seed", 1, "random seed for the split and the training order")
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
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin train", Role: anxin.RoleOperator})
	cs := sqlstore.NewCounterfeitService(db, nil, nil)
	info, err := cs.Train(ctx, *seed)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(info); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "model v%d: %d examples, held-out precision %.3f recall %.3f (n=%d)\n",
		info.Version, info.Examples, info.Metrics.Precision, info.Metrics.Recall, info.Metrics.HeldOut)
	return nil
}
