// Package governance is the publish-time check as one pure engine: it
// normalises text once, scans every active lexicon in one pass, runs the
// pattern detectors on the original text (phones, contact IDs, links, bank
// cards, ID numbers; package detect), applies word context (word terms on
// word boundaries, offer and caution cues; package segment) and the
// keyword-stuffing detector, derives the signals, evaluates the policy and
// returns the merged result with evidence that quotes the original text. It
// does no I/O; sqlstore stores what it decides.
//
//	lexicons, policy, _ := governance.DefaultPack()
//	eng, err := governance.New(lexicons, policy, nil)
//	if err != nil { ... }
//	out := eng.CheckListing(&anxin.ListingCheck{ID: "l1", Title: "高仿 包包"}, rules.Merchant{}, nil)
//	fmt.Println(out.Result.Outcome) // block
//
// An Engine is immutable and safe for concurrent use; edits build a new one.
package governance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"anxin"
	"anxin/detect"
	"anxin/lexicon"
	"anxin/rules"
)

// Limits on checked text. Longer text is rejected by validation before the
// engine sees it (anxin.MaxTextLen for a description or content text); the
// engine itself scans at most MaxScanBytes of each field, so a caller that
// skips validation still cannot make a check unbounded.
const (
	MaxScanBytes = anxin.MaxTextLen
	MaxEvidence  = 50 // evidence entries kept per decision
	// WindowSegments is how many earlier segments of a stream are joined
	// with the current one to catch coded language split across segments.
	WindowSegments = 4
)

// Engine is a compiled set of lexicons and a policy (plus an optional shadow
// policy).
type Engine struct {
	matcher *lexicon.Matcher
	terms   []lexicon.Term
	word    []bool // by term: fires only on word boundaries
	// lexiconOnly skips the pattern, word-context and stuffing layers; the
	// benchmarks set it to measure what those layers cost.
	lexiconOnly bool
	program     *rules.Program
	shadow      *rules.Program

	// PolicyVersion is the version of the policy in effect; ShadowVersion
	// the shadow policy's (0 when none).
	PolicyVersion int
	ShadowVersion int
	// LexiconVersion names the lexicon versions, e.g. "brands@1,counterfeit@3".
	LexiconVersion string

	model, shadowModel *ContentModel // optional trained classifiers (see WithModel)
}

// New compiles the active lexicons and the policy. A policy that does not
// compile returns the rules' *CompileError; a lexicon the scanner rejects
// returns an Invalid error. Inactive lexicons are skipped.
func New(lexicons []*anxin.Lexicon, policy *anxin.Policy, shadow *anxin.Policy) (*Engine, error) {
	e := &Engine{}
	var versions []string
	for _, l := range lexicons {
		if !l.Active {
			continue
		}
		versions = append(versions, l.Name+"@"+strconv.Itoa(l.Version))
		for _, t := range l.Terms {
			e.terms = append(e.terms, lexicon.Term{
				Pattern: t.Pattern, Aliases: expandAliases(t),
				Lexicon: l.Name, Category: t.Category, Severity: t.Severity,
				Kinds: t.Kinds, Except: t.Except,
			})
			e.word = append(e.word, t.Word)
		}
	}
	e.LexiconVersion = strings.Join(versions, ",")
	m, err := lexicon.Compile(e.terms)
	if err != nil {
		return nil, anxin.Errorf(anxin.Invalid, "The lexicons do not compile: %s.", err.Error())
	}
	e.matcher = m
	e.terms = m.Terms()
	if policy == nil {
		return nil, anxin.Errorf(anxin.Invalid, "No policy is active.")
	}
	if e.program, err = rules.Compile(*policy); err != nil {
		return nil, err
	}
	e.PolicyVersion = policy.Version
	if shadow != nil {
		if e.shadow, err = rules.Compile(*shadow); err != nil {
			return nil, err
		}
		e.ShadowVersion = shadow.Version
	}
	return e, nil
}

// Output is the result of one check.
type Output struct {
	Result rules.Result
	// Shadow is the shadow policy's result, when one is set.
	Shadow   *rules.Result
	Evidence []anxin.Evidence
	// Model and ShadowModel are what the active and shadow content models
	// said, when attached.
	Model, ShadowModel *ModelResult
}

