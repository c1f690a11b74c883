package enforcement

import (
	"fmt"
	"strconv"
	"time"

	"anxin"
)

// Governance points: rules add points on the general or serious track (and
// count counterfeit findings); reaching a node of a track's ladder issues
// that node's sanctions once per cycle. General and serious points reset
// every calendar year in marketplace time; counterfeit findings count over
// a rolling 365 days. See doc/enforcement.md for the ladder's reasons.

// Tracks, in the order nodes are fired.
var Tracks = []string{"general", "serious", "counterfeit"}

// Node is a threshold on a track and the sanctions it issues.
type Node struct {
	At      int
	Actions []anxin.EnforcementAction
}

// Ladder holds the default nodes of each track.
var Ladder = map[string][]Node{
	"general": {
		{12, []anxin.EnforcementAction{{Type: anxin.SanctionRestrictListing, Days: 7}}},
		{24, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 7}, {Type: anxin.SanctionRestrictListing, Days: 14}}},
		{36, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 14}}},
		{48, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 21}}},
	},
	"serious": {
		{12, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 7}, {Type: anxin.SanctionRestrictListing, Days: 7}}},
		{24, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 14}, {Type: anxin.SanctionRestrictListing, Days: 14}}},
		{36, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 21}, {Type: anxin.SanctionFreezePayout, Days: 30}}},
		{48, []anxin.EnforcementAction{{Type: anxin.SanctionClearOut}, {Type: anxin.SanctionDeductDeposit}}},
	},
	"counterfeit": {
		{2, []anxin.EnforcementAction{{Type: anxin.SanctionShieldShop, Days: 30}}},
		{3, []anxin.EnforcementAction{{Type: anxin.SanctionClearOut}}},
	},
}

// CycleStart is the start of the points cycle containing t: 1 January,
// marketplace time.
func CycleStart(t time.Time) time.Time {
	l := t.In(anxin.MarketplaceTZ)
	return time.Date(l.Year(), 1, 1, 0, 0, 0, 0, anxin.MarketplaceTZ).UTC()
}

// CycleKey names the cycle containing t ("2026").
func CycleKey(t time.Time) string { return t.In(anxin.MarketplaceTZ).Format("2006") }

// CounterfeitWindow is how far back counterfeit findings count.
const CounterfeitWindow = 365 * 24 * time.Hour

// Totals are a merchant's points this cycle, and its violations and
// counterfeit findings in the last 365 days.
type Totals struct {
	General, Serious, Counterfeit, Violations int
}

// Add counts one violation recorded at `at` for totals read at now: its
// points if it falls in now's cycle, the violation and its counterfeit
// finding if it falls in the last 365 days.
func (t *Totals) Add(track string, points int, counterfeit bool, at, now time.Time) {
	if !at.Before(CycleStart(now)) {
		switch track {
		case "general":
			t.General += points
		case "serious":
			t.Serious += points
		}
	}
	if !at.Before(now.Add(-CounterfeitWindow)) {
		t.Violations++
		if counterfeit {
			t.Counterfeit++
		}
	}
}

// Of returns the total on a track.
func (t Totals) Of(track string) int {
	switch track {
	case "general":
		return t.General
	case "serious":
		return t.Serious
	case "counterfeit":
		return t.Counterfeit
	}
	return 0
}

// Points returns the totals as the API shows them.
func (t Totals) Points() anxin.EnforcementPoints {
	return anxin.EnforcementPoints{General: t.General, Serious: t.Serious, Counterfeit: t.Counterfeit}
}

// Reached is a node the totals reach that has not fired this cycle.
type Reached struct {
	Track  string
	Node   Node
	Cause  string // "serious:12"
	Reason string // the user-facing reason of its statement
}

// NodesReached returns, track by track in ladder order, the nodes the
// totals reach that are not in fired (keyed by Cause).
func NodesReached(t Totals, fired map[string]bool) []Reached {
	var out []Reached
	for _, track := range Tracks {
		total := t.Of(track)
		for _, n := range Ladder[track] {
			if total < n.At {
				break
			}
			cause := track + ":" + strconv.Itoa(n.At)
			if fired[cause] {
				continue
			}
			reason := fmt.Sprintf("The shop reached %d %s points this cycle; the sanctions for that threshold apply.", n.At, track)
			if track == "counterfeit" {
				reason = fmt.Sprintf("The shop has %d counterfeit findings in 365 days; the sanctions for that threshold apply.", n.At)
			}
			out = append(out, Reached{Track: track, Node: n, Cause: cause, Reason: reason})
		}
	}
	return out
}

// FiredNode is a node that fired this cycle, with its statement.
type FiredNode struct {
	Track       string
	At          int
	StatementID string
}

// NodesToLift returns the fired nodes whose track total is now below them
// (after an overturned appeal removed points): their sanctions are lifted
// and the node may fire again.
func NodesToLift(t Totals, fired []FiredNode) []FiredNode {
	var out []FiredNode
	for _, n := range fired {
		if t.Of(n.Track) < n.At {
			out = append(out, n)
		}
	}
	return out
}
