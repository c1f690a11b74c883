// Package graph is the relation network: entities (merchants, influencers,
// buyers, listings) that share identity attributes (legal entity, phone,
// bank or payout account, address, device, IP, image, warehouse) are linked,
// and linked entities form clusters that carry risk from their members.
//
// Clusters update incrementally as attributes arrive (union–find with member
// lists merged smaller-into-larger). An attribute value shared by more than
// Graph.HubCap entities — a courier depot's address, a mall's Wi-Fi IP — is a
// hub: it stops linking, so one common value cannot merge the marketplace
// into one cluster. When a value becomes a hub after it already linked
// entities, the clusters are rebuilt without it.
//
//	g := graph.New()
//	g.AddAttribute(graph.Node{Kind: "merchant", ID: "m1"}, "bank_account", "h:9f2…")
//	g.AddAttribute(graph.Node{Kind: "merchant", ID: "m2"}, "bank_account", "h:9f2…")
//	g.SetRisk(graph.Node{Kind: "merchant", ID: "m1"}, 1, "cleared out")
//	c := g.Cluster(graph.Node{Kind: "merchant", ID: "m2"}) // both, with the shared account as evidence
//
// A Graph is not safe for concurrent mutation; guard it with a sync.RWMutex
// (reads may run concurrently with each other).
package graph

import (
	"sort"
)

// Node identifies an entity.
type Node struct {
	Kind string `json:"kind"` // merchant, influencer, buyer, listing
	ID   string `json:"id"`
}

// Weights are how strongly sharing one value of an attribute type links two
// entities, used to propagate risk: sharing a legal entity is near-certain
// common control; sharing an IP is weak evidence.
var Weights = map[string]float64{
	"legal_entity":   1.0,
	"bank_account":   0.9,
	"payout_account": 0.9,
	"phone":          0.8,
	"device":         0.7,
	"address":        0.5,
	"warehouse":      0.5,
	"image":          0.4,
	"ip":             0.3,
}

// DefaultWeight applies to attribute types not in Weights.
const DefaultWeight = 0.3

// DefaultHubCap is the default Graph.HubCap.
const DefaultHubCap = 50

type attrKey struct {
	typ, value string
}

type entity struct {
	node   Node
	attrs  []int32 // attribute value ids
	risk   float64
	reason string
}

// value is one attribute value. Most values have one holder, so the first
// holder is stored inline and further holders live in Graph.more.
type value struct {
	key   attrKey
	first int32 // first holder; -1 once the value is a hub
	count int32
	hub   bool
}

// Graph is the relation network.
type Graph struct {
	// HubCap is the number of entities above which a shared value stops
	// linking (default DefaultHubCap).
	HubCap int

	ents   []entity
	byNode map[Node]int32
	vals   []value
	byVal  map[attrKey]int32

	more    map[int32][]int32 // value id → holders after the first (non-hub values)
	parent  []int32
	size    []int32
	members map[int32][]int32 // root → member entity ids, for clusters of two or more
}

// New returns an empty graph.
func New() *Graph { return NewSized(0, 0) }

// NewSized returns an empty graph with room for about the given numbers of
// entities and attribute values, which saves regrowing when bulk loading.
func NewSized(entities, values int) *Graph {
	return &Graph{
		HubCap: DefaultHubCap,
		ents:   make([]entity, 0, entities), byNode: make(map[Node]int32, entities),
		vals: make([]value, 0, values), byVal: make(map[attrKey]int32, values),
		parent: make([]int32, 0, entities), size: make([]int32, 0, entities),
		more: map[int32][]int32{}, members: map[int32][]int32{},
	}
}

// clusterMembers returns the members of the cluster rooted at root.
func (g *Graph) clusterMembers(root int32) []int32 {
	if m, ok := g.members[root]; ok {
		return m
	}
	return []int32{root}
}

// Len returns the number of entities.
func (g *Graph) Len() int { return len(g.ents) }

func (g *Graph) entityID(n Node) int32 {
	if id, ok := g.byNode[n]; ok {
		return id
	}
	id := int32(len(g.ents))
	g.ents = append(g.ents, entity{node: n})
	g.byNode[n] = id
	g.parent = append(g.parent, id)
	g.size = append(g.size, 1)
	return id
}

// Touch adds an entity with no attributes (so it can carry risk).
func (g *Graph) Touch(n Node) { g.entityID(n) }

func (g *Graph) find(x int32) int32 {
	for g.parent[x] != x {
		g.parent[x] = g.parent[g.parent[x]]
		x = g.parent[x]
	}
	return x
}