// field is one named text of the checked item.
type field struct {
	name string
	text string
}

// CheckListing checks a listing's title and description.
func (e *Engine) CheckListing(l *anxin.ListingCheck, m rules.Merchant, signals map[string]float64) Output {
	sc := getScratch()
	defer putScratch(sc)
	sc.env = rules.Env{Kind: "listing", Category: l.Category, Brand: l.Brand, PriceFen: l.PriceFen, Merchant: m, Found: sc.env.Found}
	sc.fields = append(sc.fields[:0], field{"title", l.Title}, field{"description", l.Description})
	return e.check(sc, "", 0, signals)
}

// CheckContent checks a content item. window holds the text of the
// stream's earlier segments, oldest first (livestream_segment only).
func (e *Engine) CheckContent(c *anxin.ContentItem, window []string, m rules.Merchant, signals map[string]float64) Output {
	sc := getScratch()
	defer putScratch(sc)
	sc.env = rules.Env{Kind: c.Kind, Merchant: m, Found: sc.env.Found}
	sc.fields = append(sc.fields[:0], field{"text", c.Text})
	w, prefix := "", 0
	if c.Kind == anxin.ContentLivestreamSegment && len(window) > 0 {
		p := strings.Join(window, "")
		if room := MaxScanBytes - len(c.Text); len(p) > room {
			cut := len(p) - max(room, 0)
			for cut < len(p) && !utf8.RuneStart(p[cut]) {
				cut++
			}
			p = p[cut:]
		}
		w, prefix = p+c.Text, len(p)
	}
	return e.check(sc, w, prefix, signals)
}

// CheckText checks free text as kind, for the test box and the CLI.
func (e *Engine) CheckText(kind, text string) (Output, string) {
	sc := getScratch()
	defer putScratch(sc)
	sc.env = rules.Env{Kind: kind, Found: sc.env.Found}
	sc.fields = append(sc.fields[:0], field{"text", text})
	out := e.check(sc, "", 0, nil)
	return out, lexicon.Normalize(clip(text)).Norm
}

