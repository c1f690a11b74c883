package sqlstore

import (
	"context"

	"anxin"
)

// OnEventsOneByOne is the protection hook event by event, as it ran before
// it worked on runs: the reference the set-based hook is compared with.
func (s *ProtectionService) OnEventsOneByOne(ctx context.Context, tx *Tx, events []*anxin.Event) error {
	progs := new(programmeCache)
	for _, e := range events {
		if err := s.onEvent(ctx, tx, progs, e); err != nil {
			return err
		}
	}
	return nil
}
