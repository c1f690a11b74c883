package sim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"anxin"
)

var descriptions = []string{
	"品质保证，支持七天无理由退货。", "现货速发，下单后48小时内发货。", "精选材料，做工精细，细节满分。",
	"多种规格可选，详情请咨询客服。", "适合日常使用，也适合送礼。", "正规渠道进货，假一赔十。",
	"包装精美，物流全程可追踪。", "经典设计，经久耐用。",
}

func (g *gen) listings() {
	g.byMerchant = map[string][]*anxin.Listing{}
	var active []*anxin.Merchant
	for _, m := range g.w.Merchants {
		if m.Status != "cleared" {
			active = append(active, m)
		}
	}
	// About ten listings per active merchant.
	counts := make([]int, len(active))
	total := 0
	for i := range active {
		counts[i] = 3 + g.r.IntN(15)
		total += counts[i]
	}
	perm := g.r.Perm(total)
	next := 0
	start, end := g.w.Period.From, g.w.Period.To
	for i, m := range active {
		for range counts[i] {
			l, tr := g.listing(m)
			l.ID = fmt.Sprintf("lst_%06d", perm[next]+1)
			next++
			// Published before the period, or during it.
			switch {
			case m.OnboardedAt.After(start):
				l.UpdatedAt = m.OnboardedAt.Add(g.between(time.Hour, 3*day))
			case g.chance(0.8):
				l.UpdatedAt = start.Add(-g.between(time.Hour, 90*day))
			default:
				l.UpdatedAt = start.Add(g.between(0, end.Sub(start)*2/3))
			}
			g.w.Listings = append(g.w.Listings, l)
			g.byMerchant[m.ID] = append(g.byMerchant[m.ID], l)
			g.w.Truth.Listings[l.ID] = tr
		}
	}
	sort.Slice(g.w.Listings, func(i, j int) bool { return g.w.Listings[i].ID < g.w.Listings[j].ID })
	g.listingOf = make(map[string]*anxin.Listing, len(g.w.Listings))
	for _, l := range g.w.Listings {
		g.listingOf[l.ID] = l
	}
}

// listing builds one listing for m (without its id) and its truth.
func (g *gen) listing(m *anxin.Merchant) (*anxin.Listing, ListingTruth) {
	cat := pick(g, m.Categories)
	p := pick(g, products[cat])
	tr := ListingTruth{}
	l := &anxin.Listing{
		MerchantID: m.ID, Category: cat, Currency: "CNY", Status: "live",
		PriceFen:   p.price * int64(80+g.r.IntN(41)) / 100,
		Attributes: map[string]string{"ship_promise_hours": "48"},
	}
	if cat == "fresh" || g.chance(0.2) {
		l.Attributes["ship_promise_hours"] = "24"
	}
	title := pick(g, adjectives) + p.name
	desc := pick(g, descriptions) + pick(g, descriptions)
	images := 1 + g.r.IntN(4)
	for range images {
		l.ImageHashes = append(l.ImageHashes, g.imageHash())
	}

	counterfeiter := g.cfMerchant[m.ID]
	brands := g.brandsIn(cat)
	var violation string
	switch {
	case counterfeiter && g.chance(0.65):
		violation = ViolationCounterfeit
		if r := g.r.Float64(); r < 0.12 {
			violation = ViolationDiversion
		} else if r < 0.2 {
			violation = ViolationProhibited
		}
	case !counterfeiter && g.chance(0.04):
		switch r := g.r.Float64(); {
		case r < 0.6:
			violation = ViolationAbsoluteClaim
		case r < 0.85:
			violation = ViolationDiversion
		default:
			violation = ViolationProhibited
		}
	}

	switch {
	case violation == ViolationCounterfeit && len(brands) > 0:
		b := g.w.Brands[pick(g, brands)]
		tr.Brand = b.Name
		l.Brand = b.Name
		l.PriceFen = b.ReferencePriceFen * int64(5+g.r.IntN(31)) / 100
		title = b.Name + " " + title
		base := g.w.Truth.CounterfeitImages[b.Name]
		for i := range l.ImageHashes {
			l.ImageHashes[i] = g.nearCopy(pick(g, base), 6)
		}
		// Most carry coded language; the rest are silent copies that only
		// brand, price and images give away.
		if g.chance(0.7) {
			title, desc, tr = g.plantTerm(violation, title, desc, tr)
		}
	case violation != "":
		title, desc, tr = g.plantTerm(violation, title, desc, tr)
	default:
		// Clean: an authorised seller uses its brand; some titles hold an
		// innocent look-alike.
		for _, bi := range brands {
			b := g.w.Brands[bi]
			if slices.Contains(b.AuthorisedSellers, m.ID) && g.chance(0.5) {
				l.Brand = b.Name
				tr.Brand = b.Name
				title = b.Name + " " + title
				l.PriceFen = b.ReferencePriceFen * int64(85+g.r.IntN(21)) / 100
				l.ImageHashes[0] = b.ImageHashes[g.r.IntN(len(b.ImageHashes))]
				break
			}
		}
		if g.chance(0.12) {
			var fits []string
			for _, la := range lookAlikes {
				if la.category == cat {
					fits = append(fits, la.text)
				}
			}
			if len(fits) > 0 {
				la := pick(g, fits)
				title = la + " " + title
				tr.LookAlike = la
			}
		}
	}
	if violation != "" {
		tr.Violation = violation
	}
	tr.Substandard = g.substandard(cat, violation == ViolationCounterfeit)
	l.Title, l.Description = title, desc
	return l, tr
}