// check scans fields and, for a stream, window: the earlier segments (its
// first prefix bytes) joined with this one. Only window hits that reach into
// this segment count, so a term is reported once, by the segment that
// completes it, not again by each later segment.
//
// Each field goes through the layers in turn: the pattern detectors on the
// original text (patterns.go), the lexicon scan on the normalised text, word
// context (context.go: word terms on word boundaries, intent cues) and the
// keyword-stuffing shape (stuffing.go).
func (e *Engine) check(sc *scratch, window string, prefix int, signals map[string]float64) Output {
	var out Output
	st, env := &sc.st, &sc.env
	for k, v := range signals {
		st.sig[k] = v
	}
	texts, names := sc.texts[:0], sc.names[:0]
	for fi, f := range sc.fields {
		if f.text == "" {
			continue
		}
		text := clip(f.text)
		t := sc.norm[fi].Normalize(text)
		texts, names = append(texts, t), append(names, f.name)
		env.TextLen += utf8.RuneCountInString(t.Norm)
		var pats []detect.Hit
		if !e.lexiconOnly {
			pats = detect.Find(text)
		}
		sc.hits = e.matcher.AppendScan(sc.hits[:0], t, env.Kind)
		hits := sc.hits
		var ctx fieldContext
		if !e.lexiconOnly {
			pats = deliveryPhones(sc, env.Kind, f.name, text, t, pats, e.flagged(hits))
			ctx = e.context(sc, t, hits, hasContact(pats))
		}
		kept := hits[:0]
		for i, h := range hits {
			if ctx.dropped(i) {
				continue
			}
			term := &e.terms[h.Term]
			q := quote(text, h.OrigStart, h.OrigEnd)
			fd := rules.Found{Term: term.Pattern, Category: term.Category, Lexicon: term.Lexicon, Severity: term.Severity, Quote: q}
			kind := "text_match"
			switch ctx.intentOf(i) {
			case intentCaution:
				st.cautioned = append(st.cautioned, fd)
				kind = "cautioned_match"
			case intentOffer:
				st.offered = append(st.offered, fd)
				fallthrough
			default:
				env.Found = append(env.Found, fd)
				kept = append(kept, h)
				if term.Category == "brand" && !slices.Contains(sc.brands, term.Pattern) {
					sc.brands = append(sc.brands, term.Pattern)
				}
			}
			st.evidence(anxin.Evidence{Kind: kind, Field: f.name, Term: term.Pattern,
				Category: term.Category, Lexicon: term.Lexicon, Severity: term.Severity, Quote: q, Start: h.OrigStart, End: h.OrigEnd})
		}
		ctx.cueEvidence(st, f.name, text)
		patternSignals(st, f.name, text, pats)
		if best := maxWordRepeat(text); float64(best) > st.sig["stuffing.word_repeat"] {
			st.sig["stuffing.word_repeat"] = float64(best)
		}
		if !e.lexiconOnly {
			e.stuffing(st, f.name, text, t, kept)
		}
	}
	sc.texts, sc.names = texts, names
	st.sig["brands.distinct"] = float64(len(sc.brands))
	env.Hits = sc.sumHits.Summarize(env.Found)
	env.Window = env.Hits
	if window != "" {
		text := clip(window)
		t := lexicon.Normalize(text)
		found := sc.window[:0]
		sc.hits = e.matcher.AppendScan(sc.hits[:0], t, env.Kind)
		hits := sc.hits
		ctx := e.context(sc, t, hits, hasContact(detect.Find(text)))
		for i, h := range hits {
			if h.OrigEnd <= prefix || ctx.dropped(i) || ctx.intentOf(i) == intentCaution {
				continue
			}
			term := &e.terms[h.Term]
			q := quote(text, h.OrigStart, h.OrigEnd)
			found = append(found, rules.Found{Term: term.Pattern, Category: term.Category, Lexicon: term.Lexicon, Severity: term.Severity, Quote: q})
			if !hasQuote(env.Found, term.Pattern) {
				env.Found = append(env.Found, found[len(found)-1])
				st.evidence(anxin.Evidence{Kind: "window_match", Field: "window", Term: term.Pattern,
					Category: term.Category, Lexicon: term.Lexicon, Severity: term.Severity, Quote: q, Start: h.OrigStart, End: h.OrigEnd})
			}
		}
		sc.window = found
		env.Window = sc.sumWindow.Summarize(found)
	}
	env.Offered = sc.sumOffered.Summarize(st.offered)
	env.Cautioned = sc.sumCautioned.Summarize(st.cautioned)
	// Pattern finds and lowered hits are quoted by reasons but not counted
	// in hits.
	env.Found = append(append(env.Found, st.patternFound...), st.cautioned...)
	st.sig["intent.offer"] = float64(len(st.offered))
	st.sig["intent.caution"] = float64(len(st.cautioned))
	env.Signals = st.sig
	out.Evidence, st.ev = st.ev, nil // the output owns the evidence
	am, sm := e.scoreModels(env, texts)
	out.Result = e.program.Evaluate(env)
	e.applyModels(&out, am, sm, env.Kind, texts, names)
	if e.shadow != nil {
		r := e.shadow.Evaluate(env)
		out.Shadow = &r
	}
	return out
}

// checkState is what the layers of one check add up.
type checkState struct {
	ev           []anxin.Evidence // becomes Output.Evidence
	sig          map[string]float64
	patternFound []rules.Found
	offered      []rules.Found
	cautioned    []rules.Found
}

// evidence appends ev to the output, up to MaxEvidence entries.
func (st *checkState) evidence(ev anxin.Evidence) {
	if st.ev == nil {
		st.ev = make([]anxin.Evidence, 0, 8)
	}
	if len(st.ev) < MaxEvidence {
		st.ev = append(st.ev, ev)
	}
}

