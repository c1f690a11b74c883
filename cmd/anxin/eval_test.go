package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin"
)

func TestEvalCommandErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"id":"a","kind":"listing","text":"纯棉T恤","label":"clean"}` + "\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no labels", []string{}, "eval needs --labels FILE."},
		{"unreadable", []string{"--labels", filepath.Join(dir, "absent.jsonl")}, "The labelled file cannot be read."},
		{"unknown label", []string{"--labels", write("u.jsonl", good+`{"id":"b","kind":"comment","text":"x","label":"porn"}`)}, `Line 2: unknown label "porn"`},
		{"missing text", []string{"--labels", write("m.jsonl", good+good[:0]+`{"id":"b","kind":"comment","label":"clean"}`)}, `Line 2: missing text (id "b").`},
		{"store with policy", []string{"--labels", write("g.jsonl", good), "--store", "--policy", "p.json"}, "--store records the stored engine's figures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runEval(context.Background(), tt.args)
			if err == nil || anxin.KindOf(err) != anxin.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("eval %q = %v; want Invalid containing %q", tt.args, err, tt.want)
			}
		})
	}
}
