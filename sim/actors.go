package sim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"anxin"
)

// Identity attribute keys on merchants and influencers. Values are opaque
// hashes; shared values link entities in the relation network.
var attributeKeys = []string{"legal_entity", "phone", "bank_account", "payout_account", "address", "device", "ip", "warehouse"}

// reregistrationKeys are the attributes a re-registered shop may reuse.
var reregistrationKeys = []string{"legal_entity", "phone", "bank_account", "payout_account", "address", "device"}

// ringKeys are the attributes ring members share with each other.
var ringKeys = []string{"payout_account", "device", "warehouse", "legal_entity", "bank_account", "ip"}

const day = 24 * time.Hour

func (g *gen) brands() {
	for i, b := range brandNames {
		base := products[b.category][g.r.IntN(len(products[b.category]))].price
		br := Brand{
			Name: b.name, Category: b.category, OwnerID: fmt.Sprintf("rh_%02d", i+1),
			ReferencePriceFen: base * int64(2+g.r.IntN(4)),
		}
		for range 3 {
			br.ImageHashes = append(br.ImageHashes, g.imageHash())
		}
		// Counterfeiters reuse the brand's own photos and their own.
		g.w.Truth.CounterfeitImages[b.name] = []string{br.ImageHashes[0], br.ImageHashes[1], g.imageHash(), g.imageHash()}
		g.w.Brands = append(g.w.Brands, br)
	}
}

// brandsIn returns the indexes of brands in a category.
func (g *gen) brandsIn(cat string) []int {
	var out []int
	for i, b := range g.w.Brands {
		if b.Category == cat {
			out = append(out, i)
		}
	}
	return out
}

// freshAttributes returns a full set of unique identity attributes.
func (g *gen) freshAttributes() map[string]string {
	m := make(map[string]string, len(attributeKeys))
	for _, k := range attributeKeys {
		m[k] = g.hash()
	}
	return m
}

var shopPrefixes = []string{"优品", "臻选", "好物", "悦享", "鲜果", "潮流", "居家", "美妆", "数码", "运动", "星辰", "小满", "禾木", "初见"}
var shopSuffixes = []string{"旗舰店", "专营店", "小店", "工作室", "优选店", "生活馆"}

func (g *gen) shopName() string {
	return pick(g, shopPrefixes) + pick(g, shopSuffixes) + fmt.Sprintf("%d", 1+g.r.IntN(999))
}

func (g *gen) merchants() {
	total := 200 * g.n
	badTarget := total / 10
	perm := g.r.Perm(total)
	next := 0
	newMerchant := func(onboarded time.Time, cats []string) *anxin.Merchant {
		m := &anxin.Merchant{
			ID: fmt.Sprintf("mer_%05d", perm[next]+1), Name: g.shopName(), Status: "active",
			Categories: cats, Attributes: g.freshAttributes(), OnboardedAt: onboarded, UpdatedAt: onboarded,
		}
		next++
		g.w.Merchants = append(g.w.Merchants, m)
		return m
	}
	start, days := g.cfg.Start, g.cfg.Days
	brandCats := []string{"beauty", "apparel", "shoes", "bags", "electronics", "jewelry"}
	g.cfMerchant = map[string]bool{}
	g.lateRate = map[string]float64{}

	// Rings of bad merchants.
	bad := 0
	for ring := 1; bad < badTarget; ring++ {
		rid := fmt.Sprintf("r_%03d", ring)
		size := 2 + g.r.IntN(4)
		if size > badTarget-bad {
			size = max(badTarget-bad, 1)
		}
		var members []*anxin.Merchant
		cat := pick(g, brandCats)
		for i := 0; i < size; i++ {
			m := newMerchant(start.Add(-g.between(30*day, 700*day)), []string{cat})
			if i > 0 {
				// Share one ring attribute with an earlier member.
				k := pick(g, ringKeys)
				m.Attributes[k] = members[g.r.IntN(len(members))].Attributes[k]
			}
			members = append(members, m)
			g.w.Truth.BadMerchants[m.ID] = MerchantTruth{Ring: rid}
			g.cfMerchant[m.ID] = true
			g.lateRate[m.ID] = 0.2
			bad++
		}
		// Every other ring had a shop cleared before the period that comes
		// back under a new id during it, reusing one identity value.
		if ring%2 == 1 && bad < badTarget {
			old := members[0]
			old.Status = "cleared"
			old.UpdatedAt = start.Add(-g.between(day, 60*day))
			m := newMerchant(start.Add(g.between(0, time.Duration(days)*day/2)), []string{cat})
			k := pick(g, reregistrationKeys)
			m.Attributes[k] = old.Attributes[k]
			members = append(members, m)
			g.w.Truth.BadMerchants[m.ID] = MerchantTruth{Ring: rid, ReregistrationOf: old.ID, SharedAttribute: k}
			g.cfMerchant[m.ID] = true
			g.lateRate[m.ID] = 0.2
			bad++
		}
		for _, m := range members {
			g.w.Truth.Rings[rid] = append(g.w.Truth.Rings[rid], m.ID)
		}
	}

	// Clean merchants; some use a shared third-party warehouse.
	hubs := make([]string, 3*g.n)
	for i := range hubs {
		hubs[i] = g.hash()
		g.w.Truth.CommonValues[hubs[i]] = true
	}
	for next < total {
		cats := []string{pick(g, categories)}
		if g.chance(0.3) {
			if c := pick(g, categories); c != cats[0] {
				cats = append(cats, c)
			}
		}
		m := newMerchant(start.Add(-g.between(30*day, 1000*day)), cats)
		if g.chance(0.15) {
			m.Attributes["warehouse"] = pick(g, hubs)
		}
		g.lateRate[m.ID] = 0.03
		if g.chance(0.15) {
			g.lateRate[m.ID] = 0.15 // a sloppy but honest shop
		}
	}
	sort.Slice(g.w.Merchants, func(i, j int) bool { return g.w.Merchants[i].ID < g.w.Merchants[j].ID })
	g.merchant = make(map[string]*anxin.Merchant, total)
	for _, m := range g.w.Merchants {
		g.merchant[m.ID] = m
	}

	// Authorised sellers: one to three clean, active merchants per brand.
	for i := range g.w.Brands {
		b := &g.w.Brands[i]
		var cands []string
		for _, m := range g.w.Merchants {
			if _, isBad := g.w.Truth.BadMerchants[m.ID]; !isBad && slices.Contains(m.Categories, b.Category) {
				cands = append(cands, m.ID)
			}
		}
		for range 1 + g.r.IntN(3) {
			if len(cands) == 0 {
				break
			}
			j := g.r.IntN(len(cands))
			if !slices.Contains(b.AuthorisedSellers, cands[j]) {
				b.AuthorisedSellers = append(b.AuthorisedSellers, cands[j])
			}
		}
		sort.Strings(b.AuthorisedSellers)
	}
}

