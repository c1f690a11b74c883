package classify

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"anxin"
	"anxin/lexicon"
)

// toySet is a separable set: clean texts built from produce words, gambling
// texts from betting words, contact texts from chat-app words, each padded
// with shared filler so the filler carries no signal.
func toySet(n int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(ws []string) string { return ws[r.IntN(len(ws))] }
	clean := []string{"苹果", "香蕉", "草莓礼盒", "新鲜橙子", "有机蔬菜", "fresh pears", "organic kale"}
	gamble := []string{"百家乐", "赌场返水", "下注平台", "casino bonus", "bet now", "押大小"}
	contact := []string{"加我vx", "私聊扣扣", "whatsapp me", "telegram群", "加薇信"}
	filler := []string{"今天", "发货", "包邮", "欢迎", "shop", "优惠"}
	var out []Example
	for i := range n {
		var label, core string
		switch i % 3 {
		case 0:
			label, core = Clean, pick(clean)
		case 1:
			label, core = "gambling", pick(gamble)
		default:
			label, core = "off_platform_contact", pick(contact)
		}
		out = append(out, Example{ID: fmt.Sprint(i), Kind: "comment", Label: label,
			Text: pick(filler) + " " + core + " " + pick(filler)})
	}
	return out
}

func TestTrainLearnsSeparableSet(t *testing.T) {
	m, err := Train(toySet(300, 1), Options{Seed: 1, Bits: 14})
	if err != nil {
		t.Fatal(err)
	}
	mt, err := m.Evaluate(toySet(90, 2))
	if err != nil {
		t.Fatal(err)
	}
	if mt.Accuracy < 0.97 || mt.FalsePositiveRate > 0 {
		t.Errorf("Evaluate(toy holdout) = accuracy %.3f, fpr %.3f; want ≥ 0.97 and 0", mt.Accuracy, mt.FalsePositiveRate)
	}
	tests := []struct {
		text, want string
	}{
		{"包邮 百家乐 欢迎", "gambling"},
		{"今天 加我vx 优惠", "off_platform_contact"},
		{"shop 新鲜橙子 发货", Clean},
	}
	for _, tt := range tests {
		p := m.Classify("comment", []lexicon.Text{lexicon.Normalize(tt.text)})
		if p.Label != tt.want {
			t.Errorf("Classify(%q) = %s (%.3f); want %s", tt.text, p.Label, p.Score, tt.want)
		}
		if tt.want != Clean {
			p.Top = m.Explain("comment", []lexicon.Text{lexicon.Normalize(tt.text)}, p.Label)
			if len(p.Top) == 0 {
				t.Errorf("Classify(%q).Top is empty; want the contributing features", tt.text)
				continue
			}
			// The evidence quotes what was written.
			top := p.Top[0]
			if q := tt.text[top.Start:top.End]; lexicon.Normalize(q).Norm != top.Text {
				t.Errorf("Classify(%q).Top[0] = %q at [%d,%d) quoting %q", tt.text, top.Text, top.Start, top.End, q)
			}
		}
	}
}

func TestTrainIsDeterministicForASeed(t *testing.T) {
	ex := toySet(120, 3)
	enc := func(seed uint64) []byte {
		m, err := Train(ex, Options{Seed: seed, Bits: 12})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := enc(5), enc(5), enc(6)
	if !bytes.Equal(a, b) {
		t.Error("Train twice with seed 5 gave different models")
	}
	if bytes.Equal(a, c) {
		t.Error("Train with seeds 5 and 6 gave the same model; the seed does not reach the order")
	}
}

func TestTrainRejects(t *testing.T) {
	good := toySet(30, 1)
	onlyClean := toySet(30, 1)
	for i := range onlyClean {
		onlyClean[i].Label = Clean
	}
	unknown := toySet(30, 1)
	unknown[4].Label = "spamm"
	tests := []struct {
		name string
		ex   []Example
		o    Options
		want string
	}{
		{"too few", good[:5], Options{}, "Training needs at least 10 labelled examples; got 5."},
		{"only clean", onlyClean, Options{}, "Training needs both clean examples and violations."},
		{"unknown label", unknown, Options{}, `Unknown label "spamm"`},
		{"bits", good, Options{Bits: 30}, "bits must be 10 to 22."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(tt.ex, tt.o)
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.want) {
				t.Errorf("Train() = %v; want Invalid %q", err, tt.want)
			}
		})
	}
}

func TestUnmarshalRejectsDamagedFiles(t *testing.T) {
	m, err := Train(toySet(60, 1), Options{Seed: 1, Bits: 12})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary(MarshalBinary()) = %v", err)
	}
	text := []lexicon.Text{lexicon.Normalize("包邮 百家乐")}
	if got, want := back.Classify("comment", text), m.Classify("comment", text); got.Label != want.Label || got.Score != want.Score {
		t.Errorf("round trip: Classify = %v; want %v", got, want)
	}
	flip := bytes.Clone(b)
	flip[len(flip)/2] ^= 0x40
	version := bytes.Clone(b)
	version[4] = 9
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "The content model file is empty."},
		{"other file", []byte(`{"version":1,"weights":"AAAA"}`), "not an Anxin content model (bad magic)."},
		{"magic only", []byte("AX"), "truncated (2 bytes)."},
		{"truncated", b[:len(b)-100], "truncated or corrupted: its checksum does not match."},
		{"header only", b[:20], "truncated"},
		{"bit flip", flip, "truncated or corrupted: its checksum does not match."},
		{"future format", version, "of format version 9; this binary reads version 1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := back
			err := n.UnmarshalBinary(tt.data)
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.want) {
				t.Errorf("UnmarshalBinary() = %v; want Invalid %q", err, tt.want)
			}
			if n.Examples != back.Examples || len(n.weights) != len(back.weights) {
				t.Error("a rejected file changed the model")
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{"clean": Clean, " Gambling ": "gambling", "firearms": "weapons", "contact": "off_platform_contact"} {
		if got, err := Canonical(in); got != want || err != nil {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got := CategoryOf([]string{"merchant_penalised", "prohibited", "gambling"}); got != "gambling" {
		t.Errorf("CategoryOf = %q; want gambling", got)
	}
}

func FuzzClassify(f *testing.F) {
	m, err := Train(toySet(60, 1), Options{Seed: 1, Bits: 10})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("加 我 v x", "comment")
	f.Add("\xff\x00百家乐", "listing")
	f.Fuzz(func(t *testing.T, s, kind string) {
		texts := []lexicon.Text{lexicon.Normalize(s)}
		p := m.Classify(kind, texts)
		p.Top = m.Explain(kind, texts, p.Label)
		if p.Score < 0 || p.Score > 1 {
			t.Fatalf("Classify(%q).Score = %v", s, p.Score)
		}
		for _, c := range p.Top {
			if c.Start < 0 || c.End > len(s) || c.Start > c.End {
				t.Fatalf("Classify(%q).Top span [%d,%d) out of range", s, c.Start, c.End)
			}
		}
	})
}
