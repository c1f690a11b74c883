package classify

import (
	"unicode/utf8"

	"anxin/lexicon"
)

// Features are hashed into a table of 2^bits buckets. Three kinds share it,
// each hashed with its own seed:
//
//   - character bigrams and trigrams of the normalised text (so look-alike,
//     width, traditional and separator evasions are already folded; single
//     characters were dropped: they cost a third of the time and carry
//     little);
//   - words: runs of one script (Han, or Latin letters and digits) between
//     separators of the original text, up to 24 runes long (Latin at least
//     2) — the keywords of a stuffed title, English words, a lone character
//     set apart; Chinese without spaces is covered by the bigrams and
//     trigrams;
//   - the content kind, so each kind gets its own offset.
//
// A feature's span points back into the normalised text, for evidence.
const (
	nsChar = 0x9e3779b1
	nsWord = 0x85ebca77
	nsKind = 0xc2b2ae3d

	maxWordRunes = 24
	// MaxFeatures bounds the features taken from one checked item, so the
	// cost of a prediction is bounded whatever the caller passes.
	MaxFeatures = 3 * 4096
)

// feature is one hashed feature and where it came from.
type feature struct {
	hash       uint32
	field      int32 // index of the text; -1 for the kind feature
	start, end int32 // byte span in the field's normalised text
}

func mix(h uint32, r rune) uint32 {
	h ^= uint32(r)
	h *= 0x01000193
	return h ^ h>>15
}

func finish(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	return h
}

// script classes for word segmentation.
const (
	scriptOther = iota
	scriptHan
	scriptLatin
)

func scriptOf(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			return scriptLatin
		}
		return scriptOther
	case r >= 0x3400 && r <= 0x9fff, r >= 0xf900 && r <= 0xfaff, r >= 0x20000 && r <= 0x3ffff:
		return scriptHan
	case r < 0x530:
		return scriptLatin // accented Latin, Greek, Cyrillic letters left after folding
	}
	return scriptOther
}

// extract calls emit for every feature of the texts and the kind, at most
// MaxFeatures times. It allocates nothing.
func extract(kind string, texts []lexicon.Text, emit func(f feature)) {
	h := uint32(nsKind)
	for i := 0; i < len(kind); i++ {
		h = mix(h, rune(kind[i]))
	}
	emit(feature{hash: finish(h), field: -1})
	n := 1
	for fi, t := range texts {
		s := t.Norm
		// Rolling window of the last three runes and their offsets.
		var rs [3]rune
		var at [3]int32
		k := 0
		wordStart, wordRunes, wordScript := 0, 0, scriptOther
		src := t.Source()
		prevOrigStart, prevOrigEnd := -1, -1
		flushWord := func(end int) {
			if (wordRunes >= 2 || wordScript == scriptHan) && wordRunes <= maxWordRunes && n < MaxFeatures {
				h := uint32(nsWord)
				for _, r := range s[wordStart:end] {
					h = mix(h, r)
				}
				emit(feature{hash: finish(h), field: int32(fi), start: int32(wordStart), end: int32(end)})
				n++
			}
			wordRunes = 0
		}
		for i, r := range s {
			if n >= MaxFeatures {
				return
			}
			w := utf8.RuneLen(r)
			if w < 0 {
				w = 1
			}
			// Word segmentation: a separator removed from the original text
			// between this rune and the previous one, or a change of script,
			// ends the word.
			os, _ := t.Original(i, i) // the start of the character that produced rune i
			gap := prevOrigEnd >= 0 && os != prevOrigEnd && os != prevOrigStart
			sc := scriptOf(r)
			if wordRunes > 0 && (gap || sc != wordScript || sc == scriptOther) {
				flushWord(i)
			}
			if sc != scriptOther {
				if wordRunes == 0 {
					wordStart, wordScript = i, sc
				}
				wordRunes++
			}
			if os != prevOrigStart {
				oe := os + 1
				if os < len(src) && src[os] >= utf8.RuneSelf {
					_, ow := utf8.DecodeRuneInString(src[os:])
					oe = os + ow
				}
				prevOrigStart, prevOrigEnd = os, oe
			}
			// Character n-grams ending at this rune.
			rs[0], rs[1], rs[2] = rs[1], rs[2], r
			at[0], at[1], at[2] = at[1], at[2], int32(i)
			k = min(k+1, 3)
			end := int32(i + w)
			h := uint32(nsChar)
			h = mix(h, rs[2])
			for j := 1; j >= 3-k && n < MaxFeatures; j-- {
				h = mix(h, rs[j])
				emit(feature{hash: finish(h ^ uint32(2-j)), field: int32(fi), start: at[j], end: end})
				n++
			}
		}
		if wordRunes > 0 {
			flushWord(len(s))
		}
	}
}
