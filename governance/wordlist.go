package governance

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"anxin"
	"anxin/lexicon"
)

// ImportOptions are what every term of an imported word list gets.
type ImportOptions struct {
	Category string
	Severity int      // 1 to 5; 0 means 3
	Kinds    []string // empty: all kinds
	Pinyin   bool     // also match each term's pinyin
}

// ParseWordList reads a plain word list, one term per line, as marketplaces
// keep them: UTF-8 with or without a byte-order mark, or GBK; LF or CRLF
// line ends; '#' comment lines and blank lines ignored; only the first
// tab-separated field of a line is the term (lists often carry a weight
// after a tab). Duplicate lines, also ones equal after normalisation
// (髙仿 and 高仿), and lines that normalise to nothing are skipped with a
// reason.
//
// Any of these makes the whole file Invalid with a message that names the
// line, so nothing is imported from it: a UTF-16 file, a NUL byte or other
// control character (a binary file), bytes that are neither UTF-8 nor GBK,
// lines in UTF-8 mixed with lines in GBK, a term over
// anxin.MaxImportTermChars characters, more than anxin.MaxImportLines lines;
// a file over anxin.MaxImportBytes is TooLarge. Bad options are Invalid.
func ParseWordList(data []byte, o ImportOptions) (*anxin.LexiconImport, error) {
	if o.Severity == 0 {
		o.Severity = 3
	}
	if err := anxin.ValidateID("category", o.Category); err != nil {
		return nil, err
	}
	if o.Severity < 1 || o.Severity > 5 {
		return nil, anxin.Errorf(anxin.Invalid, "severity must be 1 to 5.")
	}
	for _, k := range o.Kinds {
		if !anxin.ValidCheckKind(k) {
			return nil, anxin.Errorf(anxin.Invalid, "kind %q is not listing, livestream_segment, video, comment or image_text.", k)
		}
	}
	if len(data) > anxin.MaxImportBytes {
		return nil, anxin.Errorf(anxin.TooLarge, "The file is larger than %d bytes; split it.", anxin.MaxImportBytes)
	}
	imp := &anxin.LexiconImport{Encoding: "utf-8"}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data, imp.Encoding = data[3:], "utf-8 with BOM"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, anxin.Errorf(anxin.Invalid, "The file is UTF-16; save it as UTF-8 or GBK.")
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the final line end
	}
	if len(lines) > anxin.MaxImportLines {
		return nil, anxin.Errorf(anxin.Invalid, "Line %d: the file has more than %d lines; split it.", anxin.MaxImportLines+1, anxin.MaxImportLines)
	}
	imp.Total = len(lines)
	// Decide the encoding from the lines that are not plain ASCII: all
	// UTF-8, or all something else (then GBK).
	firstUTF8, firstOther := 0, 0
	for i, l := range lines {
		if n := bytes.IndexByte(l, 0); n >= 0 {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d contains a NUL byte: this looks like a binary file, not a word list.", i+1)
		}
		if isASCII(l) {
			continue
		}
		if utf8.Valid(l) {
			if firstUTF8 == 0 {
				firstUTF8 = i + 1
			}
		} else if firstOther == 0 {
			firstOther = i + 1
		}
	}
	if firstUTF8 > 0 && firstOther > 0 {
		if imp.Encoding != "utf-8" {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d is not valid UTF-8, though the file starts with a UTF-8 byte-order mark.", firstOther)
		}
		return nil, anxin.Errorf(anxin.Invalid, "Mixed encodings: line %d is UTF-8 but line %d is not; save the whole file in one encoding.", firstUTF8, firstOther)
	}
	gbk := firstOther > 0
	if gbk {
		if imp.Encoding != "utf-8" {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d is not valid UTF-8, though the file starts with a UTF-8 byte-order mark.", firstOther)
		}
		imp.Encoding = "gbk"
	}
	dec := simplifiedchinese.GBK.NewDecoder()
	seen := map[string]int{} // normalised term → line
	for i, raw := range lines {
		n := i + 1
		if gbk && !isASCII(raw) {
			b, err := dec.Bytes(raw)
			if err != nil || bytes.ContainsRune(b, utf8.RuneError) {
				return nil, anxin.Errorf(anxin.Invalid, "Line %d is neither UTF-8 nor GBK.", n)
			}
			raw = b
		}
		line := strings.TrimRight(string(raw), "\r")
		if tab := strings.IndexByte(line, '\t'); tab >= 0 {
			line = line[:tab]
		}
		for _, r := range line {
			if unicode.IsControl(r) || r == utf8.RuneError {
				return nil, anxin.Errorf(anxin.Invalid, "Line %d contains a control character: this looks like a binary file, not a word list.", n)
			}
		}
		term := strings.TrimSpace(line)
		if term == "" || strings.HasPrefix(term, "#") {
			continue
		}
		if c := utf8.RuneCountInString(term); c > anxin.MaxImportTermChars {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d: the term is %d characters long; a term has at most %d.", n, c, anxin.MaxImportTermChars)
		}
		if len(term) > anxin.MaxTermLen {
			return nil, anxin.Errorf(anxin.Invalid, "Line %d: the term is %d bytes long; a term has at most %d.", n, len(term), anxin.MaxTermLen)
		}
		key := lexicon.Normalize(term).Norm
		if key == "" {
			imp.Skipped = append(imp.Skipped, anxin.ImportSkip{Line: n, Term: term, Reason: "only separators or symbols: it would match nothing"})
			continue
		}
		if first, ok := seen[key]; ok {
			imp.Skipped = append(imp.Skipped, anxin.ImportSkip{Line: n, Term: term, Reason: "same as line " + strconv.Itoa(first)})
			continue
		}
		seen[key] = n
		imp.Terms = append(imp.Terms, anxin.LexiconTerm{Pattern: term, Category: o.Category, Severity: o.Severity,
			Kinds: o.Kinds, Pinyin: o.Pinyin && strings.IndexFunc(term, isHan) >= 0})
		imp.Lines = append(imp.Lines, n)
	}
	return imp, nil
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// MergeImport returns the next version of lexicon name: cur's terms (cur
// may be nil for a new lexicon) followed by the imported terms it does not
// already have (compared after normalisation), and the report. The result
// is not validated or stored.
func MergeImport(cur *anxin.Lexicon, name string, imp *anxin.LexiconImport) (*anxin.Lexicon, *anxin.LexiconImportReport) {
	next := &anxin.Lexicon{Name: name, Active: true, Description: "Imported word list."}
	have := map[string]bool{}
	if cur != nil {
		next.Description, next.Active = cur.Description, cur.Active
		next.Terms = append(next.Terms, cur.Terms...)
		for _, t := range cur.Terms {
			have[lexicon.Normalize(t.Pattern).Norm] = true
		}
	}
	rep := &anxin.LexiconImportReport{Lexicon: name, Encoding: imp.Encoding, Lines: imp.Total, Skipped: []anxin.ImportSkip{}}
	skip := func(s anxin.ImportSkip) {
		rep.SkippedCount++
		if len(rep.Skipped) < anxin.MaxImportSkips {
			rep.Skipped = append(rep.Skipped, s)
		}
	}
	for _, s := range imp.Skipped {
		skip(s)
	}
	for i, t := range imp.Terms {
		if have[lexicon.Normalize(t.Pattern).Norm] {
			skip(anxin.ImportSkip{Line: imp.Lines[i], Term: t.Pattern, Reason: "already in the lexicon"})
			continue
		}
		next.Terms = append(next.Terms, t)
		rep.Added++
	}
	if next.Terms == nil {
		next.Terms = []anxin.LexiconTerm{}
	}
	slices.SortStableFunc(rep.Skipped, func(a, b anxin.ImportSkip) int { return a.Line - b.Line })
	rep.Terms = len(next.Terms)
	return next, rep
}
