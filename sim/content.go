package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"anxin"
)

func (g *gen) content() {
	g.promoted = map[string]string{}
	seq := 0
	newID := func() string { seq++; return fmt.Sprintf("cnt_%07d", seq) }
	start, span := g.w.Period.From, g.w.Period.To.Sub(g.w.Period.From)

	// Merchants with listings, split by whether they sell counterfeits.
	var cleanSellers, cfSellers []string
	for _, m := range g.w.Merchants {
		if len(g.byMerchant[m.ID]) == 0 {
			continue
		}
		if g.cfMerchant[m.ID] {
			cfSellers = append(cfSellers, m.ID)
		} else {
			cleanSellers = append(cleanSellers, m.ID)
		}
	}

	// Livestreams: six to twelve transcript segments two minutes apart.
	for s := range 100 * g.n {
		streamID := fmt.Sprintf("str_%05d", s+1)
		host, hostBad := "", false
		if g.chance(0.7) {
			in := pick(g, g.w.Influencers)
			host, hostBad = in.ID, g.w.Truth.BadInfluencers[in.ID]
		}
		seller := pick(g, cleanSellers)
		if (hostBad && g.chance(0.8)) || (host == "" && g.chance(0.12)) {
			seller = pick(g, cfSellers)
		}
		if host == "" {
			host = seller
		}
		var listingIDs []string
		ls := g.byMerchant[seller]
		for range 1 + g.r.IntN(3) {
			id := pick(g, ls).ID
			if !slices.Contains(listingIDs, id) {
				listingIDs = append(listingIDs, id)
			}
		}
		for _, id := range listingIDs {
			if strings.HasPrefix(host, "inf_") {
				g.promoted[id] = host
			}
		}
		product := productName(g.listingOf[listingIDs[0]])
		n := 6 + g.r.IntN(7)
		texts := make([]string, n)
		for i := range texts {
			texts[i] = strings.ReplaceAll(pick(g, streamLines), "%s", product)
		}
		truths := make([]ContentTruth, n)
		violating := g.cfMerchant[seller] && g.chance(0.7)
		if violating {
			t := pick(g, violationTexts[ViolationCounterfeit].cores)
			k := g.r.IntN(n - 1)
			rs := []rune(t.text)
			if len(rs) >= 2 && g.chance(0.4) {
				// Split across two consecutive segments.
				cut := 1 + g.r.IntN(len(rs)-1)
				texts[k] += "，这款是" + string(rs[:cut])
				texts[k+1] = string(rs[cut:]) + "的，" + texts[k+1]
				truths[k] = ContentTruth{Violation: ViolationCounterfeit, Term: t.text, Split: true}
				truths[k+1] = truths[k]
			} else {
				text, c, evasion := g.violationPhrase(ViolationCounterfeit, 0.4)
				truths[k] = ContentTruth{Violation: ViolationCounterfeit, Term: c, Evasive: evasion != "", Evasion: evasion}
				texts[k] += "，" + text
			}
			g.w.Truth.Streams[streamID] = ViolationCounterfeit
		} else {
			g.w.Truth.Streams[streamID] = ""
			if g.chance(0.2) {
				texts[g.r.IntN(n)] = pick(g, cleanStreamLines)
			}
		}
		at := start.Add(g.between(0, span-time.Duration(n+1)*2*time.Minute))
		for i := range n {
			c := &anxin.ContentItem{
				ID: newID(), Kind: anxin.ContentLivestreamSegment, AuthorID: host, StreamID: streamID,
				Seq: int64(i + 1), Text: texts[i], ListingIDs: listingIDs,
				ImageHashes: []string{g.frameHash(seller, violating)},
				UpdatedAt:   at.Add(time.Duration(i) * 2 * time.Minute),
			}
			g.w.Content = append(g.w.Content, c)
			g.w.Truth.Content[c.ID] = truths[i]
		}
	}

	// Short videos.
	for range 50 * g.n {
		in := pick(g, g.w.Influencers)
		seller := pick(g, cleanSellers)
		bad := g.w.Truth.BadInfluencers[in.ID] && g.chance(0.6)
		if bad {
			seller = pick(g, cfSellers)
		}
		l := pick(g, g.byMerchant[seller])
		text := strings.ReplaceAll(pick(g, videoLines), "%s", productName(l))
		var tr writtenTruth
		switch {
		case bad:
			tr = g.contentTerm(ViolationCounterfeit)
		case g.chance(0.05):
			tr = g.contentTerm(ViolationAbsoluteClaim)
		}
		if tr.Term != "" {
			text += " " + tr.written
		}
		c := &anxin.ContentItem{
			ID: newID(), Kind: anxin.ContentVideo, AuthorID: in.ID, Text: text, ListingIDs: []string{l.ID},
			ImageHashes: []string{g.frameHash(seller, bad)},
			UpdatedAt:   start.Add(g.between(0, span)),
		}
		g.w.Content = append(g.w.Content, c)
		g.w.Truth.Content[c.ID] = tr.ContentTruth
	}

	// Comments by buyers, some of them off-platform spam.
	for range 400 * g.n {
		b := pick(g, g.w.Buyers)
		l := pick(g, g.w.Listings)
		text := pick(g, commentLines)
		if g.chance(0.05) {
			text = pick(g, cleanComments)
		}
		var tr writtenTruth
		if g.chance(0.05) || (g.w.Truth.FraudulentBuyers[b.ID] && g.chance(0.3)) {
			tr = g.contentTerm(ViolationDiversion)
			text = tr.written
		}
		c := &anxin.ContentItem{
			ID: newID(), Kind: anxin.ContentComment, AuthorID: b.ID, Text: text, ListingIDs: []string{l.ID},
			UpdatedAt: start.Add(g.between(0, span)),
		}
		g.w.Content = append(g.w.Content, c)
		g.w.Truth.Content[c.ID] = tr.ContentTruth
	}
}

// writtenTruth is a content truth with the text as written.
type writtenTruth struct {
	ContentTruth
	written string
}

// contentTerm writes a violating phrase of the category, its core evasive
// 40 % of the time.
func (g *gen) contentTerm(violation string) writtenTruth {
	text, c, evasion := g.violationPhrase(violation, 0.4)
	return writtenTruth{ContentTruth: ContentTruth{Violation: violation, Term: c, Evasive: evasion != "", Evasion: evasion}, written: text}
}

// frameHash is a sampled frame's hash: a near copy of a counterfeit image
// for a counterfeit seller's violating stream, a fresh one otherwise.
func (g *gen) frameHash(seller string, violating bool) string {
	if violating {
		for _, l := range g.byMerchant[seller] {
			if l.Brand != "" && g.w.Truth.Listings[l.ID].Violation == ViolationCounterfeit {
				return g.nearCopy(pick(g, g.w.Truth.CounterfeitImages[l.Brand]), 8)
			}
		}
	}
	return g.imageHash()
}

// productName is the listing's product as a host would say it: the title's
// first word after the brand.
func productName(l *anxin.Listing) string {
	t := strings.TrimSpace(strings.TrimPrefix(l.Title, l.Brand))
	if i := strings.IndexByte(t, ' '); i > 0 {
		t = t[:i]
	}
	return t
}
