package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin"
	"anxin/classify"
)

func TestTrainContentToFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "content.model")
	stdout := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"train", "content", "--labels", "../../testdata/train/content.jsonl",
			"--holdout", "../../testdata/train/holdout.jsonl", "--seed", "3", "--out", out})
	})
	var res struct {
		Examples int                  `json:"examples"`
		Holdout  anxin.ContentMetrics `json:"holdout"`
	}
	if err := json.Unmarshal(stdout, &res); err != nil || res.Examples < 300 || res.Holdout.Examples < 50 {
		t.Fatalf("train content --out printed %s (%v); want the examples and the holdout metrics", stdout, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var m classify.Model
	if err := m.UnmarshalBinary(b); err != nil || m.Seed != 3 {
		t.Errorf("the written model does not load: %v (seed %d)", err, m.Seed)
	}
}

func TestTrainContentBadLabels(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if code := run(ctx, []string{"migrate", "--data", dir}); code != 0 {
		t.Fatalf("migrate exited %d", code)
	}
	tests := []struct {
		name, body, want string
	}{
		{"unknown label", `{"id":"a","kind":"comment","text":"hi","label":"clean"}` + "\n\n" + `{"id":"b","kind":"comment","text":"x","label":"spamm"}`,
			`labels.jsonl: invalid: line 3: Unknown label "spamm"`},
		{"malformed", `{"id":"a","kind":"comment","text":"hi","label":"clean"}` + "\n" + `{"id":"b","kind":"comment","text":`,
			"labels.jsonl: invalid: line 2: not a JSON object"},
		{"unknown field", `{"id":"a","kind":"comment","text":"hi","label":"clean","score":1}`, `line 1: not a JSON object with id, kind, text and label (unknown field "score")`},
		{"bad kind", `{"id":"a","kind":"tweet","text":"hi","label":"clean"}`, `line 1: kind "tweet" is not listing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := filepath.Join(dir, "labels.jsonl")
			if err := os.WriteFile(labels, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "m.model")
			err := dispatch(ctx, []string{"train", "content", "--labels", labels, "--out", out})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("train content --out = %v; want %q", err, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a model file was written despite the error")
			}
			err = dispatch(ctx, []string{"train", "content", "--labels", labels, "--data", dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("train content --data = %v; want %q", err, tt.want)
			}
		})
	}
	// Nothing was stored: training from the database finds no examples.
	err := dispatch(ctx, []string{"train", "content", "--data", dir})
	if err == nil || !strings.Contains(err.Error(), "got 0") {
		t.Errorf("train content from an empty store = %v; want too few examples (got 0)", err)
	}
	// The existing counterfeit training is unchanged.
	if err := dispatch(ctx, []string{"train", "--data", dir}); err == nil || !strings.Contains(err.Error(), "at least 10 labelled examples") {
		t.Errorf("train (counterfeit) on an empty store = %v; want its own too-few error", err)
	}
	stdout := captureStdout(t, func() error {
		return dispatch(ctx, []string{"train", "content", "--labels", "../../testdata/train/content.jsonl", "--data", dir})
	})
	var info anxin.ContentModel
	if err := json.Unmarshal(stdout, &info); err != nil || info.Version != 1 || info.State != anxin.ModelShadow {
		t.Errorf("train content --data printed %s (%v); want version 1 in shadow", stdout, err)
	}
}

func TestCheckWithModelFile(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "content.model")
	captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"train", "content", "--labels", "../../testdata/train/content.jsonl", "--out", model})
	})
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"id":"a","kind":"comment","text":"喝了癌症 已治愈千人"}`+"\n"+`{"id":"b","kind":"comment","text":"快递很快，包装也很仔细，好评"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(args ...string) string {
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		old := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = old }()
		return string(captureStdout(t, func() error { return dispatch(context.Background(), append([]string{"check", "content"}, args...)) }))
	}
	without, with := check(), check("--model", model)
	if !strings.Contains(without, `"id":"a","outcome":"allow"`) || !strings.Contains(with, `"id":"a","outcome":"review"`) ||
		!strings.Contains(with, `"id":"b","outcome":"allow"`) {
		t.Errorf("check content without a model:\n%s\nwith --model:\n%s\nwant a allowed, then sent to review; b allowed", without, with)
	}
	// A damaged model file is refused with the reason.
	b, _ := os.ReadFile(model)
	os.WriteFile(model, b[:len(b)-7], 0o600)
	err := dispatch(context.Background(), []string{"check", "content", "--model", model})
	if err == nil || !strings.Contains(err.Error(), "content.model: invalid: The content model file is truncated or corrupted") {
		t.Errorf("check --model (truncated) = %v; want the codec's error", err)
	}
}
