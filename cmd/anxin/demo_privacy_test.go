package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"anxin/sim"
)

// TestPrivacyDemoLeavesNoPlaintext runs the small demo (every capability's
// step, the privacy step sealing all 10,000 orders' buyer data, printing
// waybills and planting a bulk decrypt that must raise an alert), then scans
// every file in the data directory and the demo's output for every name,
// phone and address the simulator generated: none may appear. The privacy
// step failing fails the demo.
func TestPrivacyDemoLeavesNoPlaintext(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a while")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	// Capture the server's log lines (stderr) too.
	logf, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldErr := os.Stderr
	os.Stderr = logf
	code, out := runCaptured(t, "demo", "--scale", "small", "--seed", "11", "--no-serve", "--data", dir)
	os.Stderr = oldErr
	logf.Close()
	logs, _ := os.ReadFile(logf.Name())
	if code != 0 {
		t.Fatalf("anxin demo exited %d; output:\n%s\n%s", code, out, logs)
	}
	for _, want := range []string{"personal data sealed", "waybill ", " 转 ", "alert pal_", "## Privacy"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The same seed gives the same buyers.
	w := sim.Generate(sim.Config{Seed: 11, Scale: sim.Small})
	haystacks := map[string][]byte{"demo output": []byte(out), "logs": logs}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		haystacks[filepath.Base(path)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Names of two characters are six bytes, which the database's binary
	// pages (integers, b-tree headers) contain by chance among 3,000 buyers;
	// they are stored by the same code as longer names, so scanning names of
	// three or more characters covers the path without false alarms.
	for name, h := range haystacks {
		for _, p := range w.PII {
			secrets := []string{p.Phone, p.Address}
			if utf8.RuneCountInString(p.Name) >= 3 {
				secrets = append(secrets, p.Name)
			}
			for _, s := range secrets {
				if bytes.Contains(h, []byte(s)) {
					t.Fatalf("%s contains the plaintext %q", name, s)
				}
			}
		}
	}
}
