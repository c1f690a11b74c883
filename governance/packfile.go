package governance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"anxin"
	"anxin/lexicon"
)

// The default pack's lexicons live in pack/ as plain text, one folder per
// lexicon and one file per category (pack/prohibited/fake_documents.txt
// holds the terms of category fake_documents in lexicon prohibited);
// pack/lexicons.txt lists the lexicons in order with their descriptions.
// pack/README.md describes the format; in short:
//
//	# a comment line
//	@severity 5                 settings for the lines that follow
//	@pinyin on|off|auto         (auto: on when the term has a Chinese character)
//	@kinds listing, comment     or "all"
//	@except 仿真植物, 仿真花      allow-contexts for the following terms ("@except" alone clears)
//	@except-prefix 无法, 不能     allow-contexts made of a prefix and each term (无法根治X)
//	@except-suffix 家            allow-contexts made of each term and a suffix (N厂家)
//	高仿
//	代办{身份证,驾驶证,学历证}    braces compose: one term per alternative
//	fake | sev=3; except=fake fur, faux fur; alias=f4ke; kinds=listing; pinyin=off
//
// Terms are deduplicated within a category (a composed term may repeat a
// listed one); the same term in two categories of one lexicon is an error.

// maxExpansion bounds the terms one line composes.
const maxExpansion = 5000

// termSettings are the settings in effect for a line.
type termSettings struct {
	severity int
	pinyin   string // "on", "off", "auto"
	kinds    []string
	except   []string
	// exceptPrefix and exceptSuffix make allow-contexts from each term:
	// with prefix 无法, the term 根治糖尿病 gets 无法根治糖尿病.
	exceptPrefix, exceptSuffix []string
	// word makes the terms fire only on word boundaries (see context.go).
	word bool
}

// loadPackLexicons reads the lexicons of the pack folder dir in fsys.
func loadPackLexicons(fsys fs.FS, dir string) ([]*anxin.Lexicon, error) {
	index, err := fs.ReadFile(fsys, path.Join(dir, "lexicons.txt"))
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	var out []*anxin.Lexicon
	for n, line := range strings.Split(string(index), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, desc, _ := strings.Cut(line, " ")
		l := &anxin.Lexicon{Name: name, Description: strings.TrimSpace(desc), Version: 1, Active: true}
		files, err := fs.Glob(fsys, path.Join(dir, name, "*.txt"))
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("pack: lexicons.txt:%d: lexicon %q has no folder with .txt files", n+1, name)
		}
		seen := map[string]string{} // normalised pattern → category
		var dups []error
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("pack: %w", err)
			}
			cat := strings.TrimSuffix(path.Base(f), ".txt")
			terms, err := parseTermFile(strings.TrimPrefix(f, dir+"/"), cat, b)
			if err != nil {
				return nil, err
			}
			for _, t := range terms {
				key := lexicon.Normalize(t.Pattern).Norm
				if c, ok := seen[key]; ok {
					if c != cat && len(dups) < 20 {
						dups = append(dups, fmt.Errorf("pack: %s: term %q is also in category %s", f, t.Pattern, c))
					}
					continue
				}
				seen[key] = cat
				l.Terms = append(l.Terms, t)
			}
		}
		if dups != nil {
			return nil, errors.Join(dups...)
		}
		out = append(out, l)
	}
	return out, nil
}

