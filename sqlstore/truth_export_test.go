package sqlstore

// TruthQuality exposes truthQuality to the external tests.
var TruthQuality = truthQuality
