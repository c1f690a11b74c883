package lexicon

import (
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"anxin"
)

// Limits on compiled terms.
const (
	// MaxPatternBytes is the longest pattern, alias or allow-context, in
	// bytes before normalisation.
	MaxPatternBytes = 256
	// MaxTerms is the most terms one Matcher compiles.
	MaxTerms = 1 << 20
)

// The content kinds a Term can be limited to.
const (
	KindListing           = "listing"
	KindLivestreamSegment = "livestream_segment"
	KindVideo             = "video"
	KindComment           = "comment"
	KindImageText         = "image_text"
)

// Term is one entry of a lexicon.
type Term struct {
	// Pattern is literal text (regular-expression metacharacters are
	// literal), normalised at compile time like the scanned text.
	Pattern string
	// Aliases are extra spellings (pinyin "gao fang", abbreviations "GF",
	// leetspeak "f4ke"), normalised the same way. Each fires as the term.
	Aliases []string
	// Pinyin asks Compile to add the toneless pinyin of Pattern ("gaofang",
	// which also matches "gao fang") and, for two or more Chinese
	// characters, its initials ("gf") as aliases.
	Pinyin bool
	// Infix lets a pattern that starts or ends with a Latin letter or digit
	// fire inside a word too (by default it needs a word boundary there, so
	// "fake" does not fire in "sofa kept").
	Infix    bool
	Lexicon  string
	Category string
	Severity int
	// Kinds are the content kinds the term applies to (KindListing, ...);
	// empty means all.
	Kinds []string
	// Except are allow-contexts: a hit that lies inside an occurrence of one
	// of them (仿真植物 for 仿真) does not fire.
	Except []string
}

// Hit is one occurrence of a term in a Text.
type Hit struct {
	Term       int    // index into Matcher.Terms()
	Start, End int    // byte span in Text.Norm
	OrigStart  int    // byte span in the original text
	OrigEnd    int    //
	Quote      string // the original text the merchant wrote
}

// Matcher finds the terms of a lexicon set in one pass. It is immutable and
// safe for concurrent use.
type Matcher struct {
	terms []Term
	pats  []pattern // unique normalised patterns, by automaton output id
	roles []role    // pats[i].roles index into this
	ac    *automaton
	pool  sync.Pool // *scratch
}

// pattern is one unique normalised string and what it means for which terms.
type pattern struct {
	length              int32 // bytes
	roleStart, roleEnd  int32
	leftWord, rightWord bool // first (last) rune is a word rune
}

// role is what a pattern means for one term.
type role struct {
	term   int32
	except bool
}

type rawMatch struct {
	pat        int32
	start, end int32
}

type scratch struct {
	raw     []rawMatch
	excepts []rawMatch // pat holds the term index
}

// Compile normalises the terms' patterns, aliases and allow-contexts and
// builds one automaton over all of them. It returns an anxin.Invalid error
// that names the index of the first bad term: an empty pattern (also one that
// normalises to nothing, like "***"), invalid UTF-8, control characters, a
// pattern over MaxPatternBytes, a Pinyin term with a character the pinyin
// table lacks, or more than MaxTerms terms.
func Compile(terms []Term) (*Matcher, error) {
	if len(terms) > MaxTerms {
		return nil, anxin.Errorf(anxin.Invalid, "A matcher takes at most %d terms, not %d.", MaxTerms, len(terms))
	}
	m := &Matcher{terms: slices.Clone(terms)}
	ids := map[string]int32{}
	type pr struct {
		pat  int32
		role role
	}
	var prs []pr
	first := 0 // prs[first:] are the current term's: duplicates can only be among them
	add := func(term int, field, raw string, except bool) error {
		n, err := compilePattern(raw)
		if err != nil {
			return anxin.Errorf(anxin.Invalid, "Term %d: %s %s", term, field, err.Error())
		}
		id, ok := ids[n]
		if !ok {
			id = int32(len(m.pats))
			ids[n] = id
			first, _ := utf8.DecodeRuneInString(n)
			last, _ := utf8.DecodeLastRuneInString(n)
			m.pats = append(m.pats, pattern{length: int32(len(n)), leftWord: isWordRune(first), rightWord: isWordRune(last)})
		}
		for _, p := range prs[first:] { // a term lists the same spelling twice: keep one
			if p.pat == id && p.role.term == int32(term) && p.role.except == except {
				return nil
			}
		}
		prs = append(prs, pr{id, role{int32(term), except}})
		return nil
	}
	for i, t := range terms {
		first = len(prs)
		if err := add(i, "pattern", t.Pattern, false); err != nil {
			return nil, err
		}
		for j, a := range t.Aliases {
			if err := add(i, "alias "+itoa(j), a, false); err != nil {
				return nil, err
			}
		}
		if t.Pinyin {
			full, initials, ok := Pinyin(Normalize(t.Pattern).Norm)
			if !ok {
				return nil, anxin.Errorf(anxin.Invalid, "Term %d: pinyin asked for, but the pattern has no Chinese character or one the pinyin table lacks; list its spellings as aliases.", i)
			}
			if err := add(i, "pinyin", full, false); err != nil {
				return nil, err
			}
			if utf8.RuneCountInString(initials) >= 2 && initials != full {
				if err := add(i, "pinyin initials", initials, false); err != nil {
					return nil, err
				}
			}
		}
		for j, e := range t.Except {
			if err := add(i, "allow-context "+itoa(j), e, true); err != nil {
				return nil, err
			}
		}
	}
	// Group roles by pattern.
	slices.SortStableFunc(prs, func(a, b pr) int { return int(a.pat - b.pat) })
	m.roles = make([]role, len(prs))
	for i, p := range prs {
		m.roles[i] = p.role
		pt := &m.pats[p.pat]
		if pt.roleEnd == 0 {
			pt.roleStart = int32(i)
		}
		pt.roleEnd = int32(i + 1)
	}
	strs := make([]string, len(m.pats))
	for n, id := range ids {
		strs[id] = n
	}
	m.ac = buildAutomaton(strs)
	m.pool.New = func() any { return new(scratch) }
	return m, nil
}

