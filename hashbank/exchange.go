package hashbank

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"anxin"
)

// Hash lists travel between trust-and-safety teams in a few plain-text
// forms. ReadList and WriteList speak three of them, all for PDQ:
//
//   - FormatThreatExchangeCSV: what the ThreatExchange command-line tool
//     prints for a dataset with --csv, a header line and then
//     signal_type,signal_str,collab,category,tags (tags separated by
//     spaces; category POSITIVE_CLASS, NEGATIVE_CLASS or
//     INVESTIGATION_SEED; collab the sharing collaboration, i.e. where the
//     hash came from).
//   - FormatSignalFile: the signal file that ThreatExchange's and
//     Hasher-Matcher-Actioner's local-file exchange reads, one
//     "signal_type signal" pair per line.
//   - FormatHMA: the per-signal-type CSV that Hasher-Matcher-Actioner 1.x
//     keeps for a ThreatExchange dataset (simple.HASH_PDQ.te), no header,
//     indicator,indicator_id,first_descriptor_id,added_on,labels, labels
//     separated by spaces. Its signal type is PDQ by the file's kind.
//
// Signal types are named "pdq" (ThreatExchange's command-line tool and
// HMA) or "HASH_PDQ" (ThreatExchange's Graph API); anything else is an
// error, since a list of MD5s or video hashes matched as PDQ would match
// nothing or, worse, by accident.

// Format names a hash-list format.
type Format string

// The supported formats.
const (
	FormatThreatExchangeCSV Format = "threatexchange-csv"
	FormatSignalFile        Format = "signal-file"
	FormatHMA               Format = "hma"
)

// Formats lists the supported formats.
var Formats = []Format{FormatThreatExchangeCSV, FormatSignalFile, FormatHMA}

// ParseFormat returns the format named s, or Invalid.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", anxin.Errorf(anxin.Invalid, "format must be threatexchange-csv, signal-file or hma.")
}

// Categories of a shared signal, as ThreatExchange names them.
const (
	CategoryPositive      = "POSITIVE_CLASS"     // the content is what the collaboration collects
	CategoryNegative      = "NEGATIVE_CLASS"     // a reviewed false positive: do not act on it
	CategoryInvestigation = "INVESTIGATION_SEED" // worth a look, not confirmed
)

// Entry is one hash of a list.
type Entry struct {
	Line     int      // line number in the file read, from 1
	Hash     Hash256  // the PDQ hash
	Category string   // one of the Category constants; POSITIVE_CLASS when the format has none
	Tags     []string // labels shared with the hash
	Source   string   // provenance: the collaboration or list it came from
	Ref      string   // the sharer's id for it (HMA: indicator id), if any
	AddedOn  string   // when the sharer added it, as the sharer wrote it, if known
}

