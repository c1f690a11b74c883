package sqlstore

import (
	"context"
	"strconv"

	"anxin"
	"anxin/care"
)

// mutate loads a ticket for a change, refusing merged tickets (Conflict).
func (s *CareService) mutate(ctx context.Context, id string, fn func(tx *Tx, t *anxin.Ticket, g *careGroup) error) (*anxin.Ticket, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	var out *anxin.Ticket
	err := s.db.Transact(ctx, func(tx *Tx) error {
		t, err := loadTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status == anxin.TicketMerged {
			return anxin.Errorf(anxin.Conflict, "The ticket was merged into %s.", t.MergedInto)
		}
		g, err := loadGroup(ctx, tx, t.Group)
		if err != nil {
			return err
		}
		if err := fn(tx, t, g); err != nil {
			return err
		}
		t.UpdatedAt = tx.Now
		esc := 0
		if t.Escalated {
			esc = 1
		}
		_, err = tx.ExecContext(ctx, `UPDATE care_tickets SET grp = ?, priority = ?, status = ?, assignee_id = ?, merged_into = ?, routed_by = ?,
			escalated = ?, first_response_at = ?, resolved_at = ?, updated_at = ? WHERE id = ?`,
			t.Group, t.Priority, t.Status, t.AssigneeID, t.MergedInto, t.RoutedBy, esc, msPtr(t.FirstResponseAt), msPtr(t.ResolvedAt), ms(tx.Now), t.ID)
		out = t
		return err
	})
	return out, err
}

// Reply adds a public message. A care agent's reply stops the first- and
// next-response clocks and, with Waiting, pauses the ticket on the
// customer. A customer's reply (platform relaying the requester, or the
// merchant on its own ticket) resumes a waiting ticket, reopens a resolved
// one and starts the next-response clock.
func (s *CareService) Reply(ctx context.Context, id string, r anxin.Reply) (_ *anxin.Message, err error) {
	defer anxin.Wrap(&err, "Reply(%q)", id)
	actor := anxin.ActorFromContext(ctx)
	agent := anxin.Can(actor.Role, anxin.ActionCareWork)
	if !agent {
		if err := anxin.Authorize(ctx, anxin.ActionCareRespond); err != nil {
			return nil, err
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var msg *anxin.Message
	_, err = s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		if agent {
			msg = &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: actor.KeyID, Body: r.Body, Attachments: r.Attachments}
			clocks, err := care.AgentReply(t, g.Group, actor.KeyID, r.Waiting, tx.Now)
			if err != nil {
				return err
			}
			if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
				return err
			}
		} else {
			if m := anxin.MerchantScope(ctx); m != "" && (t.RequesterKind != anxin.RequesterMerchant || t.RequesterID != m) {
				// The merchant concerned by a buyer's ticket answers
				// without touching the service clocks.
				msg = &anxin.Message{TicketID: t.ID, AuthorKind: "merchant", AuthorID: m, Body: r.Body, Attachments: r.Attachments}
				return insertMessage(ctx, tx, msg)
			}
			msg = &anxin.Message{TicketID: t.ID, AuthorKind: "customer", AuthorID: t.RequesterID, Body: r.Body, Attachments: r.Attachments}
			clocks, err := care.CustomerReply(t, g.Group, tx.Now)
			if err != nil {
				return err
			}
			if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
				return err
			}
		}
		return insertMessage(ctx, tx, msg)
	})
	return msg, err
}

// AddNote adds an internal note that only agents see.
func (s *CareService) AddNote(ctx context.Context, id, body string) (_ *anxin.Message, err error) {
	defer anxin.Wrap(&err, "AddNote(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	r := anxin.Reply{Body: body}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var msg *anxin.Message
	_, err = s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		msg = &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: anxin.ActorFromContext(ctx).KeyID, Body: body, Internal: true}
		return insertMessage(ctx, tx, msg)
	})
	return msg, err
}

