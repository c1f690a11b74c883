package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"anxin"
)

func TestLexiconImportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code := run(ctx, []string{"migrate", "--data", dir}); code != 0 {
		t.Fatalf("migrate exited %d", code)
	}
	list, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("# 违禁词\r\n蓝精灵秘制\r\n代购港货\r\n蓝精灵秘制\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(file, list, 0o600); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() error {
		return dispatch(ctx, []string{"lexicon", "import", "--data", dir, "--name", "ours", "--category", "drugs", "--severity", "5", file})
	})
	var rep anxin.LexiconImportReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if rep.Encoding != "gbk" || rep.Added != 2 || rep.SkippedCount != 1 || rep.Version != 1 || rep.Skipped[0].Line != 4 {
		t.Errorf("report = %+v; want gbk, 2 added, line 4 skipped, version 1", rep)
	}
	// The stored engine blocks the imported term.
	eng, err := storedEngine(ctx, &dbFlags{data: dir})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := eng.CheckText("comment", "有蓝精灵秘制吗"); out.Result.Outcome != anxin.OutcomeBlock {
		t.Errorf("CheckText after the import = %v; want block", out.Result.Outcome)
	}

	// A file with a NUL byte is refused naming the line, and nothing changes.
	if err := os.WriteFile(file, []byte("好词\n坏\x00词\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = dispatch(ctx, []string{"lexicon", "import", "--data", dir, "--name", "ours", "--category", "drugs", file})
	if !strings.Contains(anxin.MessageOf(err), "Line 2 contains a NUL byte") {
		t.Errorf("import of a binary file = %v; want an error naming line 2", err)
	}
	db, g, err := openGovernance(ctx, &dbFlags{data: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := g.FindLexicon(anxin.NewContextWithActor(ctx, cliActor), "ours")
	if err != nil || l.Version != 1 || len(l.Terms) != 2 {
		t.Errorf("lexicon after the refused import = %+v, %v; want version 1 with 2 terms", l, err)
	}
}