// parseTermFile parses one category file; errors name the file and line.
func parseTermFile(name, category string, b []byte) ([]anxin.LexiconTerm, error) {
	set := termSettings{severity: 3, pinyin: "auto", word: true}
	var out []anxin.LexiconTerm
	sc := bufio.NewScanner(bytes.NewReader(b))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("pack: %s:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		if strings.HasPrefix(line, "@") {
			key, val, _ := strings.Cut(line[1:], " ")
			val = strings.TrimSpace(val)
			switch key {
			case "severity":
				s, err := strconv.Atoi(val)
				if err != nil || s < 1 || s > 5 {
					return nil, fail("severity must be 1 to 5")
				}
				set.severity = s
			case "pinyin":
				if val != "on" && val != "off" && val != "auto" {
					return nil, fail("pinyin must be on, off or auto")
				}
				set.pinyin = val
			case "kinds":
				set.kinds = nil
				if val != "all" {
					set.kinds = splitList(val)
				}
			case "word":
				if val != "on" && val != "off" {
					return nil, fail("word must be on or off")
				}
				set.word = val == "on"
			case "except":
				set.except = splitList(val)
			case "except-prefix":
				set.exceptPrefix = splitList(val)
			case "except-suffix":
				set.exceptSuffix = splitList(val)
			default:
				return nil, fail("unknown setting @%s", key)
			}
			continue
		}
		pat, opts, _ := strings.Cut(line, "|")
		ts := set
		var aliases []string
		for _, o := range strings.Split(opts, ";") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			k, v, ok := strings.Cut(o, "=")
			if !ok {
				return nil, fail("option %q is not key=value", o)
			}
			switch strings.TrimSpace(k) {
			case "sev":
				s, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || s < 1 || s > 5 {
					return nil, fail("sev must be 1 to 5")
				}
				ts.severity = s
			case "except":
				ts.except = append(slices.Clip(ts.except), splitList(v)...)
			case "alias":
				aliases = splitList(v)
			case "kinds":
				ts.kinds = splitList(v)
			case "pinyin":
				ts.pinyin = strings.TrimSpace(v)
			case "word":
				switch strings.TrimSpace(v) {
				case "on":
					ts.word = true
				case "off":
					ts.word = false
				default:
					return nil, fail("word must be on or off")
				}
			default:
				return nil, fail("unknown option %q", k)
			}
		}
		pats, err := expandBraces(strings.TrimSpace(pat))
		if err != nil {
			return nil, fail("%s", err.Error())
		}
		for _, p := range pats {
			p = strings.TrimSpace(p)
			if p == "" {
				return nil, fail("empty term")
			}
			except := ts.except
			for _, x := range ts.exceptPrefix {
				except = append(slices.Clip(except), x+p)
			}
			for _, x := range ts.exceptSuffix {
				except = append(slices.Clip(except), p+x)
			}
			t := anxin.LexiconTerm{Pattern: p, Aliases: aliases, Category: category, Severity: ts.severity,
				Kinds: ts.kinds, Except: containing(p, aliases, except), Word: ts.word}
			switch ts.pinyin {
			case "on":
				t.Pinyin = true
			case "auto":
				t.Pinyin = strings.IndexFunc(p, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
			}
			out = append(out, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pack: %s: %w", name, err)
	}
	return out, nil
}

// containing returns the allow-contexts that can hold a hit of the pattern
// or one of its aliases (after normalisation); a file's shared list holds
// contexts for several of its terms, and each term keeps only its own.
func containing(pattern string, aliases, except []string) []string {
	spellings := []string{lexicon.Normalize(pattern).Norm}
	for _, a := range aliases {
		spellings = append(spellings, lexicon.Normalize(a).Norm)
	}
	var out []string
	for _, e := range except {
		n := lexicon.Normalize(e).Norm
		for _, s := range spellings {
			if s != "" && strings.Contains(n, s) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// expandBraces returns every string s composes: each {a,b,c} group is
// replaced by one of its alternatives ({,x} makes x optional). Groups do
// not nest.
func expandBraces(s string) ([]string, error) {
	out := []string{""}
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			if strings.IndexByte(s, '}') >= 0 {
				return nil, fmt.Errorf("unbalanced }")
			}
			for k := range out {
				out[k] += s
			}
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 || strings.IndexByte(s[:i], '}') >= 0 || strings.IndexByte(s[i+1:i+j], '{') >= 0 {
			return nil, fmt.Errorf("unbalanced or nested braces")
		}
		alts := strings.Split(s[i+1:i+j], ",")
		if len(out)*len(alts) > maxExpansion {
			return nil, fmt.Errorf("the line composes more than %d terms", maxExpansion)
		}
		next := make([]string, 0, len(out)*len(alts))
		for _, o := range out {
			for _, a := range alts {
				next = append(next, o+s[:i]+strings.TrimSpace(a))
			}
		}
		out, s = next, s[i+j+1:]
	}
	return out, nil
}
