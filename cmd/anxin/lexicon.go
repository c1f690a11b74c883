package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"anxin/lexicon"
)

// lexiconCommands are the subcommands of "anxin lexicon". Other files add
// theirs with an init function: lexiconCommands["name"] = ...
var lexiconCommands = map[string]command{
	"bench": {"bench", "count a dictionary's occurrences in a text file and time it", runLexiconBench},
}

func runLexicon(ctx context.Context, args []string) error {
	if len(args) > 0 {
		if c, ok := lexiconCommands[args[0]]; ok {
			return c.run(ctx, args[1:])
		}
	}
	w := os.Stderr
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		w = os.Stdout
	}
	fmt.Fprintln(w, "Usage: anxin lexicon <subcommand> [flags]\n\nSubcommands:")
	names := make([]string, 0, len(lexiconCommands))
	for n := range lexiconCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, lexiconCommands[n].summary)
	}
	if w == os.Stdout {
		return nil
	}
	return errUsage
}

// benchResult is the JSON line "anxin lexicon bench" prints.
type benchResult struct {
	Patterns int     `json:"patterns"`
	Bytes    int     `json:"bytes"`
	Matches  int     `json:"matches"`
	Seconds  float64 `json:"seconds"`
	MBPerS   float64 `json:"mb_per_s"`
}

func runLexiconBench(ctx context.Context, args []string) error {
	fs := newFlagSet("lexicon bench", "lexicon bench --dict FILE --text FILE [--raw]", `
Count every occurrence, overlapping ones included, of the dictionary's
patterns (one per non-empty line; duplicate lines count once) in the text
file, and print one JSON line {"patterns","bytes","matches","seconds","mb_per_s"}.
Without --raw the patterns and the text are normalised first (as a check
does) and "bytes" is the size of the normalised text; seconds and MB/s time
the scan only, repeated for at least one second. With --raw both are
compared byte for byte.`)
	dict := fs.String("dict", "", "dictionary `file`, one pattern per line")
	text := fs.String("text", "", "text `file` to scan")
	raw := fs.Bool("raw", false, "no normalisation")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dict == "" || *text == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	pats, err := readLines(*dict)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(*text)
	if err != nil {
		return err
	}
	res, err := benchLexicon(pats, body, *raw)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// benchLexicon compiles pats and counts their occurrences in body.
func benchLexicon(pats []string, body []byte, raw bool) (benchResult, error) {
	if !raw {
		// Normalise patterns like Compile does; lines that normalise to
		// nothing are left out, duplicates after normalisation count once.
		var norm []string
		for _, p := range pats {
			if n := lexicon.Normalize(p).Norm; n != "" {
				norm = append(norm, n)
			}
		}
		pats = norm
		// The text is normalised in chunks of at most MaxTextBytes, cut at
		// line ends where possible, so files of any size can be measured.
		body = normalizeChunks(body)
	}
	pats = dedupe(pats)
	m, err := lexicon.CompileRaw(pats)
	if err != nil {
		return benchResult{}, err
	}
	res := benchResult{Patterns: len(pats), Bytes: len(body)}
	res.Matches = m.CountAll(body)
	start := time.Now()
	runs := 0
	for runs == 0 || time.Since(start) < time.Second {
		if n := m.CountAll(body); n != res.Matches {
			return res, fmt.Errorf("count changed between runs: %d then %d", res.Matches, n)
		}
		runs++
	}
	res.Seconds = time.Since(start).Seconds() / float64(runs)
	if res.Seconds > 0 {
		res.MBPerS = float64(len(body)) / 1e6 / res.Seconds
	}
	return res, nil
}

func normalizeChunks(body []byte) []byte {
	var out bytes.Buffer
	for len(body) > 0 {
		n := min(len(body), lexicon.MaxTextBytes)
		if n < len(body) {
			if i := bytes.LastIndexByte(body[:n], '\n'); i > 0 {
				n = i + 1
			}
		}
		out.WriteString(lexicon.Normalize(string(body[:n])).Norm)
		body = body[n:]
	}
	return out.Bytes()
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// readLines returns the non-empty lines of a file, without line ends.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			lines = append(lines, line)
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
