package anxin

import "context"

// Hash lists exchanged with other platforms: imports and exports of the
// image hash bank in the formats of ThreatExchange and Hasher-Matcher-
// Actioner (see package hashbank and doc/image-hashing.md).

// ActionExchangeHashBank imports and exports whole hash lists. It is the
// operator's alone: a list can hold a million hashes, and an import decides
// what every later listing image is matched against.
const ActionExchangeHashBank Action = "hashbank.exchange"

func init() {
	grant("operator", ActionExchangeHashBank)
}

// HashImportResult counts what an import did with a list.
type HashImportResult struct {
	Received   int `json:"received"`   // hashes in the list
	Added      int `json:"added"`      // new entries stored
	Duplicates int `json:"duplicates"` // already in the bank with the same label and brand (or twice in the list)
	Skipped    int `json:"skipped"`    // reviewed false positives (NEGATIVE_CLASS), not stored
}

// HashExportFilter selects the entries of an export; empty fields select all.
type HashExportFilter struct {
	Label   string
	BrandID string
}

// HashListService imports and exports hash lists. Both need
// ActionExchangeHashBank.
type HashListService interface {
	// Import stores items (PDQ hashes with their label, brand, tags and
	// provenance) in one transaction: if any item is invalid it returns
	// Invalid with per-item details and stores nothing. skipped is passed
	// through into the result.
	Import(ctx context.Context, items []KnownImage, skipped int) (HashImportResult, error)
	// Export calls fn with every PDQ entry matching f, oldest first. It
	// stops at, and returns, fn's first error.
	Export(ctx context.Context, f HashExportFilter, fn func(KnownImage) error) error
}
