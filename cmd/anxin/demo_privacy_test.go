package main

import (
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
	sc := newPlaintextScanner()
	for _, p := range w.PII {
		sc.add(p.Phone)
		sc.add(p.Address)
		if utf8.RuneCountInString(p.Name) >= 3 {
			sc.add(p.Name)
		}
	}
	for name, h := range haystacks {
		if s := sc.find(h); s != "" {
			t.Fatalf("%s contains the plaintext %q", name, s)
		}
	}
}

// plaintextScanner finds any of many secrets in large byte slices in one
// pass: secrets are grouped by their first two bytes and length, and only
// positions starting with a known pair are looked up.
type plaintextScanner struct {
	byPrefix map[[2]byte]map[int]bool // first two bytes → secret lengths
	set      map[string]bool
}

func newPlaintextScanner() *plaintextScanner {
	return &plaintextScanner{byPrefix: map[[2]byte]map[int]bool{}, set: map[string]bool{}}
}

func (p *plaintextScanner) add(s string) {
	if len(s) < 2 {
		return
	}
	k := [2]byte{s[0], s[1]}
	if p.byPrefix[k] == nil {
		p.byPrefix[k] = map[int]bool{}
	}
	p.byPrefix[k][len(s)] = true
	p.set[s] = true
}

// find returns a secret contained in h, or "".
func (p *plaintextScanner) find(h []byte) string {
	for i := 0; i+1 < len(h); i++ {
		lens := p.byPrefix[[2]byte{h[i], h[i+1]}]
		for n := range lens {
			if i+n <= len(h) && p.set[string(h[i:i+n])] {
				return string(h[i : i+n])
			}
		}
	}
	return ""
}

func TestPlaintextScanner(t *testing.T) {
	sc := newPlaintextScanner()
	sc.add("13812345678")
	sc.add("王秀英")
	if got := sc.find([]byte("xx\x00\x01王秀英yy")); got != "王秀英" {
		t.Errorf("find = %q; want 王秀英", got)
	}
	if got := sc.find([]byte("1381234567 13812345679 王秀")); got != "" {
		t.Errorf("find = %q; want nothing", got)
	}
	if got := sc.find([]byte("tel:13812345678")); got != "13812345678" {
		t.Errorf("find = %q", got)
	}
}