func (g *Graph) union(a, b int32) {
	ra, rb := g.find(a), g.find(b)
	if ra == rb {
		return
	}
	if g.size[ra] < g.size[rb] {
		ra, rb = rb, ra
	}
	g.parent[rb] = ra
	g.size[ra] += g.size[rb]
	g.members[ra] = append(g.clusterMembers(ra), g.clusterMembers(rb)...)
	delete(g.members, rb)
}

// AddAttribute records that n holds the attribute value (typ, v) and links
// n with every other holder of the same value, unless the value is a hub.
// Values should be hashes or opaque tokens, never plaintext personal data.
// Empty values are ignored. It reports whether the value just became a hub
// (which rebuilt the clusters).
func (g *Graph) AddAttribute(n Node, typ, v string) (becameHub bool) {
	if v == "" || typ == "" {
		return false
	}
	e := g.entityID(n)
	k := attrKey{typ, v}
	vid, ok := g.byVal[k]
	if !ok {
		vid = int32(len(g.vals))
		g.vals = append(g.vals, value{key: k, first: e, count: 1})
		g.byVal[k] = vid
		g.ents[e].attrs = append(g.ents[e].attrs, vid)
		return false
	}
	for _, a := range g.ents[e].attrs {
		if a == vid {
			return false // already held
		}
	}
	g.ents[e].attrs = append(g.ents[e].attrs, vid)
	val := &g.vals[vid]
	val.count++
	if val.hub {
		return false
	}
	if int(val.count) > g.hubCap() {
		val.hub = true
		delete(g.more, vid)
		g.rebuild()
		return true
	}
	g.union(e, val.first)
	g.more[vid] = append(g.more[vid], e)
	return false
}

func (g *Graph) hubCap() int {
	if g.HubCap <= 0 {
		return DefaultHubCap
	}
	return g.HubCap
}

// rebuild recomputes the clusters from scratch without hub values.
func (g *Graph) rebuild() {
	for i := range g.parent {
		g.parent[i] = int32(i)
		g.size[i] = 1
	}
	g.members = map[int32][]int32{}
	for vid, rest := range g.more {
		for _, m := range rest {
			g.union(m, g.vals[vid].first)
		}
	}
}

// SetRisk sets an entity's own risk in [0,1] and the reason (e.g. "cleared
// out for counterfeits"). Risk flows to linked entities through Risk.
func (g *Graph) SetRisk(n Node, risk float64, reason string) {
	e := g.entityID(n)
	g.ents[e].risk = min(max(risk, 0), 1)
	g.ents[e].reason = reason
}