// CompileRaw builds a Matcher whose terms are patterns taken byte for byte:
// no normalisation, no word boundaries (every term is Infix). Duplicate
// patterns are one pattern. It is for counting raw occurrences
// (`anxin lexicon bench --raw`); Scan on it should be given texts whose Norm
// is the raw text. Errors are as for Compile, except that a pattern is not
// normalised.
func CompileRaw(patterns []string) (*Matcher, error) {
	if len(patterns) > MaxTerms {
		return nil, anxin.Errorf(anxin.Invalid, "A matcher takes at most %d terms, not %d.", MaxTerms, len(patterns))
	}
	m := &Matcher{}
	ids := map[string]int32{}
	var strs []string
	for i, p := range patterns {
		if err := checkPattern(p); err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "Term %d: pattern %s", i, err.Error())
		}
		m.terms = append(m.terms, Term{Pattern: p, Infix: true})
		if _, ok := ids[p]; ok {
			continue // a duplicate fires as the first term that listed it
		}
		ids[p] = int32(len(strs))
		strs = append(strs, p)
		m.pats = append(m.pats, pattern{length: int32(len(p)), roleStart: int32(len(m.roles)), roleEnd: int32(len(m.roles) + 1)})
		m.roles = append(m.roles, role{term: int32(i)})
	}
	m.ac = buildAutomaton(strs)
	m.pool.New = func() any { return new(scratch) }
	return m, nil
}

// checkPattern checks a raw pattern's bytes.
func checkPattern(raw string) error {
	switch {
	case raw == "":
		return errText("is empty.")
	case len(raw) > MaxPatternBytes:
		return errText("is longer than " + itoa(MaxPatternBytes) + " bytes.")
	case !utf8.ValidString(raw):
		return errText("is not valid UTF-8.")
	}
	for _, r := range raw {
		if unicode.IsControl(r) {
			return errText("contains a control character.")
		}
	}
	return nil
}

// compilePattern checks a raw pattern and returns its normalised form.
func compilePattern(raw string) (string, error) {
	if err := checkPattern(raw); err != nil {
		return "", err
	}
	n := Normalize(raw).Norm
	if n == "" {
		return "", errText("is empty after normalisation (only separators or symbols).")
	}
	return n, nil
}

type errText string

func (e errText) Error() string { return string(e) }

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[p:])
}

// Terms returns the compiled terms; Hit.Term indexes it. The caller must not
// modify the slice.
func (m *Matcher) Terms() []Term { return m.terms }

// Patterns returns the number of unique normalised strings in the automaton
// (patterns, aliases and allow-contexts).
func (m *Matcher) Patterns() int { return len(m.pats) }

// Scan returns every hit of a term that applies to kind ("" means every
// term) in t, except hits inside one of the term's allow-contexts. Hits may
// overlap; they are ordered by start, longer first, then by term index.
func (m *Matcher) Scan(t Text, kind string) []Hit {
	return m.AppendScan(nil, t, kind)
}

// AppendScan is Scan appending the hits to dst, so that a caller can reuse
// one slice across texts; it returns dst unchanged when nothing matches.
func (m *Matcher) AppendScan(dst []Hit, t Text, kind string) []Hit {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	sc.raw = m.ac.find(t.Norm, sc.raw[:0])
	if len(sc.raw) == 0 {
		return dst
	}
	sc.excepts = sc.excepts[:0]
	for _, r := range sc.raw {
		p := m.pats[r.pat]
		for _, ro := range m.roles[p.roleStart:p.roleEnd] {
			if ro.except {
				sc.excepts = append(sc.excepts, rawMatch{ro.term, r.start, r.end})
			}
		}
	}
	hits, n := dst, len(dst)
	for _, r := range sc.raw {
		p := m.pats[r.pat]
		for _, ro := range m.roles[p.roleStart:p.roleEnd] {
			if ro.except {
				continue
			}
			term := &m.terms[ro.term]
			if !applies(term, kind) {
				continue
			}
			if !term.Infix && (p.leftWord && !t.wordBoundary(int(r.start)) || p.rightWord && !t.wordBoundary(int(r.end))) {
				continue
			}
			if excepted(sc.excepts, ro.term, r.start, r.end) {
				continue
			}
			os, oe := t.Original(int(r.start), int(r.end))
			hits = append(hits, Hit{Term: int(ro.term), Start: int(r.start), End: int(r.end), OrigStart: os, OrigEnd: oe, Quote: t.orig[os:oe]})
		}
	}
	slices.SortFunc(hits[n:], func(a, b Hit) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return b.End - a.End
		}
		return a.Term - b.Term
	})
	return hits
}

func applies(t *Term, kind string) bool {
	return kind == "" || len(t.Kinds) == 0 || slices.Contains(t.Kinds, kind)
}

func excepted(ex []rawMatch, term, start, end int32) bool {
	for _, x := range ex {
		if x.pat == term && x.start <= start && end <= x.end {
			return true
		}
	}
	return false
}

// CountAll returns the number of occurrences, overlapping ones included, of
// all unique normalised patterns in b, compared byte for byte: no
// normalisation, word boundaries, kinds or allow-contexts. It is what the
// benchmarks count.
func (m *Matcher) CountAll(b []byte) int { return m.ac.count(b) }