// plantTerm writes a term of the violation category into the title or the
// description, evasively or not.
func (g *gen) plantTerm(violation, title, desc string, tr ListingTruth) (string, string, ListingTruth) {
	text, c, evasion := g.violationPhrase(violation, 0.45)
	tr.Term = c
	if evasion != "" {
		tr.Evasive, tr.Evasion = true, evasion
	}
	if g.chance(0.7) {
		title = title + " " + text
	} else {
		desc = desc + text + "。"
	}
	return title, desc, tr
}

// handle returns an off-platform contact handle.
func (g *gen) handle() string {
	const letters = "abcdefghjkmnpqrstuvwxyz"
	var b strings.Builder
	for range 6 {
		b.WriteByte(letters[g.r.IntN(len(letters))])
	}
	return fmt.Sprintf("%s%d", b.String(), 10+g.r.IntN(90))
}

// labTests are the tests a sample of a category can fail.
var labTests = map[string][]string{
	"beauty":        {"heavy_metals", "banned_ingredients", "microbial_limits"},
	"personal_care": {"microbial_limits", "preservatives"},
	"apparel":       {"formaldehyde", "azo_dyes", "fibre_content"},
	"shoes":         {"formaldehyde", "sole_peel_strength"},
	"bags":          {"formaldehyde", "azo_dyes"},
	"electronics":   {"battery_safety", "electrical_safety", "emc"},
	"food_beverage": {"pesticide_residue", "additives", "microbial_limits"},
	"fresh":         {"pesticide_residue", "veterinary_drugs"},
	"home":          {"fluorescent_agent", "food_contact_migration"},
	"toys":          {"small_parts", "phthalates", "heavy_metals"},
	"plants":        {"pests"},
	"jewelry":       {"precious_metal_fineness", "nickel_release"},
	"sports":        {"phthalates", "tensile_strength"},
}

// substandard decides whether a listing's product fails a lab test: 6 % of
// genuine products, 45 % of counterfeits.
func (g *gen) substandard(cat string, counterfeit bool) string {
	p := 0.06
	if counterfeit {
		p = 0.45
	}
	if !g.chance(p) {
		return ""
	}
	return pick(g, labTests[cat])
}

// unregisteredSellers adds the genuine listings of sellers whom a brand
// authorised shortly before the period but whose authorisation the brand
// registry the platform keeps does not list yet (registries lag the
// letters brands issue). Two to four brands have one such seller each,
// a clean active shop of the brand's category, which publishes two or
// three listings of the brand between a sixth and two thirds into the period
// at its usual price with the brand's own photos. They run after every
// other draw, so the rest of the world is what it would be without them.
func (g *gen) unregisteredSellers() {
	start, span := g.w.Period.From, g.w.Period.To.Sub(g.w.Period.From)
	next := len(g.w.Listings)
	order := g.r.Perm(len(g.w.Brands))
	for _, bi := range order[:min(len(order), 2+g.r.IntN(3))] {
		b := &g.w.Brands[bi]
		var cands []*anxin.Merchant
		for _, m := range g.w.Merchants {
			if _, bad := g.w.Truth.BadMerchants[m.ID]; !bad && !g.cfMerchant[m.ID] && m.Status != "cleared" &&
				slices.Contains(m.Categories, b.Category) && !slices.Contains(b.AuthorisedSellers, m.ID) {
				cands = append(cands, m)
			}
		}
		if len(cands) == 0 {
			continue
		}
		m := pick(g, cands)
		for range 2 + g.r.IntN(2) {
			p := pick(g, products[b.Category])
			next++
			l := &anxin.Listing{
				ID: fmt.Sprintf("lst_%06d", next), MerchantID: m.ID, Category: b.Category, Currency: "CNY", Status: "live",
				Brand: b.Name, Title: b.Name + " " + pick(g, adjectives) + p.name,
				Description: pick(g, descriptions) + "品牌方授权经销，正品保障。",
				PriceFen:    b.ReferencePriceFen * int64(85+g.r.IntN(21)) / 100,
				ImageHashes: []string{b.ImageHashes[g.r.IntN(len(b.ImageHashes))], g.imageHash()},
				Attributes:  map[string]string{"ship_promise_hours": "48"},
				UpdatedAt:   start.Add(g.between(span/6, span*2/3)),
			}
			g.w.Listings = append(g.w.Listings, l)
			g.listingOf[l.ID] = l
			g.byMerchant[m.ID] = append(g.byMerchant[m.ID], l)
			g.w.Truth.Listings[l.ID] = ListingTruth{Brand: b.Name, Unregistered: true, Substandard: g.substandard(b.Category, false)}
		}
	}
}