// scratch is the working storage of one check, reused through scratchPool
// so that a check allocates little beyond its Output. Nothing in an Output
// points into it: quotes are substrings of the checked text, the evidence
// is handed over, and rules copy what they keep. The rules' Env, the
// normalised texts and the hit lists live here and are valid only during
// the check (Classifier implementations must not retain texts).
type scratch struct {
	env    rules.Env
	st     checkState
	fields []field
	norm   [2]lexicon.Buffer // by field
	texts  []lexicon.Text
	names  []string
	hits   []lexicon.Hit
	window []rules.Found
	brands []string

	sumHits, sumWindow, sumOffered, sumCautioned rules.Summarizer

	ctx contextScratch // context.go
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{st: checkState{sig: make(map[string]float64, 16)}, fields: make([]field, 0, 2),
		texts: make([]lexicon.Text, 0, 2), names: make([]string, 0, 2)}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// maxScratchBytes bounds the normalisation buffer a pooled scratch keeps, so
// that one very long text does not pin its buffers.
const maxScratchBytes = 64 << 10

// putScratch empties sc, keeping its storage, and returns it to the pool.
func putScratch(sc *scratch) {
	clear(sc.st.sig)
	st := &sc.st
	st.patternFound, st.offered, st.cautioned = clearFound(st.patternFound), clearFound(st.offered), clearFound(st.cautioned)
	sc.env = rules.Env{Found: clearFound(sc.env.Found)}
	sc.window = clearFound(sc.window)
	clear(sc.fields)
	sc.fields = sc.fields[:0]
	clear(sc.texts)
	sc.texts = sc.texts[:0]
	sc.brands = sc.brands[:0]
	for i := range sc.norm {
		if sc.norm[i].Cap() > maxScratchBytes {
			sc.norm[i] = lexicon.Buffer{}
		}
	}
	scratchPool.Put(sc)
}

// clearFound empties f, dropping its quotes so the pool does not keep the
// checked texts alive.
func clearFound(f []rules.Found) []rules.Found {
	clear(f)
	return f[:0]
}

// flagged reports whether a hit is of a contact word or of a category that
// is not neutral (see neutral).
func (e *Engine) flagged(hits []lexicon.Hit) bool {
	for _, h := range hits {
		if c := e.terms[h.Term].Category; c == "contact" || !neutral(c) {
			return true
		}
	}
	return false
}

func hasQuote(found []rules.Found, term string) bool {
	for _, f := range found {
		if f.Term == term {
			return true
		}
	}
	return false
}

// clip bounds a text to MaxScanBytes on a rune boundary.
func clip(s string) string {
	if len(s) <= MaxScanBytes {
		return s
	}
	i := MaxScanBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// quote returns s[start:end], clamped to s, as valid UTF-8.
func quote(s string, start, end int) string {
	if start < 0 {
		start = 0
	}
	if end > len(s) {
		end = len(s)
	}
	if start >= end {
		return ""
	}
	return strings.ToValidUTF8(s[start:end], "")
}

// maxWordRepeat returns how often the most repeated Latin word of three or
// more letters occurs in s, ignoring case. Texts with few words allocate
// nothing.
func maxWordRepeat(s string) int {
	var spans [][2]int
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z') {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 3 {
			spans = append(spans, [2]int{start, i})
		}
		start = -1
	}
	if len(spans) < 4 {
		return min(len(spans), 1)
	}
	words := make(map[string]int, len(spans))
	best := 0
	for _, sp := range spans {
		w := strings.ToLower(s[sp[0]:sp[1]])
		words[w]++
		best = max(best, words[w])
	}
	return best
}

// String describes the engine's versions.
func (e *Engine) String() string {
	return fmt.Sprintf("policy v%d, lexicons %s", e.PolicyVersion, e.LexiconVersion)
}

// Change is one item whose outcome a candidate policy would change.
type Change struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"`
	From      anxin.Outcome `json:"from"`
	To        anxin.Outcome `json:"to"`
	FromRules []string      `json:"from_rules,omitempty"`
	ToRules   []string      `json:"to_rules,omitempty"`
}

