package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin"
)

func TestHashBankImportExport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	if err := dispatch(ctx, []string{"migrate", "-data", data}); err != nil {
		t.Fatal(err)
	}
	const a = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	const b = "358c86641a5269ab5b0db5f1b2315c1642cef9652c39b6ced9f646d91f071927"
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(good, []byte("pdq "+a+"\nHASH_PDQ "+b+"\n"), 0o600)
	os.WriteFile(bad, []byte("pdq "+a+"\npdq "+b+"\nmd5 d41d8cd98f00b204e9800998ecf8427e\n"), 0o600)

	err := dispatch(ctx, []string{"hashbank", "import", "-data", data, "-format", "signal-file", "-label", "counterfeit", bad})
	if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), `line 3: signal type "md5" is not supported`) {
		t.Fatalf("import of a bad list = %v; want Invalid naming line 3", err)
	}
	out := string(captureStdout(t, func() error {
		return dispatch(ctx, []string{"hashbank", "import", "-data", data, "-format", "signal-file", "-label", "counterfeit", "-brand", "b1", good})
	}))
	if !strings.Contains(out, `"added":2`) {
		t.Fatalf("import output = %q; want 2 added", out)
	}
	exported := filepath.Join(dir, "out.csv")
	if err := dispatch(ctx, []string{"hashbank", "export", "-data", data, "-format", "threatexchange-csv", "-o", exported}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(exported)
	want := "signal_type,signal_str,collab,category,tags\n" +
		"pdq," + a + ",anxin,POSITIVE_CLASS,counterfeit brand:b1\n" +
		"pdq," + b + ",anxin,POSITIVE_CLASS,counterfeit brand:b1\n"
	if string(got) != want {
		t.Errorf("export =\n%s\nwant\n%s", got, want)
	}
}
