package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"anxin"
)

// Notice is a rights holder's notice of infringement against a listing, as
// the IP capability receives it. Brand is the brand's name (see Brands);
// Reason is a code of the IP complaint taxonomy (trademark.fake.mxjh, …)
// with the evidence that reason needs. Whether the notice is right is in
// Truth.Notices.
type Notice struct {
	ID             string           `json:"id"`
	RightsHolderID string           `json:"rights_holder_id"`
	Brand          string           `json:"brand"`
	ListingID      string           `json:"listing_id"`
	MerchantID     string           `json:"merchant_id"`
	ContentID      string           `json:"content_id,omitempty"`    // a stream segment that sold it, when there was one
	InfluencerID   string           `json:"influencer_id,omitempty"` // the influencer who sold it
	Reason         string           `json:"reason"`
	Evidence       []NoticeEvidence `json:"evidence"`
	Statement      string           `json:"statement"`
	At             time.Time        `json:"at"`
	// The merchant's counter-notice, if it files one.
	CounterAt        *time.Time `json:"counter_at,omitempty"`
	CounterStatement string     `json:"counter_statement,omitempty"`
	// LegalAction is set when the rights holder answers a counter-notice by
	// reporting legal action (so the listing is not reinstated).
	LegalAction bool `json:"legal_action,omitempty"`
}

// NoticeEvidence is one piece of a notice's evidence, by reference.
type NoticeEvidence struct {
	Kind string `json:"kind"` // case_number, order_id, appraisal_report, statement, images, chat_log, text
	Ref  string `json:"ref"`
}

// notices plants rights holders' notices: against about a third of the
// counterfeit listings of their brands (with the evidence their reason
// needs, some through an influencer's stream), and a few mistaken ones
// against authorised sellers' genuine listings, which the merchants
// counter-notice.
func (g *gen) notices() {
	start, end := g.w.Period.From, g.w.Period.To
	ordersOf := map[string][]string{}
	for _, o := range g.w.Orders {
		if o.DeliveredAt != nil {
			ordersOf[o.Items[0].ListingID] = append(ordersOf[o.Items[0].ListingID], o.ID)
		}
	}
	segmentOf := map[string]string{} // listing id → a stream segment selling it
	hostOf := map[string]string{}    // segment id → its host
	for _, c := range g.w.Content {
		if c.StreamID != "" {
			hostOf[c.ID] = c.AuthorID
			for _, id := range c.ListingIDs {
				if _, ok := segmentOf[id]; !ok {
					segmentOf[id] = c.ID
				}
			}
		}
	}
	brandOf := map[string]Brand{}
	for _, b := range g.w.Brands {
		brandOf[b.Name] = b
	}
	seq := 0
	add := func(l string, n Notice, valid bool) {
		seq++
		n.ID = fmt.Sprintf("ntc_%05d", seq)
		n.ListingID = l
		g.w.Notices = append(g.w.Notices, n)
		g.w.Truth.Notices[n.ID] = valid
	}
	at := func(published time.Time) time.Time {
		from := start
		if published.After(from) {
			from = published
		}
		return from.Add(g.between(time.Hour, end.Sub(from)))
	}
	for _, l := range g.w.Listings {
		tr := g.w.Truth.Listings[l.ID]
		b, branded := brandOf[l.Brand]
		switch {
		case tr.Violation == ViolationCounterfeit && branded && g.chance(0.35):
			n := Notice{RightsHolderID: b.OwnerID, Brand: b.Name, MerchantID: l.MerchantID, At: at(l.UpdatedAt)}
			orders := ordersOf[l.ID]
			switch {
			case tr.Term != "":
				n.Reason = "trademark.fake.mxjh"
				n.Evidence = []NoticeEvidence{{Kind: "text", Ref: l.Title}}
			case len(orders) > 0 && g.chance(0.6):
				n.Reason = "trademark.fake.gmjd"
				n.Evidence = []NoticeEvidence{{Kind: "order_id", Ref: pick(g, orders)}, {Kind: "appraisal_report", Ref: fmt.Sprintf("AR-%06d", g.r.IntN(1_000_000))}}
			case g.chance(0.2):
				n.Reason = "trademark.fake.sfxzpj"
				n.Evidence = []NoticeEvidence{{Kind: "case_number", Ref: fmt.Sprintf("(2025)沪0115民初%d号", 10000+g.r.IntN(90000))}}
			default:
				n.Reason = "trademark.fake.zjdb"
				n.Evidence = []NoticeEvidence{{Kind: "images", Ref: l.ImageHashes[0]}, {Kind: "text", Ref: "正品与涉案商品对比：标识位置、字体与防伪码不符"}}
			}
			n.Statement = "该商品假冒我方注册商标，请予以删除。"
			if seg, ok := segmentOf[l.ID]; ok && g.chance(0.5) {
				n.ContentID = seg
				if h := hostOf[seg]; strings.HasPrefix(h, "inf_") {
					n.InfluencerID = h
				}
			}
			if g.chance(0.1) { // a bold counterfeiter denies it; the holder sues
				n.CounterAt = ptr(n.At.Add(g.between(time.Hour, 3*day)))
				n.CounterStatement = "我方商品为正品，有进货凭证。"
				n.LegalAction = g.chance(0.7)
			}
			add(l.ID, n, true)
		case tr.Violation == "" && branded && slices.Contains(b.AuthorisedSellers, l.MerchantID) && g.chance(0.08):
			n := Notice{
				RightsHolderID: b.OwnerID, Brand: b.Name, MerchantID: l.MerchantID, At: at(l.UpdatedAt),
				Reason:    "trademark.fake.zjdb",
				Evidence:  []NoticeEvidence{{Kind: "images", Ref: l.ImageHashes[0]}},
				Statement: "疑似假冒，请核查。",
			}
			n.CounterAt = ptr(n.At.Add(g.between(time.Hour, 2*day)))
			n.CounterStatement = "我方为品牌授权经销商，附授权书。"
			add(l.ID, n, false)
		}
	}
	g.repeatInfringer(add, brandOf)
}

