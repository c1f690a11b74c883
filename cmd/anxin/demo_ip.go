package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"anxin"
)

func init() { demoSteps = append(demoSteps, demoStep{"ip", ipDemo, ipAfter}) }

// ipRun is what the IP step records for its summary.
type ipRun struct {
	attrs, caught, scored, flagged            int
	filed, refused, decided, countered, legal int
	model                                     *anxin.ModelInfo
	modelErr                                  string
}

// ipDemo runs anti-counterfeit and IP protection through the period: on
// the first morning brands are registered with their official images and
// the merchants' identity attributes build the relation network (later
// shops as they onboard, catching re-registered ones); every listing is
// scored when it is published; rights holders file the simulator's notices
// at their times; the IP team decides those that need a person within office
// hours; merchants counter-notice at their times, rights holders report
// legal action a few days later, and the counter-notice period (ten working
// days) reinstates the rest by its timer. The text model is trained on the
// last evening.
func ipDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	run := &ipRun{}
	env.ipRun = run
	brandID := map[string]string{}
	for i, b := range w.Brands {
		brandID[b.Name] = fmt.Sprintf("brand_%02d", i+1)
	}
	start := w.Period.From.Add(7 * time.Hour)
	env.at(start, func(ctx context.Context) error {
		for i, b := range w.Brands {
			err := env.post(ctx, env.Operator, "/v1/brands", anxin.Brand{
				ID: brandID[b.Name], Name: b.Name, RightsHolderID: b.OwnerID, RegistrationRef: fmt.Sprintf("TM-%08d", 31000000+i),
				RefPricesFen: map[string]int64{b.Category: b.ReferencePriceFen}, AuthorisedSellers: b.AuthorisedSellers,
			}, nil)
			if err != nil {
				return err
			}
		}
		// The bank starts with what a platform knows before the period:
		// each brand's official product images and, from earlier cases,
		// the first known counterfeit image of each brand.
		var bank []anxin.KnownImage
		for _, b := range w.Brands {
			for _, h := range b.ImageHashes {
				bank = append(bank, anxin.KnownImage{PDQ: h, Label: "brand_owned", BrandID: brandID[b.Name]})
			}
			if imgs := w.Truth.CounterfeitImages[b.Name]; len(imgs) > 2 {
				bank = append(bank, anxin.KnownImage{PDQ: imgs[2], Label: "counterfeit", BrandID: brandID[b.Name], Note: "earlier case"})
			}
		}
		return env.post(ctx, env.Operator, "/v1/hashbank", map[string]any{"items": bank}, nil)
	})

	// Identity attributes, cleared-out shops first so that a
	// re-registration is caught when it arrives, as at onboarding.
	attrsAt := map[time.Time][]anxin.IdentityAttribute{}
	merchants := append([]*anxin.Merchant(nil), w.Merchants...)
	sort.SliceStable(merchants, func(i, j int) bool { return merchants[i].Status == "cleared" && merchants[j].Status != "cleared" })
	onboarded := map[string]time.Time{}
	for _, m := range merchants {
		at := latest(start, env.settled(m.OnboardedAt))
		onboarded[m.ID] = at
		for _, k := range anxin.IdentityTypes {
			if v := m.Attributes[k]; v != "" {
				attrsAt[at] = append(attrsAt[at], anxin.IdentityAttribute{Kind: "merchant", ID: m.ID, Type: k, Value: v})
			}
		}
	}
	for _, in := range w.Influencers {
		at := latest(start, env.settled(in.UpdatedAt))
		for _, k := range anxin.IdentityTypes {
			if v := in.Attributes[k]; v != "" {
				attrsAt[at] = append(attrsAt[at], anxin.IdentityAttribute{Kind: "influencer", ID: in.ID, Type: k, Value: v})
			}
		}
	}
	for at, attrs := range attrsAt {
		env.at(at, func(ctx context.Context) error {
			for k := 0; k < len(attrs); k += 500 {
				var res struct {
					Reregistrations []any `json:"reregistrations"`
				}
				if err := env.post(ctx, env.Platform, "/v1/identity", map[string]any{"items": attrs[k:min(k+500, len(attrs))]}, &res); err != nil {
					return err
				}
				run.caught += len(res.Reregistrations)
			}
			run.attrs += len(attrs)
			return nil
		})
	}

	// Score every listing when it is published (the live catalogue in the
	// first morning), as the publish-time check would.
	for i, l := range w.Listings {
		at := latest(start.Add(time.Duration(i)*time.Second), l.UpdatedAt, onboarded[l.MerchantID])
		env.at(at, func(ctx context.Context) error {
			var sc anxin.CounterfeitScore
			if err := env.post(ctx, env.Platform, "/v1/counterfeit:score", anxin.ScoreInput{Listing: l}, &sc); err != nil {
				return err
			}
			run.scored++
			if sc.Score >= 0.5 {
				run.flagged++
			}
			return nil
		})
	}

	// Rights holders' notices, at their times.
	keys := map[string]string{}
	keyFor := func(ctx context.Context, role anxin.Role) (string, error) {
		if k, ok := keys[string(role)]; ok {
			return k, nil
		}
		k, err := env.key(ctx, role)
		keys[string(role)] = k
		return k, err
	}
	published := map[string]time.Time{}
	for _, l := range w.Listings {
		published[l.ID] = l.UpdatedAt
	}
	r := env.rand("ip")
	for _, n := range w.Notices {
		at := latest(n.At, env.settled(published[n.ListingID]), start.Add(time.Hour))
		review := between(r, time.Hour, 20*time.Hour)
		legalAfter := between(r, 24*time.Hour, 96*time.Hour)
		env.at(at, func(ctx context.Context) error {
			rh, err := keyFor(ctx, anxin.RightsHolderRole(n.RightsHolderID))
			if err != nil {
				return err
			}
			ev := make([]anxin.NoticeEvidence, len(n.Evidence))
			for i, e := range n.Evidence {
				ev[i] = anxin.NoticeEvidence{Kind: e.Kind, Ref: e.Ref}
			}
			var out anxin.Notice
			err = env.post(ctx, rh, "/v1/notices", anxin.Notice{BrandID: brandID[n.Brand], ListingID: n.ListingID, ContentID: n.ContentID,
				Reason: n.Reason, Evidence: ev, Statement: n.Statement}, &out)
			if anxin.KindOf(err) == anxin.Invalid {
				run.refused++ // incomplete evidence for its reason: refused at filing
				return nil
			}
			if err != nil {
				return fmt.Errorf("notice %s: %w", n.ID, err)
			}
			run.filed++
			id := out.ID
			counter := func(after time.Time) {
				if n.CounterAt == nil {
					return
				}
				env.at(latest(*n.CounterAt, after.Add(between(r, time.Hour, 30*time.Hour))), func(ctx context.Context) error {
					mk, err := keyFor(ctx, anxin.MerchantRole(n.MerchantID))
					if err != nil {
						return err
					}
					if err := env.post(ctx, mk, "/v1/notices/"+id+"/counter", map[string]string{"statement": n.CounterStatement}, nil); err != nil {
						if anxin.KindOf(err) == anxin.Conflict {
							return nil // rejected notices have nothing to counter
						}
						return err
					}
					run.countered++
					if !n.LegalAction {
						return nil
					}
					env.at(env.Clock.Now().Add(legalAfter), func(ctx context.Context) error {
						if err := env.post(ctx, rh, "/v1/notices/"+id+"/legal-action", map[string]string{"case_ref": "(2026)沪0115民初" + n.ID}, nil); err != nil {
							return err
						}
						run.legal++
						return nil
					})
					return nil
				})
			}
			if out.State != anxin.NoticeFiled {
				counter(env.Clock.Now())
				return nil
			}
			// The IP team reviews the evidence in office hours; the
			// simulator's truth stands in for the reviewer's finding.
			env.at(officeAfter(env.Clock.Now(), review), func(ctx context.Context) error {
				body := map[string]any{"accept": w.Truth.Notices[n.ID]}
				if !w.Truth.Notices[n.ID] {
					body["reason"] = "The listed seller is authorised for this brand and the evidence does not show a counterfeit."
				}
				if err := env.post(ctx, env.Operator, "/v1/notices/"+id+"/decide", body, nil); err != nil {
					return err
				}
				run.decided++
				counter(env.Clock.Now())
				return nil
			})
			return nil
		})
	}
	env.at(w.Period.To.Add(-3*time.Hour), func(ctx context.Context) error {
		var model anxin.ModelInfo
		if err := env.post(ctx, env.Operator, "/v1/models/train", map[string]any{"seed": w.Config.Seed}, &model); err != nil {
			if anxin.KindOf(err) != anxin.Invalid {
				return err
			}
			run.modelErr = anxin.MessageOf(err)
			return nil
		}
		run.model = &model
		return nil
	})
	return nil
}

