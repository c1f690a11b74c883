package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestLexiconBench(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(dir, "dict.txt")
	text := filepath.Join(dir, "text.txt")
	// 高仿 twice (normalised, the spaced and traditional forms count), aa
	// overlapping, and a duplicate line that counts once.
	if err := os.WriteFile(dict, []byte("高仿\n\naa\r\n高仿\n專櫃\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte("高仿 aaa 髙 仿 专柜 a a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		patterns  int
		matches   int
		textBytes int
	}{
		// raw: 高仿 once, aa twice in "aaa"; 專櫃 not in the text.
		{"raw", []string{"--raw"}, 3, 3, len("高仿 aaa 髙 仿 专柜 a a\n")},
		// normalised text "高仿aaa高仿专柜aa": 高仿 2, aa 3 (aaa has 2, then aa), 专柜 1.
		{"normalised", nil, 3, 6, len("高仿aaa高仿专柜aa")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := captureStdout(t, func() error {
				return dispatch(context.Background(), append([]string{"lexicon", "bench", "--dict", dict, "--text", text}, tt.args...))
			})
			var res benchResult
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if res.Patterns != tt.patterns || res.Matches != tt.matches || res.Bytes != tt.textBytes || res.Seconds <= 0 || res.MBPerS <= 0 {
				t.Errorf("lexicon bench %v = %+v; want patterns %d, matches %d, bytes %d, positive timing", tt.args, res, tt.patterns, tt.matches, tt.textBytes)
			}
		})
	}
}

func TestLexiconBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("ok\na\xffb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := dispatch(ctx, []string{"lexicon", "bench", "--dict", bad, "--text", bad, "--raw"}); err == nil {
		t.Error("bench with an invalid UTF-8 pattern: err = nil; want an error naming the line")
	}
	if err := dispatch(ctx, []string{"lexicon", "bench", "--dict", filepath.Join(dir, "missing"), "--text", bad}); err == nil {
		t.Error("bench with a missing file: err = nil")
	}
	if err := dispatch(ctx, []string{"lexicon", "bench"}); err != errUsage {
		t.Errorf("bench without flags: err = %v; want usage", err)
	}
	if err := dispatch(ctx, []string{"lexicon", "nope"}); err != errUsage {
		t.Errorf("unknown lexicon subcommand: err = %v; want usage", err)
	}
}

func captureStdout(t *testing.T, f func() error) []byte {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.Bytes()
	}()
	ferr := f()
	os.Stdout = old
	w.Close()
	out := <-done
	if ferr != nil {
		t.Fatalf("command failed: %v", ferr)
	}
	return out
}