// repeatInfringer plants the shop that keeps infringing: the bad merchant
// with the most counterfeits of registered brands gets a notice on every
// one of them and relists two of them after their takedown, which draw
// notices too, so that its upheld notices cross the repeat-infringer
// threshold (ten in 365 days) inside the period. Its notices need the IP
// team's review (image comparison) and are filed in the first three weeks,
// so the review and takedown happen inside the period.
func (g *gen) repeatInfringer(add func(string, Notice, bool), brandOf map[string]Brand) {
	start, end := g.w.Period.From, g.w.Period.To
	noticed := map[string]bool{}
	for _, n := range g.w.Notices {
		noticed[n.ListingID] = true
	}
	cleared := map[string]bool{}
	for _, m := range g.w.Merchants {
		cleared[m.ID] = m.Status == "cleared"
	}
	fakes := map[string][]*anxin.Listing{}
	top := ""
	for _, l := range g.w.Listings {
		if _, branded := brandOf[l.Brand]; !branded || g.w.Truth.Listings[l.ID].Violation != ViolationCounterfeit {
			continue
		}
		m := l.MerchantID
		if cleared[m] {
			continue
		}
		fakes[m] = append(fakes[m], l)
		if len(fakes[m]) > len(fakes[top]) || len(fakes[m]) == len(fakes[top]) && m < top {
			top = m
		}
	}
	if top == "" {
		return
	}
	last := end.Add(-9 * day) // leaves the review and the counter-notice time inside the period
	notice := func(l *anxin.Listing, from time.Time) time.Time {
		b := brandOf[l.Brand]
		if from.Before(start) {
			from = start
		}
		at := from.Add(g.between(time.Hour, max(2*time.Hour, last.Sub(from))))
		add(l.ID, Notice{RightsHolderID: b.OwnerID, Brand: b.Name, MerchantID: l.MerchantID, At: at,
			Reason:    "trademark.fake.zjdb",
			Evidence:  []NoticeEvidence{{Kind: "images", Ref: l.ImageHashes[0]}, {Kind: "text", Ref: "正品与涉案商品对比：标识位置、字体与防伪码不符"}},
			Statement: "该店铺反复销售假冒我方注册商标的商品，请予以删除。"}, true)
		return at
	}
	relisted := 0
	for _, l := range fakes[top] {
		if noticed[l.ID] {
			continue
		}
		at := notice(l, l.UpdatedAt)
		if relisted < 2 && at.Before(last.Add(-2*day)) {
			// The shop puts the product up again a day or two after the
			// takedown, under a new listing.
			relisted++
			c := *l
			c.ID = fmt.Sprintf("lst_%06d", len(g.w.Listings)+1)
			c.UpdatedAt = at.Add(g.between(day, 2*day))
			c.ImageHashes = slices.Clone(l.ImageHashes)
			g.w.Listings = append(g.w.Listings, &c)
			g.w.Truth.Listings[c.ID] = g.w.Truth.Listings[l.ID]
			notice(&c, c.UpdatedAt)
		}
	}
}