func ipAfter(ctx context.Context, env *demoEnv) error {
	run := env.ipRun
	fmt.Fprintf(env.Out, "%-28s %10d attrs\n", "identity attributes", run.attrs)
	fmt.Fprintf(env.Out, "  re-registrations caught: %d (planted: %d)\n", run.caught, plantedReregistrations(env))
	fmt.Fprintf(env.Out, "%-28s %10d scores; flagged as counterfeit by signals: %d\n", "listings scored", run.scored, run.flagged)
	fmt.Fprintf(env.Out, "%-28s %10d notices\n", "notices filed", run.filed)
	fmt.Fprintf(env.Out, "  refused at filing (evidence incomplete): %d; decided by the IP team: %d; counter-notices: %d; legal action: %d\n",
		run.refused, run.decided, run.countered, run.legal)
	if run.model != nil {
		fmt.Fprintf(env.Out, "  text model v%d from %d outcomes: held-out precision %.2f, recall %.2f\n",
			run.model.Version, run.model.Examples, run.model.Metrics.Precision, run.model.Metrics.Recall)
	} else if run.modelErr != "" {
		fmt.Fprintf(env.Out, "  text model not trained: %s\n", run.modelErr)
	}
	return nil
}

func plantedReregistrations(env *demoEnv) int {
	n := 0
	for _, t := range env.World.Truth.BadMerchants {
		if t.ReregistrationOf != "" {
			n++
		}
	}
	return n
}
