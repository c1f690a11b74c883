package sqlstore

import (
	"context"

	"anxin"
	"anxin/governance"
)

// ImportLexicon merges a parsed word list into lexicon name (see
// governance.MergeImport) and stores the result as one new version, in one
// transaction: the current version is read, merged, validated and compiled
// with the other lexicons and the active policy before anything is
// written, so a failing import changes nothing. Checks use the new version
// at once on this replica (a deleted lexicon is imported into afresh,
// its version numbers continuing) and within PollInterval elsewhere. Role: operator.
func (s *GovernanceService) ImportLexicon(ctx context.Context, name string, imp *anxin.LexiconImport) (_ *anxin.LexiconImportReport, err error) {
	defer anxin.Wrap(&err, "ImportLexicon(%q)", name)
	if err := anxin.Authorize(ctx, anxin.ActionManagePolicy); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("name", name); err != nil {
		return nil, err
	}
	var rep *anxin.LexiconImportReport
	err = s.db.Transact(ctx, func(tx *Tx) error {
		lexs, err := currentLexicons(ctx, tx)
		if err != nil {
			return err
		}
		var cur *anxin.Lexicon
		for _, l := range lexs {
			if l.Name == name {
				cur = l
			}
		}
		next, r := governance.MergeImport(cur, name, imp)
		if err := next.Validate(); err != nil {
			return err
		}
		if err := storeLexicon(ctx, tx, next, lexs); err != nil {
			return err
		}
		r.Version = next.Version
		rep = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.loadEngine(ctx, true)
	return rep, nil
}