// Limits on lists read by ReadList.
const (
	MaxListEntries = 1_000_000
	maxLineBytes   = 4096
	maxTags        = 32
)

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]{1,64}$`)

// LineError is a bad line of a list. ReadList returns it as the Details of
// an Invalid *anxin.Error, so the whole list is refused.
type LineError struct {
	Line    int
	Message string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

func lineErr(line int, format string, args ...any) error {
	return &LineError{Line: line, Message: fmt.Sprintf(format, args...)}
}

// invalidList wraps a line error as the Invalid error callers show.
func invalidList(err error) error {
	var le *LineError
	if errors.As(err, &le) {
		return &anxin.Error{Kind: anxin.Invalid, Message: "The hash list was refused; nothing was imported. " + le.Error() + ".",
			Details: []anxin.ItemError{{Index: le.Line, Field: "line", Message: le.Message}}}
	}
	return err
}

// signalType returns whether name is a PDQ signal type name.
func signalType(line int, name string) error {
	switch name {
	case "pdq", "HASH_PDQ":
		return nil
	case "":
		return lineErr(line, "the signal type is missing")
	}
	return lineErr(line, "signal type %q is not supported; only pdq (HASH_PDQ) is", clip(name))
}

func parseHash(line int, s string) (Hash256, error) {
	s = strings.TrimSpace(s)
	if len(s) != 64 {
		return Hash256{}, lineErr(line, "a PDQ hash is 64 hex digits, not %d characters", len(s))
	}
	h, err := ParseHash256(s)
	if err != nil {
		return Hash256{}, lineErr(line, "the PDQ hash %q is not hexadecimal", clip(s))
	}
	return h, nil
}

func parseTags(line int, s string) ([]string, error) {
	tags := strings.Fields(s)
	if len(tags) == 0 {
		return nil, nil
	}
	if len(tags) > maxTags {
		return nil, lineErr(line, "%d tags; at most %d", len(tags), maxTags)
	}
	for _, t := range tags {
		if !tagPattern.MatchString(t) {
			return nil, lineErr(line, "tag %q must be 1 to 64 letters, digits or _.:/@-", clip(t))
		}
	}
	return tags, nil
}

func checkText(line int, field, s string) error {
	if len(s) > 256 || strings.ContainsAny(s, "\x00\r\n") || !utf8.ValidString(s) {
		return lineErr(line, "%s must be one line of text of at most 256 bytes", field)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ReadList reads a whole hash list in format f. It returns Invalid, naming
// the first bad line, for malformed lines, hashes of the wrong length, an
// unknown signal type or category, or more than MaxListEntries hashes; a
// list is taken whole or not at all, so callers store nothing on error.
func ReadList(r io.Reader, f Format) (_ []Entry, err error) {
	defer func() { err = invalidList(err) }()
	switch f {
	case FormatThreatExchangeCSV:
		return readTECSV(r)
	case FormatSignalFile:
		return readSignalFile(r)
	case FormatHMA:
		return readHMA(r)
	}
	return nil, anxin.Errorf(anxin.Invalid, "format must be threatexchange-csv, signal-file or hma.")
}

// csvReader returns a CSV reader that allows records of any length (they
// are checked per format, with the line named).
func csvReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(io.LimitReader(r, int64(MaxListEntries+1)*maxLineBytes))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lineErr(pe.StartLine, "malformed CSV: %v", pe.Err)
	}
	return err
}

var teHeader = []string{"signal_type", "signal_str", "collab", "category", "tags"}

func readTECSV(r io.Reader) ([]Entry, error) {
	cr := csvReader(r)
	var out []Entry
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if n == 0 {
			if strings.Join(rec, ",") != strings.Join(teHeader, ",") {
				return nil, lineErr(line, "the header must be %s", strings.Join(teHeader, ","))
			}
			continue
		}
		if len(rec) != len(teHeader) {
			return nil, lineErr(line, "%d fields; want 5 (%s)", len(rec), strings.Join(teHeader, ","))
		}
		if err := signalType(line, rec[0]); err != nil {
			return nil, err
		}
		e := Entry{Line: line, Source: rec[2], Category: rec[3]}
		if e.Hash, err = parseHash(line, rec[1]); err != nil {
			return nil, err
		}
		switch e.Category {
		case CategoryPositive, CategoryNegative, CategoryInvestigation:
		case "":
			e.Category = CategoryPositive
		default:
			return nil, lineErr(line, "category %q must be POSITIVE_CLASS, NEGATIVE_CLASS or INVESTIGATION_SEED", clip(e.Category))
		}
		if err := checkText(line, "collab", e.Source); err != nil {
			return nil, err
		}
		if e.Tags, err = parseTags(line, rec[4]); err != nil {
			return nil, err
		}
		if out = append(out, e); len(out) > MaxListEntries {
			return nil, lineErr(line, "more than %d hashes in one list", MaxListEntries)
		}
	}
	return out, nil
}

func readSignalFile(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxLineBytes), maxLineBytes)
	var out []Entry
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		typ, sig, ok := strings.Cut(text, " ")
		if !ok {
			if len(text) == 64 {
				return nil, lineErr(line, "the signal type is missing; write \"pdq %s\"", clip(text))
			}
			return nil, lineErr(line, "want \"signal_type signal\"")
		}
		if err := signalType(line, typ); err != nil {
			return nil, err
		}
		h, err := parseHash(line, sig)
		if err != nil {
			return nil, err
		}
		if out = append(out, Entry{Line: line, Hash: h, Category: CategoryPositive}); len(out) > MaxListEntries {
			return nil, lineErr(line, "more than %d hashes in one list", MaxListEntries)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineErr(line+1, "longer than %d bytes", maxLineBytes)
		}
		return nil, err
	}
	return out, nil
}

func readHMA(r io.Reader) ([]Entry, error) {
	cr := csvReader(r)
	var out []Entry
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 5 {
			return nil, lineErr(line, "%d fields; want 5 (indicator,indicator_id,first_descriptor_id,added_on,labels)", len(rec))
		}
		e := Entry{Line: line, Category: CategoryPositive, Ref: rec[1], AddedOn: rec[3]}
		if e.Hash, err = parseHash(line, rec[0]); err != nil {
			return nil, err
		}
		if !digits(rec[1]) {
			return nil, lineErr(line, "indicator_id %q must be a number", clip(rec[1]))
		}
		if !digits(rec[2]) {
			return nil, lineErr(line, "first_descriptor_id %q must be a number", clip(rec[2]))
		}
		e.Source = "threatexchange descriptor " + rec[2]
		if err := checkText(line, "added_on", e.AddedOn); err != nil {
			return nil, err
		}
		if e.Tags, err = parseTags(line, rec[4]); err != nil {
			return nil, err
		}
		if out = append(out, e); len(out) > MaxListEntries {
			return nil, lineErr(line, "more than %d hashes in one list", MaxListEntries)
		}
	}
	return out, nil
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ListWriter writes a hash list entry by entry, so that an export of a
// million hashes needs no more memory than one. In FormatHMA an entry's Ref
// is the indicator id (0 when it is not a number) and the descriptor id is
// 0: Anxin is not a ThreatExchange descriptor store. In FormatSignalFile
// only the hashes are written. Call Flush at the end.
type ListWriter struct {
	f      Format
	bw     *bufio.Writer
	cw     *csv.Writer
	header bool
}

// NewListWriter returns a writer of format f on w, or Invalid for an
// unknown format.
func NewListWriter(w io.Writer, f Format) (*ListWriter, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return nil, err
	}
	lw := &ListWriter{f: f, bw: bufio.NewWriter(w)}
	lw.cw = csv.NewWriter(lw.bw)
	return lw, nil
}

// Write writes one entry.
func (lw *ListWriter) Write(e Entry) error {
	switch lw.f {
	case FormatThreatExchangeCSV:
		if !lw.header {
			lw.header = true
			if err := lw.cw.Write(teHeader); err != nil {
				return err
			}
		}
		cat := e.Category
		if cat == "" {
			cat = CategoryPositive
		}
		return lw.cw.Write([]string{"pdq", e.Hash.Hex(), e.Source, cat, strings.Join(e.Tags, " ")})
	case FormatHMA:
		ref := e.Ref
		if !digits(ref) {
			ref = "0"
		}
		return lw.cw.Write([]string{e.Hash.Hex(), ref, "0", e.AddedOn, strings.Join(e.Tags, " ")})
	default:
		_, err := fmt.Fprintf(lw.bw, "pdq %s\n", e.Hash.Hex())
		return err
	}
}

// Flush writes what is buffered (and, for an empty ThreatExchange CSV list,
// its header).
func (lw *ListWriter) Flush() error {
	if lw.f == FormatThreatExchangeCSV && !lw.header {
		lw.header = true
		if err := lw.cw.Write(teHeader); err != nil {
			return err
		}
	}
	lw.cw.Flush()
	if err := lw.cw.Error(); err != nil {
		return err
	}
	return lw.bw.Flush()
}

// WriteList writes entries in format f (see ListWriter).
func WriteList(w io.Writer, f Format, entries []Entry) error {
	lw, err := NewListWriter(w, f)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := lw.Write(e); err != nil {
			return err
		}
	}
	return lw.Flush()
}

// tagInvestigation marks an imported hash its sharer had only as an
// investigation seed, so that an export gives it back as one.
const tagInvestigation = "category:" + CategoryInvestigation

// KnownImages turns a list's entries into hash-bank items under one label,
// brand and note, keeping each entry's tags and provenance. Entries marked
// NEGATIVE_CLASS (a sharer's reviewed false positives) are left out and
// counted in skipped; INVESTIGATION_SEED entries are kept with the tag
// category:INVESTIGATION_SEED.
func KnownImages(entries []Entry, label, brandID, note string) (items []anxin.KnownImage, skipped int) {
	items = make([]anxin.KnownImage, 0, len(entries))
	for _, e := range entries {
		if e.Category == CategoryNegative {
			skipped++
			continue
		}
		tags := e.Tags
		if e.Category == CategoryInvestigation {
			tags = append(slices.Clone(tags), tagInvestigation)
		}
		items = append(items, anxin.KnownImage{PDQ: e.Hash.Hex(), Label: label, BrandID: brandID, Note: note,
			Tags: tags, Source: e.Source, SourceRef: e.Ref})
	}
	return items, skipped
}

// EntryOf turns a hash-bank item into a list entry. Its tags are the
// item's label, "brand:<id>" when it has a brand, and its own tags; its
// source is the item's, or "anxin" for hashes added here. It returns
// Invalid if the item's hash is malformed.
func EntryOf(k anxin.KnownImage) (Entry, error) {
	h, err := ParseHash256(k.PDQ)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Hash: h, Category: CategoryPositive, Source: k.Source, Ref: k.SourceRef, Tags: []string{k.Label}}
	if e.Source == "" {
		e.Source = "anxin"
	}
	if k.BrandID != "" {
		e.Tags = append(e.Tags, "brand:"+k.BrandID)
	}
	for _, t := range k.Tags {
		switch {
		case t == tagInvestigation:
			e.Category = CategoryInvestigation
		case !slices.Contains(e.Tags, t):
			e.Tags = append(e.Tags, t)
		}
	}
	return e, nil
}
