package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin/governance"
)

// corpusFloors are the regression floors of the default engine on the
// held-out sets: the figures it achieves today, rounded down (recall) or up
// (false-positive rate). Raise them as detection improves; the targets are
// recall ≥ 0.90 and FPR ≤ 0.005. test.jsonl was written with the corpus
// and has been measured many times; heldout2.jsonl and heldout3.jsonl were
// written later by people who never saw the engine (heldout2's weak classes
// were then named to detection work; heldout3 has been measured only), and
// give the honest figures. heldout4.jsonl, written later still by a writer
// who read only the corpus README, is run for its aggregate figures only:
// nobody tuning detection reads its texts or per-item results.
var corpusFloors = map[string]struct {
	recallFlagged, recallBlocked, maxFPR float64
}{
	"test":     {recallFlagged: 0.97, recallBlocked: 0.955, maxFPR: 0.005},
	"heldout2": {recallFlagged: 0.64, recallBlocked: 0.595, maxFPR: 0.027},
	"heldout3": {recallFlagged: 0.69, recallBlocked: 0.65, maxFPR: 0.019},
	"heldout4": {recallFlagged: 0.63, recallBlocked: 0.565, maxFPR: 0.041},
}

func TestCorpus(t *testing.T) {
	for _, name := range []string{"dev", "test", "heldout2", "heldout3", "heldout4"} {
		t.Run(name, func(t *testing.T) {
			items := readCorpus(t, name)
			examples := 5
			if name == "heldout4" {
				examples = 0 // aggregate figures only (see corpusFloors)
			}
			s := Run(defaultEngine(t), items, Options{Examples: examples})
			t.Logf("%s: %d items (%d violations, %d clean)\n%s", name, s.Items, s.Violations, s.Clean, table(s))
			floor, ok := corpusFloors[name]
			if !ok {
				return
			}
			if s.Flagged.Recall < floor.recallFlagged {
				t.Errorf("recall (blocked or review) = %.4f; want ≥ %.4f", s.Flagged.Recall, floor.recallFlagged)
			}
			if s.Blocked.Recall < floor.recallBlocked {
				t.Errorf("recall (blocked) = %.4f; want ≥ %.4f", s.Blocked.Recall, floor.recallBlocked)
			}
			if s.Flagged.FPR > floor.maxFPR {
				t.Errorf("false-positive rate (blocked or review) = %.4f; want ≤ %.4f", s.Flagged.FPR, floor.maxFPR)
			}
		})
	}
}

func readCorpus(t testing.TB, name string) []Item {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "eval", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := Parse(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func defaultEngine(t testing.TB) *governance.Engine {
	t.Helper()
	p, err := governance.DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func table(s *Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "overall  blocked: P %.3f R %.3f FPR %.4f | blocked-or-review: P %.3f R %.3f FPR %.4f\n",
		s.Blocked.Precision, s.Blocked.Recall, s.Blocked.FPR, s.Flagged.Precision, s.Flagged.Recall, s.Flagged.FPR)
	for _, l := range s.Labels {
		if l.Label == Clean {
			fmt.Fprintf(&b, "  %-18s n=%4d blocked %d, review-or-block %d\n", l.Label, l.N, l.Blocked, l.Flagged)
			continue
		}
		fmt.Fprintf(&b, "  %-18s n=%4d recall blocked %.3f flagged %.3f precision %.3f (%d/%d) fpr %.4f\n",
			l.Label, l.N, l.RecallBlocked, l.RecallFlagged, l.Precision, l.Correct, l.Predicted, l.FPR)
	}
	return b.String()
}
