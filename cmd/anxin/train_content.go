package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"anxin"
	"anxin/classify"
	"anxin/governance"
	"anxin/sqlstore"
)

func runTrainContent(ctx context.Context, args []string) error {
	var f dbFlags
	fs := newFlagSet("train content", "train content [--labels FILE] [--holdout FILE] [--seed N] [--threshold P] [--out FILE | --data DIR | --db DSN]", `
Train a version of the content classifier (hashed character n-grams and
words, one logistic regression per violation category) from labelled JSON
lines {"id","kind","text","label"}, label "clean" or a category.

With --out, trains from --labels alone and writes the model file (versioned,
checksummed); prints the metrics on --holdout when given.

Otherwise stores --labels (when given) as seed examples in the database and
trains a new version from every stored example: the seed set plus the
reviewers' decided cases. The version starts in shadow; promote it with
POST /v1/models/content/{version}/promote or the governance console once it
beats the active version on a holdout. --holdout stores that file as a
holdout named after it and measures the new version on it.

A malformed line or an unknown label is an error naming the line, and
nothing is stored.`)
	f.register(fs)
	labels := fs.String("labels", "", "labelled JSONL `file` to train from")
	holdout := fs.String("holdout", "", "labelled JSONL `file` to measure on (kept apart from training)")
	seed := fs.Uint64("seed", 1, "random seed for the training order")
	threshold := fs.Float64("threshold", 0, "review threshold stored in the model, 0-1 (default 0.5)")
	out := fs.String("out", "", "write the model to `file` instead of the database")
	if err := parse(fs, args); err != nil {
		return err
	}
	read := func(path string) ([]anxin.ContentExample, error) {
		fh, err := os.Open(path)
		if err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "%s cannot be read.", filepath.Base(path))
		}
		defer fh.Close()
		ex, err := classify.ReadExamples(fh)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		return ex, nil
	}
	var train, hold []anxin.ContentExample
	var err error
	if *labels != "" {
		if train, err = read(*labels); err != nil {
			return err
		}
	}
	if *holdout != "" {
		if hold, err = read(*holdout); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(os.Stdout)
	if *out != "" {
		if *labels == "" {
			return anxin.Errorf(anxin.Invalid, "--out needs --labels.")
		}
		m, err := classify.Train(train, classify.Options{Seed: *seed, Threshold: *threshold})
		if err != nil {
			return err
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*out, b); err != nil {
			return err
		}
		res := map[string]any{"file": *out, "bytes": len(b), "labels": m.Labels, "examples": m.Examples, "seed": *seed, "threshold": m.Threshold}
		if hold != nil {
			mt, err := m.Evaluate(hold)
			if err != nil {
				return err
			}
			res["holdout"] = mt
			fmt.Fprintf(os.Stderr, "holdout: precision %.3f recall %.3f f1 %.3f false-positive rate %.3f (n=%d)\n",
				mt.Precision, mt.Recall, mt.F1, mt.FalsePositiveRate, mt.Examples)
		}
		return enc.Encode(res)
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
	ctx = anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "cli", Name: "anxin train content", Role: anxin.RoleOperator})
	gov := sqlstore.NewGovernanceService(db)
	if train != nil {
		if _, err := gov.AddContentExamples(ctx, train); err != nil {
			return err
		}
	}
	req := anxin.ContentTraining{Seed: *seed, Threshold: *threshold}
	if hold != nil {
		req.Holdout = strings.TrimSuffix(filepath.Base(*holdout), filepath.Ext(*holdout))
		req.HoldoutExamples = hold
	}
	info, err := gov.TrainContentModel(ctx, req)
	if err != nil {
		return err
	}
	if err := enc.Encode(info); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "content model v%d (shadow): %d examples, %d from reviewers\n", info.Version, info.Examples, info.Reviewed)
	return nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, so a reader never sees half a model.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".anxin-model-*")
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "The output directory cannot be written.")
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// withModelFile attaches the content model in path to eng as its active
// model. A file that is not a valid model is an error saying why.
func withModelFile(eng *governance.Engine, path string) (*governance.Engine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, anxin.Errorf(anxin.Invalid, "The model file %s cannot be read.", filepath.Base(path))
	}
	m := new(classify.Model)
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return eng.WithModel(governance.ContentModel{Classifier: m}), nil
}