// Hubs returns the attribute values that no longer link, largest first.
func (g *Graph) Hubs() []Attribute {
	var out []Attribute
	for _, v := range g.vals {
		if v.hub {
			out = append(out, Attribute{Type: v.key.typ, Value: v.key.value, Holders: int(v.count)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Holders > out[j].Holders })
	return out
}

// Attribute is a shared value.
type Attribute struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	Holders int    `json:"holders"`
}

// Link is the evidence that two entities are connected: the shared value.
type Link struct {
	A      Node    `json:"a"`
	B      Node    `json:"b"`
	Type   string  `json:"type"`
	Value  string  `json:"value"`
	Weight float64 `json:"weight"`
}

// Member is one entity of a cluster with its own and inherited risk.
type Member struct {
	Node     Node    `json:"node"`
	OwnRisk  float64 `json:"own_risk"`
	Reason   string  `json:"reason,omitempty"`
	Risk     float64 `json:"risk"`                // inherited: max over risky members of their risk × path strength
	RiskFrom *Node   `json:"risk_from,omitempty"` // the member the inherited risk comes from
	Path     []Link  `json:"path,omitempty"`      // the strongest chain of links from RiskFrom
}

// Cluster is a connected group of entities with the evidence of each link.
type Cluster struct {
	Root    Node     `json:"root"`
	Members []Member `json:"members"`
	Links   []Link   `json:"links"`
	Risk    float64  `json:"risk"` // the highest member risk
}

// Cluster returns n's cluster with every link between its members. An
// unknown node returns a cluster of itself with no links. The caller owns
// the result.
func (g *Graph) Cluster(n Node) Cluster {
	e, ok := g.byNode[n]
	if !ok {
		return Cluster{Root: n, Members: []Member{{Node: n}}}
	}
	root := g.find(e)
	ids := g.clusterMembers(root)
	c := Cluster{Root: g.ents[root].node}
	// Links: for every non-hub value held by cluster members, connect each
	// holder to the first holder (a star per value keeps the evidence
	// linear in size while still showing every shared value).
	adj := map[int32][]edge{}
	seenVal := map[int32]bool{}
	for _, id := range ids {
		for _, vid := range g.ents[id].attrs {
			v := &g.vals[vid]
			if v.hub || seenVal[vid] || v.count < 2 {
				continue
			}
			seenVal[vid] = true
			w := weightOf(v.key.typ)
			first := v.first
			for _, m := range g.more[vid] {
				l := Link{A: g.ents[first].node, B: g.ents[m].node, Type: v.key.typ, Value: v.key.value, Weight: w}
				c.Links = append(c.Links, l)
				adj[first] = append(adj[first], edge{to: m, link: l})
				adj[m] = append(adj[m], edge{to: first, link: l})
			}
		}
	}
	sort.Slice(c.Links, func(i, j int) bool {
		if c.Links[i].Type != c.Links[j].Type {
			return c.Links[i].Type < c.Links[j].Type
		}
		return c.Links[i].B.ID < c.Links[j].B.ID
	})
	inherited := g.propagate(ids, adj)
	for _, id := range ids {
		en := g.ents[id]
		m := Member{Node: en.node, OwnRisk: en.risk, Reason: en.reason, Risk: en.risk}
		if r, ok := inherited[id]; ok && r.risk > m.Risk {
			from := g.ents[r.from].node
			m.Risk, m.RiskFrom, m.Path = r.risk, &from, r.path
		}
		c.Risk = max(c.Risk, en.risk)
		c.Members = append(c.Members, m)
	}
	sort.Slice(c.Members, func(i, j int) bool {
		if c.Members[i].Node.Kind != c.Members[j].Node.Kind {
			return c.Members[i].Node.Kind < c.Members[j].Node.Kind
		}
		return c.Members[i].Node.ID < c.Members[j].Node.ID
	})
	return c
}

// Risk returns n's inherited risk (its own, or the strongest risk reaching it
// through links) and the evidence path. It is what onboarding and
// publish-time checks ask: "is this new shop linked to a cleared-out one?"
func (g *Graph) Risk(n Node) Member {
	c := g.Cluster(n)
	for _, m := range c.Members {
		if m.Node == n {
			return m
		}
	}
	return Member{Node: n}
}

type edge struct {
	to   int32
	link Link
}

type reach struct {
	risk float64
	from int32
	path []Link
}

// propagate finds, for every member, the strongest risk reaching it: the max
// over risky sources s of risk(s) × product of link weights along the
// strongest path (a max-product Dijkstra; weights ≤ 1 keep it monotone).
func (g *Graph) propagate(ids []int32, adj map[int32][]edge) map[int32]reach {
	best := map[int32]reach{}
	var frontier []int32
	for _, id := range ids {
		if r := g.ents[id].risk; r > 0 {
			best[id] = reach{risk: r, from: id}
			frontier = append(frontier, id)
		}
	}
	done := map[int32]bool{}
	for len(frontier) > 0 {
		// pick the strongest unfinished node (clusters are small; a linear
		// pick keeps this simple)
		bi := 0
		for i, id := range frontier {
			if best[id].risk > best[frontier[bi]].risk {
				bi = i
			}
		}
		cur := frontier[bi]
		frontier = append(frontier[:bi], frontier[bi+1:]...)
		if done[cur] {
			continue
		}
		done[cur] = true
		cr := best[cur]
		for _, e := range adj[cur] {
			r := cr.risk * e.link.Weight
			if old, ok := best[e.to]; !ok || r > old.risk {
				p := append(append([]Link(nil), cr.path...), e.link)
				best[e.to] = reach{risk: r, from: cr.from, path: p}
				frontier = append(frontier, e.to)
			}
		}
	}
	return best
}

func weightOf(typ string) float64 {
	if w, ok := Weights[typ]; ok {
		return w
	}
	return DefaultWeight
}

// ClusterSize returns the number of members in n's cluster (1 for unknown
// nodes) without building the evidence.
func (g *Graph) ClusterSize(n Node) int {
	e, ok := g.byNode[n]
	if !ok {
		return 1
	}
	return int(g.size[g.find(e)])
}

// Reregistration is a merchant caught linked to a cleared-out one: the
// shop it re-registers, the inherited risk and the chain of shared values.
type Reregistration struct {
	MerchantID string  `json:"merchant_id"`
	LinkedTo   string  `json:"linked_to"`
	Risk       float64 `json:"risk"`
	Path       []Link  `json:"path"`
}
