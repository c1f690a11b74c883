package anxin

// Limits on word-list imports.
const (
	// MaxImportBytes is the largest word-list file an import reads.
	MaxImportBytes = 8 << 20
	// MaxImportLines is the most lines one word-list file may have.
	MaxImportLines = 100_000
	// MaxImportTermChars is the longest term, in characters, an import takes.
	MaxImportTermChars = 64
	// MaxImportSkips is how many skipped lines a report lists one by one.
	MaxImportSkips = 1000
)

// LexiconImport is a parsed word list, ready to merge into a lexicon: the
// terms in file order and, for each, the line it came from.
type LexiconImport struct {
	Terms    []LexiconTerm
	Lines    []int        // Lines[i] is the line of Terms[i]
	Skipped  []ImportSkip // lines the parser left out, and why
	Encoding string       // "utf-8", "utf-8 with BOM" or "gbk"
	Total    int          // lines read
}

// ImportSkip is one line an import left out.
type ImportSkip struct {
	Line   int    `json:"line"`
	Term   string `json:"term"`
	Reason string `json:"reason"`
}

// LexiconImportReport says what an import did.
type LexiconImportReport struct {
	Lexicon  string `json:"lexicon"`
	Version  int    `json:"version"`  // the lexicon version the import created
	Terms    int    `json:"terms"`    // terms in that version
	Encoding string `json:"encoding"` // as detected
	Lines    int    `json:"lines"`    // lines read
	Added    int    `json:"added"`
	// SkippedCount counts every skipped line; Skipped lists the first
	// MaxImportSkips of them.
	SkippedCount int          `json:"skipped_count"`
	Skipped      []ImportSkip `json:"skipped"`
}
