package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"anxin"
)

func init() { demoSteps = append(demoSteps, demoStep{"ip", ipDemo}) }

// ipDemo runs anti-counterfeit and IP protection over the simulated
// marketplace: brands are registered with their official images, merchants'
// identity attributes build the relation network (catching re-registered
// shops), every listing is scored, rights holders file the simulator's
// notices, the IP team decides the ones that need a person, merchants
// counter-notice, rights holders report legal action, and the clock runs on
// past the counter-notice period so reinstatements happen.
func ipDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	t := time.Now()
	brandID := map[string]string{}
	for i, b := range w.Brands {
		id := fmt.Sprintf("brand_%02d", i+1)
		brandID[b.Name] = id
		err := env.post(ctx, env.Operator, "/v1/brands", anxin.Brand{
			ID: id, Name: b.Name, RightsHolderID: b.OwnerID, RegistrationRef: fmt.Sprintf("TM-%08d", 31000000+i),
			RefPricesFen: map[string]int64{b.Category: b.ReferencePriceFen}, AuthorisedSellers: b.AuthorisedSellers,
		}, nil)
		if err != nil {
			return err
		}
	}
	// The bank starts with what a platform knows before the period: each
	// brand's official product images (registered with the brand) and, from
	// earlier cases, the first known counterfeit image of each brand.
	var bank []anxin.KnownImage
	for _, b := range w.Brands {
		for _, h := range b.ImageHashes {
			bank = append(bank, anxin.KnownImage{PDQ: h, Label: "brand_owned", BrandID: brandID[b.Name]})
		}
		if imgs := w.Truth.CounterfeitImages[b.Name]; len(imgs) > 2 {
			bank = append(bank, anxin.KnownImage{PDQ: imgs[2], Label: "counterfeit", BrandID: brandID[b.Name], Note: "earlier case"})
		}
	}
	if err := env.post(ctx, env.Operator, "/v1/hashbank", map[string]any{"items": bank}, nil); err != nil {
		return err
	}
	progress(env.Out, "brands registered", len(w.Brands), "brands", t)

	// Identity attributes, cleared-out shops first so that a re-registration
	// is caught when it arrives, as at onboarding.
	t = time.Now()
	var attrs []anxin.IdentityAttribute
	merchants := append([]*anxin.Merchant(nil), w.Merchants...)
	sort.SliceStable(merchants, func(i, j int) bool { return merchants[i].Status == "cleared" && merchants[j].Status != "cleared" })
	for _, m := range merchants {
		for _, k := range anxin.IdentityTypes {
			if v := m.Attributes[k]; v != "" {
				attrs = append(attrs, anxin.IdentityAttribute{Kind: "merchant", ID: m.ID, Type: k, Value: v})
			}
		}
	}
	for _, in := range w.Influencers {
		for _, k := range anxin.IdentityTypes {
			if v := in.Attributes[k]; v != "" {
				attrs = append(attrs, anxin.IdentityAttribute{Kind: "influencer", ID: in.ID, Type: k, Value: v})
			}
		}
	}
	caught := 0
	for k := 0; k < len(attrs); k += 500 {
		var res struct {
			Reregistrations []any `json:"reregistrations"`
		}
		if err := env.post(ctx, env.Platform, "/v1/identity", map[string]any{"items": attrs[k:min(k+500, len(attrs))]}, &res); err != nil {
			return err
		}
		caught += len(res.Reregistrations)
	}
	progress(env.Out, "identity attributes", len(attrs), "attrs", t)
	fmt.Fprintf(env.Out, "  re-registrations caught: %d (planted: %d)\n", caught, plantedReregistrations(env))

	// Score every listing, as the publish-time check would.
	t = time.Now()
	flagged := 0
	for _, l := range w.Listings {
		var sc anxin.CounterfeitScore
		if err := env.post(ctx, env.Platform, "/v1/counterfeit:score", anxin.ScoreInput{Listing: l}, &sc); err != nil {
			return err
		}
		if sc.Score >= 0.5 {
			flagged++
		}
	}
	progress(env.Out, "listings scored", len(w.Listings), "scores", t)
	fmt.Fprintf(env.Out, "  flagged as counterfeit by signals: %d\n", flagged)

	// Rights holders' notices.
	t = time.Now()
	keys := map[string]string{}
	keyFor := func(role anxin.Role) (string, error) {
		if k, ok := keys[string(role)]; ok {
			return k, nil
		}
		k, err := env.key(ctx, role)
		keys[string(role)] = k
		return k, err
	}
	var filed, refused, decided, countered, legal int
	ids := map[string]string{}
	for _, n := range w.Notices {
		rh, err := keyFor(anxin.RightsHolderRole(n.RightsHolderID))
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
			refused++ // incomplete evidence for its reason: refused at filing
			continue
		}
		if err != nil {
			return fmt.Errorf("notice %s: %w", n.ID, err)
		}
		filed++
		ids[n.ID] = out.ID
		if out.State == anxin.NoticeFiled {
			// The IP team reviews the evidence; the simulator's truth stands
			// in for the reviewer's finding.
			body := map[string]any{"accept": w.Truth.Notices[n.ID]}
			if !w.Truth.Notices[n.ID] {
				body["reason"] = "The listed seller is authorised for this brand and the evidence does not show a counterfeit."
			}
			if err := env.post(ctx, env.Operator, "/v1/notices/"+out.ID+"/decide", body, &out); err != nil {
				return err
			}
			decided++
		}
	}
	env.Clock.Set(env.Clock.Now().Add(24 * time.Hour))
	for _, n := range w.Notices {
		if n.CounterAt == nil || ids[n.ID] == "" {
			continue
		}
		mk, err := keyFor(anxin.MerchantRole(n.MerchantID))
		if err != nil {
			return err
		}
		var out anxin.Notice
		if err := env.post(ctx, mk, "/v1/notices/"+ids[n.ID]+"/counter", map[string]string{"statement": n.CounterStatement}, &out); err != nil {
			if anxin.KindOf(err) == anxin.Conflict {
				continue // rejected notices have nothing to counter
			}
			return err
		}
		countered++
		if n.LegalAction {
			rh, _ := keyFor(anxin.RightsHolderRole(n.RightsHolderID))
			if err := env.post(ctx, rh, "/v1/notices/"+ids[n.ID]+"/legal-action", map[string]string{"case_ref": "(2026)沪0115民初" + n.ID}, nil); err != nil {
				return err
			}
			legal++
		}
	}
	// Let the counter-notice period (10 business days) pass.
	env.Clock.Set(env.Clock.Now().Add(15 * 24 * time.Hour))
	reinstated, err := env.runJobs(ctx)
	if err != nil {
		return err
	}
	progress(env.Out, "notices filed", filed, "notices", t)
	fmt.Fprintf(env.Out, "  refused at filing (evidence incomplete): %d; decided by the IP team: %d; counter-notices: %d; legal action: %d; timers run: %d\n",
		refused, decided, countered, legal, reinstated)

	var model anxin.ModelInfo
	if err := env.post(ctx, env.Operator, "/v1/models/train", map[string]any{"seed": w.Config.Seed}, &model); err != nil {
		if anxin.KindOf(err) != anxin.Invalid {
			return err
		}
		fmt.Fprintf(env.Out, "  text model not trained: %s\n", anxin.MessageOf(err))
	} else {
		fmt.Fprintf(env.Out, "  text model v%d from %d outcomes: held-out precision %.2f, recall %.2f\n",
			model.Version, model.Examples, model.Metrics.Precision, model.Metrics.Recall)
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