// Assign gives a ticket to an agent. With agent empty, strategy picks one
// of the group's agents: "round_robin" (the next in turn) or
// "least_loaded" (fewest open and waiting tickets; ties to the first
// listed). Invalid if the group has no agents or the strategy is unknown.
func (s *CareService) Assign(ctx context.Context, id, agent, strategy string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Assign(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if err := anxin.ValidateOptionalID("agent", agent); err != nil {
		return nil, err
	}
	if agent == "" && strategy != "round_robin" && strategy != "least_loaded" {
		return nil, anxin.Errorf(anxin.Invalid, "Give an agent, or strategy round_robin or least_loaded.")
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		if agent != "" {
			t.AssigneeID = agent
			return nil
		}
		if len(g.Agents) == 0 {
			return anxin.Errorf(anxin.Invalid, "Skill group %s has no agents to assign.", g.ID)
		}
		if strategy == "round_robin" {
			t.AssigneeID = g.Agents[g.next%int64(len(g.Agents))]
			_, err := tx.ExecContext(ctx, `UPDATE care_groups SET rr_next = ? WHERE id = ?`, (g.next+1)%int64(len(g.Agents)), g.ID)
			return err
		}
		load := map[string]int64{}
		rows, err := tx.QueryContext(ctx, `SELECT assignee_id, COUNT(*) FROM care_tickets WHERE status IN ('open', 'waiting') AND assignee_id <> '' GROUP BY assignee_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a string
			var n int64
			if err := rows.Scan(&a, &n); err != nil {
				rows.Close()
				return err
			}
			load[a] = n
		}
		rows.Close()
		if t.AssigneeID != "" {
			load[t.AssigneeID]-- // the ticket itself moves
		}
		best := g.Agents[0]
		for _, a := range g.Agents[1:] {
			if load[a] < load[best] {
				best = a
			}
		}
		t.AssigneeID = best
		return rows.Err()
	})
}

// Transfer moves a ticket to another group. Its running clocks keep the
// time consumed and are re-planned on the new group's calendar; the
// transfer confirms the label for classifier training.
func (s *CareService) Transfer(ctx context.Context, id, group, reason string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Transfer(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if !anxin.ValidGroup(group) {
		return nil, anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", group)
	}
	if err := anxin.ValidateText("reason", reason, anxin.MaxNameLen*4); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		ng, err := loadGroup(ctx, tx, group)
		if err != nil {
			return err
		}
		note := &anxin.Message{TicketID: t.ID, AuthorKind: "system", AuthorID: anxin.ActorFromContext(ctx).KeyID, Internal: true,
			Body: "Transferred from " + t.Group + " to " + group + ". " + reason}
		clocks, err := care.Transfer(t, g.Group, ng.Group, tx.Now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_tickets SET label_confirmed = 1 WHERE id = ?`, t.ID); err != nil {
			return err
		}
		return insertMessage(ctx, tx, note)
	})
}

// Merge folds duplicate ticket id into ticket into: id's clocks stop, it
// becomes merged and a note on both records the merge. Invalid when merging
// a ticket into itself or into one with a different requester; Conflict
// when into is merged itself.
func (s *CareService) Merge(ctx context.Context, id, into string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Merge(%q, %q)", id, into)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if id == into {
		return nil, anxin.Errorf(anxin.Invalid, "A ticket cannot be merged into itself.")
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		target, err := loadTicket(ctx, tx, into)
		if err != nil {
			return err
		}
		clocks, err := care.Merge(t, target, g.Group, tx.Now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		actor := anxin.ActorFromContext(ctx).KeyID
		for _, m := range []*anxin.Message{
			{TicketID: t.ID, AuthorKind: "system", AuthorID: actor, Internal: true, Body: "Merged into " + target.ID + "."},
			{TicketID: target.ID, AuthorKind: "system", AuthorID: actor, Internal: true, Body: "Ticket " + t.ID + " was merged into this one: " + t.Subject},
		} {
			if err := insertMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetWaiting pauses (waiting on the customer) or resumes a ticket's
// clocks. Conflict on a resolved ticket.
func (s *CareService) SetWaiting(ctx context.Context, id string, waiting bool) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "SetWaiting(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		clocks, err := care.SetWaiting(t, g.Group, waiting, tx.Now)
		if err != nil {
			return err
		}
		return saveClocks(ctx, tx, t.ID, clocks)
	})
}

// Resolve closes a ticket: its clocks stop, its group becomes a confirmed
// training label and a survey request goes to the marketplace. Conflict if
// already resolved.
func (s *CareService) Resolve(ctx context.Context, id, resolution string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Resolve(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	r := anxin.Reply{Body: resolution}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		now := tx.Now
		clocks, err := care.Resolve(t, g.Group, anxin.ActorFromContext(ctx).KeyID, now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_tickets SET label_confirmed = 1 WHERE id = ?`, t.ID); err != nil {
			return err
		}
		if err := insertMessage(ctx, tx, &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: anxin.ActorFromContext(ctx).KeyID, Body: resolution}); err != nil {
			return err
		}
		_, err = Enqueue(ctx, tx, MsgCareSurveyRequest, t.ID, t.ID+":"+strconv.FormatInt(ms(now), 10), map[string]any{
			"ticket_id": t.ID, "requester_kind": t.RequesterKind, "requester_id": t.RequesterID, "group": t.Group, "resolved_at": now,
		})
		return err
	})
}
