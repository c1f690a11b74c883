package rules

import "slices"

// Env is what a rule's expression sees. Field names in expressions are the
// snake_case names in the expr tags:
//
//	kind        string   listing, livestream_segment, video, comment or image_text
//	category    string   the listing's category ("" for content)
//	brand       string   the listing's declared brand ("" when none)
//	price_fen   int      the listing's price in fen (0 for content)
//	text_len    int      characters in the normalised text that was scanned
//	hits        Hits     lexicon hits in this item (see Hits)
//	window      Hits     hits over the stream's recent segments joined with this
//	                     one (livestream_segment); equal to hits for other kinds
//	offered     Hits     the hits of hits that an offer, sell or contact cue
//	                     stands near (出售, 有货, 加我, a phone number…)
//	cautioned   Hits     hits taken out of hits and window because a warning,
//	                     news, education or quitting cue stands near them
//	                     (警惕, 揭秘, 被判, 戒…) and no offer does
//	merchant    Merchant the author's enforcement record (see Merchant)
//	model       Model    the trained content model's score (see Model)
//	signals     map[string]float64   named signals from other engines
//	                     (relation graph, image hashes, price anomaly); a missing
//	                     key reads as 0
//
// Hits:
//
//	hits.total          all hits (overlapping occurrences count)
//	hits.distinct       distinct terms hit
//	hits.max_severity   the highest severity hit (0 when none)
//	hits.max_repeat     occurrences of the most repeated term
//	hits.category["counterfeit_hard"]   hits per category (0 when absent)
//	hits.lexicon["default"]             hits per lexicon
//	hits.categories     distinct categories hit
//	hits.terms          distinct terms hit, as written in the lexicon
//
// Merchant:
//
//	merchant.id, merchant.known (false when no record exists),
//	merchant.sanctions  active sanction types, e.g. "restrict_listing"
//	merchant.general, merchant.serious   points on the tracks this cycle
//	merchant.counterfeit                 counterfeit findings in 365 days
//	merchant.violations                  enforced decisions in 365 days
//
// Example: `hits.category["counterfeit_hard"] > 0 && brand != ""`.
type Env struct {
	Kind      string             `expr:"kind"`
	Category  string             `expr:"category"`
	Brand     string             `expr:"brand"`
	PriceFen  int64              `expr:"price_fen"`
	TextLen   int                `expr:"text_len"`
	Hits      Hits               `expr:"hits"`
	Window    Hits               `expr:"window"`
	Offered   Hits               `expr:"offered"`
	Cautioned Hits               `expr:"cautioned"`
	Merchant  Merchant           `expr:"merchant"`
	Signals   map[string]float64 `expr:"signals"`
	Model     Model              `expr:"model"`

	// Found lists the hits themselves, for reason templates and evidence; it
	// is not visible to expressions.
	Found []Found `expr:"-"`
}

// Hits summarises lexicon hits for expressions.
type Hits struct {
	Total       int            `expr:"total"`
	Distinct    int            `expr:"distinct"`
	MaxSeverity int            `expr:"max_severity"`
	MaxRepeat   int            `expr:"max_repeat"`
	Category    map[string]int `expr:"category"`
	Lexicon     map[string]int `expr:"lexicon"`
	Categories  int            `expr:"categories"`
	Terms       []string       `expr:"terms"`
}

// Merchant is the author's enforcement state as rules see it.
type Merchant struct {
	ID          string   `expr:"id"`
	Known       bool     `expr:"known"`
	Sanctions   []string `expr:"sanctions"`
	General     int      `expr:"general"`
	Serious     int      `expr:"serious"`
	Counterfeit int      `expr:"counterfeit"`
	Violations  int      `expr:"violations"`
}

// Equal reports whether m and o are the same state: a rule reads nothing
// else of a merchant, so a decision made on one stands for the other.
func (m Merchant) Equal(o Merchant) bool {
	return m.ID == o.ID && m.Known == o.Known && m.General == o.General && m.Serious == o.Serious &&
		m.Counterfeit == o.Counterfeit && m.Violations == o.Violations && slices.Equal(m.Sanctions, o.Sanctions)
}

// Found is one hit as the rules engine records it: the term as written in
// the lexicon, its category and the text it matched.
type Found struct {
	Term     string
	Category string
	Lexicon  string
	Severity int
	Quote    string
}

// noCounts is the shared empty count map of a text without hits; nothing
// writes to it (expressions cannot assign).
var noCounts = map[string]int{}

// Summarize builds Hits from a list of hits. The maps of the result must not
// be modified.
func Summarize(found []Found) Hits {
	if len(found) == 0 {
		return Hits{Category: noCounts, Lexicon: noCounts}
	}
	var h Hits
	h.summarize(found, make(map[string]int, 4), make(map[string]int, 4), nil, nil)
	return h
}

// Summarizer builds Hits like Summarize but reuses its maps and slices from
// one call to the next, so a caller that checks many items allocates them
// once. The Hits a call returns are valid until the next call on the same
// Summarizer and must not be modified. The zero value is ready to use; a
// Summarizer is not safe for concurrent use.
type Summarizer struct {
	category, lexicon map[string]int
	terms             []string
	counts            []int
}

// Summarize is Summarize(found), reusing s's storage.
func (s *Summarizer) Summarize(found []Found) Hits {
	if len(found) == 0 {
		return Hits{Category: noCounts, Lexicon: noCounts}
	}
	if s.category == nil {
		s.category, s.lexicon = make(map[string]int, 8), make(map[string]int, 4)
	}
	clear(s.category)
	clear(s.lexicon)
	var h Hits
	s.counts = h.summarize(found, s.category, s.lexicon, s.terms[:0], s.counts[:0])
	s.terms = h.Terms[:0]
	return h
}

// summarize fills h from found into the given maps, appending the distinct
// terms to terms and counting them in cnt (in a map when there are many),
// and returns cnt for reuse.
func (h *Hits) summarize(found []Found, category, lexicon map[string]int, terms []string, cnt []int) []int {
	h.Category, h.Lexicon = category, lexicon
	var per map[string]int
	if len(found) > 16 {
		per = make(map[string]int, len(found))
	}
	for _, f := range found {
		h.Total++
		category[f.Category]++
		lexicon[f.Lexicon]++
		if f.Severity > h.MaxSeverity {
			h.MaxSeverity = f.Severity
		}
		var n int
		if per != nil {
			n = per[f.Term] + 1
			per[f.Term] = n
			if n == 1 {
				terms = append(terms, f.Term)
			}
		} else {
			j := slices.Index(terms, f.Term)
			if j < 0 {
				terms, cnt = append(terms, f.Term), append(cnt, 0)
				j = len(terms) - 1
			}
			cnt[j]++
			n = cnt[j]
		}
		if n > h.MaxRepeat {
			h.MaxRepeat = n
		}
	}
	h.Terms = terms
	h.Distinct = len(terms)
	h.Categories = len(category)
	return cnt
}