func (g *gen) influencers() {
	total := 20 * g.n
	rings := make([]string, 0, len(g.w.Truth.Rings))
	for rid := range g.w.Truth.Rings {
		rings = append(rings, rid)
	}
	sort.Strings(rings)
	for i := range total {
		in := &anxin.Influencer{
			ID:        fmt.Sprintf("inf_%04d", i+1),
			Name:      pick(g, []string{"小", "阿", "大", "甜", "酷"}) + string(pick(g, givenName)) + pick(g, []string{"好物分享", "的直播间", "严选", "说美妆", "爱穿搭", "测评"}),
			Followers: int64(math.Pow(10, 3+4*g.r.Float64())),
			Attributes: map[string]string{
				"phone": g.hash(), "device": g.hash(), "payout_account": g.hash(),
			},
			UpdatedAt: g.cfg.Start.Add(-g.between(day, 300*day)),
		}
		if g.chance(0.15) && len(rings) > 0 {
			g.w.Truth.BadInfluencers[in.ID] = true
			// Paid through a ring member's account.
			members := g.w.Truth.Rings[pick(g, rings)]
			in.Attributes["payout_account"] = g.merchant[members[g.r.IntN(len(members))]].Attributes["payout_account"]
		}
		g.w.Influencers = append(g.w.Influencers, in)
	}
}

func (g *gen) buyers() {
	total := 3000 * g.n
	g.phones = make(map[string]bool, total)
	for i := range total {
		b := &anxin.Buyer{ID: fmt.Sprintf("buy_%07d", i+1), Standing: "good", UpdatedAt: g.cfg.Start.Add(-g.between(day, 700*day))}
		if g.chance(0.02) {
			g.w.Truth.FraudulentBuyers[b.ID] = true
		}
		g.w.Buyers = append(g.w.Buyers, b)
		g.w.PII[b.ID] = g.pii()
	}
}

// pii returns a synthetic name, a unique phone number and an address.
func (g *gen) pii() PII {
	name := string(pick(g, surnames)) + string(pick(g, givenName))
	if g.chance(0.6) {
		name += string(pick(g, givenName))
	}
	var phone string
	for {
		phone = fmt.Sprintf("1%d%09d", 3+g.r.IntN(7), g.r.IntN(1_000_000_000))
		if !g.phones[phone] {
			g.phones[phone] = true
			break
		}
	}
	p := pick(g, provinces)
	addr := fmt.Sprintf("%s%s%s%s%d号%d栋%d室", p.province, p.city, pick(g, districts), pick(g, streets), 1+g.r.IntN(300), 1+g.r.IntN(30), 101+g.r.IntN(2000))
	return PII{Name: name, Phone: phone, Address: addr}
}
