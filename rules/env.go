package rules

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
	h := Hits{Category: make(map[string]int, 4), Lexicon: make(map[string]int, 4)}
	per := make(map[string]int, len(found))
	for _, f := range found {
		h.Total++
		h.Category[f.Category]++
		h.Lexicon[f.Lexicon]++
		if f.Severity > h.MaxSeverity {
			h.MaxSeverity = f.Severity
		}
		n := per[f.Term] + 1
		per[f.Term] = n
		if n == 1 {
			h.Terms = append(h.Terms, f.Term)
		}
		if n > h.MaxRepeat {
			h.MaxRepeat = n
		}
	}
	h.Distinct = len(per)
	h.Categories = len(h.Category)
	return h
}
