package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"anxin/governance"
)

func TestCheckLines(t *testing.T) {
	p, err := governance.DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sub, in string
		want    []string // outcome per line, or "error"
	}{
		{"listings", `{"id":"a","title":"精仿 手表"}
{"id":"b","title":"纯棉T恤","description":"舒适透气","category":"apparel","brand":"","price_fen":5900,"merchant_id":"m1"}

{"id":"c","title":"全网最低 毛巾"}
{"id":"d","title":"x","nope":1}
not json
{"id":"e","title":"仿真植物 绿萝"}`, []string{"block", "allow", "review", "error", "error", "allow"}},
		{"content", `{"id":"s1","kind":"livestream_segment","stream_id":"st","seq":1,"text":"今天这款是莆"}
{"id":"s2","kind":"livestream_segment","stream_id":"st","seq":2,"text":"田 鞋 懂的来"}
{"id":"c1","kind":"comment","text":"这是我用过最好的"}
{"id":"c2","kind":"comment","text":"百家乐 网赌 约炮 上门服务包夜"}
{"id":"x","kind":"podcast","text":"hi"}`, []string{"allow", "block", "allow", "block", "error"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := checkLines(eng, tt.sub, strings.NewReader(tt.in), &out)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(tt.want) {
			t.Fatalf("check %s wrote %d lines; want %d:\n%s", tt.sub, len(lines), len(tt.want), out.String())
		}
		bad := 0
		for i, l := range lines {
			var got struct {
				ID, Outcome, Error string
				Labels, Reasons    []string
			}
			if err := json.Unmarshal([]byte(l), &got); err != nil {
				t.Fatalf("line %d is not JSON: %s", i, l)
			}
			o := got.Outcome
			if got.Error != "" {
				o, bad = "error", bad+1
			} else if got.Labels == nil || got.Reasons == nil {
				t.Errorf("line %d: labels and reasons must be arrays: %s", i, l)
			}
			if o != tt.want[i] {
				t.Errorf("check %s line %d = %s; want %s", tt.sub, i, l, tt.want[i])
			}
		}
		if (bad > 0) != (err != nil) {
			t.Errorf("checkLines error = %v with %d bad lines", err, bad)
		}
	}
}