// Backtest compares the outcomes of the current and a candidate engine over
// stored items. Add it item by item; it keeps the first MaxChanges changes.
type Backtest struct {
	Items     int               `json:"items"`
	Current   map[string]int    `json:"current"`
	Candidate map[string]int    `json:"candidate"`
	Changed   int               `json:"changed"`
	Stricter  int               `json:"stricter"`
	Looser    int               `json:"looser"`
	ByRule    map[string][2]int `json:"rules"` // rule id → [fired now, fired under the candidate]
	Changes   []Change          `json:"changes"`
	seen      map[string]struct{}
}

// MaxChanges bounds the changes a Backtest lists.
const MaxChanges = 200

// NewBacktest returns an empty backtest.
func NewBacktest() *Backtest {
	return &Backtest{Current: map[string]int{}, Candidate: map[string]int{}, ByRule: map[string][2]int{}, Changes: []Change{}, seen: map[string]struct{}{}}
}

// Seen reports whether an item id (with its kind) was already added, and
// marks it.
func (b *Backtest) Seen(kind, id string) bool {
	k := kind + "\x00" + id
	if _, ok := b.seen[k]; ok {
		return true
	}
	b.seen[k] = struct{}{}
	return false
}

// Add records one item's outcome under both engines.
func (b *Backtest) Add(id, kind string, cur, cand rules.Result) {
	b.Items++
	b.Current[cur.Outcome.String()]++
	b.Candidate[cand.Outcome.String()]++
	ids := func(r rules.Result, slot int) []string {
		var out []string
		for _, f := range r.Fired {
			out = append(out, f.RuleID)
			v := b.ByRule[f.RuleID]
			v[slot]++
			b.ByRule[f.RuleID] = v
		}
		return out
	}
	from, to := ids(cur, 0), ids(cand, 1)
	if cur.Outcome == cand.Outcome {
		return
	}
	b.Changed++
	if cand.Outcome > cur.Outcome {
		b.Stricter++
	} else {
		b.Looser++
	}
	if len(b.Changes) < MaxChanges {
		b.Changes = append(b.Changes, Change{ID: id, Kind: kind, From: cur.Outcome, To: cand.Outcome, FromRules: from, ToRules: to})
	}
}

// confusables are look-alike characters that evaders substitute inside a
// term and that normalisation cannot fold in general because each is also an
// ordinary character (彷 for 仿, 蒲 for 莆, 抢 for 枪). They are expanded
// only inside lexicon terms, as aliases, so ordinary text is unaffected.
var confusables = map[rune][]rune{
	'仿': {'彷', '枋'}, '莆': {'蒲', '甫'}, '原': {'厡', '源'}, '微': {'薇', '威', '徽'}, '最': {'冣', '蕞'},
	'单': {'単', '箪'}, '刻': {'剋', '克'}, '复': {'夏', '複'}, '网': {'罔'}, '枪': {'抢', '呛'}, '药': {'葯', '要'},
	'货': {'伙'}, '高': {'膏', '搞'}, '精': {'晶'}, '纯': {'屯'}, '柜': {'贵'}, '票': {'漂'},
	'信': {'芯'}, '刷': {'唰'}, '1': {'l', 'I'}, '0': {'o', 'O'},
}

// MaxAliases bounds the aliases one term expands to.
const MaxAliases = 48

// expandAliases returns a term's aliases plus, for its pattern, the
// spellings with one confusable character substituted and, when the term
// asks for pinyin, its full toneless pinyin ("gaofang", which also matches
// "gao fang"). Pinyin initials are not used: two letters ("qq" for 气枪,
// "dy" for 代孕) collide with ordinary text far too often.
func expandAliases(t anxin.LexiconTerm) []string {
	out := append([]string(nil), t.Aliases...)
	add := func(a string) {
		if a != t.Pattern && len(out) < MaxAliases && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	rs := []rune(t.Pattern)
	for i, r := range rs {
		for _, c := range confusables[r] {
			v := slices.Clone(rs)
			v[i] = c
			add(string(v))
			add(strings.ReplaceAll(t.Pattern, string(r), string(c))) // every occurrence: l:l for 1:1
		}
	}
	if t.Pinyin {
		if full, _, ok := lexicon.Pinyin(t.Pattern); ok && len(full) >= 4 {
			add(full)
		}
	}
	for _, v := range generatedVariants(t) { // variants.go
		add(v)
	}
	return out
}
