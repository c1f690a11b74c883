package governance

import (
	"embed"
	"encoding/json"
	"os"
	"slices"

	"anxin"
)

// defaultPack is the default policy; packFS holds the default lexicons, one
// text file per category under pack/<lexicon>/ (see packfile.go).
//
//go:embed default_pack.json
var defaultPack []byte

// detectionPolicy holds the rules over the detection layers (pattern
// signals, offered and cautioned hits, the stuffing shape). It is kept
// apart from default_pack.json so the vocabulary and these rules can change
// independently; DefaultPack appends its rules to the default policy.
//
//go:embed detection_policy.json
var detectionPolicy []byte

//go:embed pack
var packFS embed.FS

// Pack is a set of lexicons and a policy, as shipped in default_pack.json
// and read by `anxin check --policy FILE`.
type Pack struct {
	Lexicons []*anxin.Lexicon `json:"lexicons"`
	Policy   *anxin.Policy    `json:"policy"`
}

// DefaultPack returns a fresh copy of the embedded default pack (the
// policy in default_pack.json, the lexicons in pack/): Chinese and
// English lexicons for counterfeit coded language, prohibited goods and
// services, adult content, SEO spam, false medical claims, off-platform
// contact, advertising-law absolute claims and major brands, and the
// default policy (version 1) over them.
func DefaultPack() (*Pack, error) {
	lexs, err := loadPackLexicons(packFS, "pack")
	if err != nil {
		return nil, anxin.Errorf(anxin.Internal, "The default pack does not load: %s.", err.Error())
	}
	p, err := ParsePack(defaultPack)
	if err != nil {
		return nil, err
	}
	var extra anxin.Policy
	if err := anxin.DecodeJSON(detectionPolicy, &extra); err != nil {
		return nil, err
	}
	for _, r := range extra.Rules {
		if !slices.ContainsFunc(p.Policy.Rules, func(x anxin.Rule) bool { return x.ID == r.ID }) {
			p.Policy.Rules = append(p.Policy.Rules, r)
		}
	}
	for _, l := range lexs {
		if err := l.Validate(); err != nil {
			return nil, err
		}
	}
	p.Lexicons = append(lexs, p.Lexicons...)
	return p, nil
}

// ParsePack decodes a pack. Lexicons in a pack are active at version 1
// unless they say otherwise; the policy defaults to version 1. A pack
// without a policy is Invalid; lexicons and rules are validated when an
// engine is built from them.
func ParsePack(b []byte) (*Pack, error) {
	p := new(Pack)
	if err := anxin.DecodeJSON(b, p); err != nil {
		return nil, err
	}
	if p.Policy == nil {
		return nil, anxin.Errorf(anxin.Invalid, "The pack has no policy.")
	}
	if p.Policy.Version == 0 {
		p.Policy.Version = 1
	}
	for _, l := range p.Lexicons {
		if l.Version == 0 {
			l.Version, l.Active = 1, true
		}
		if err := l.Validate(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ReadPack reads a pack file, or a policy file (an object with "rules") to
// combine with the default pack's lexicons.
func ReadPack(path string) (*Pack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, anxin.Errorf(anxin.Invalid, "The policy file cannot be read.")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) == nil && probe["rules"] != nil && probe["lexicons"] == nil {
		pol := new(anxin.Policy)
		if err := anxin.DecodeJSON(b, pol); err != nil {
			return nil, err
		}
		if pol.Version == 0 {
			pol.Version = 1
		}
		p, err := DefaultPack()
		if err != nil {
			return nil, err
		}
		p.Policy = pol
		return p, nil
	}
	return ParsePack(b)
}

// Engine builds an engine from the pack.
func (p *Pack) Engine() (*Engine, error) {
	return New(p.Lexicons, p.Policy, nil)
}
