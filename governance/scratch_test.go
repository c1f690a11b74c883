package governance

import (
	"reflect"
	"sync"
	"testing"

	"anxin"
	"anxin/rules"
)

// TestConcurrentChecksShareNothing runs checks of different items on many
// goroutines at once: each output must equal the output of the same check
// run alone, so the pooled scratch leaks nothing from one check into
// another (run it with -race too).
func TestConcurrentChecksShareNothing(t *testing.T) {
	e := defaultEngine(t)
	items := []*anxin.ContentItem{
		{ID: "a", Kind: "comment", Text: "收到了，质量很好，物流也快"},
		{ID: "b", Kind: "comment", Text: "便宜出 有需要的加V信 meimei520 或打 138 0013 8000"},
		{ID: "c", Kind: "comment", Text: "快递员电话 13787654321 打不通"},
		{ID: "d", Kind: "comment", Text: "您的包裹丢失了，我们三倍理赔，请提供银行卡号"},
		{ID: "e", Kind: anxin.ContentLivestreamSegment, Text: "高仿 包包 一比一 私聊"},
	}
	listing := &anxin.ListingCheck{ID: "l", Title: "髙仿 LV 老花 手提包", Description: "有问题加微信 abc123 详聊"}
	want := make([]Output, len(items))
	for i, it := range items {
		want[i] = e.CheckContent(it, []string{"前面的话"}, rules.Merchant{}, map[string]float64{"x": 1})
	}
	wantL := e.CheckListing(listing, rules.Merchant{}, nil)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 50 {
				i := (g + n) % len(items)
				if got := e.CheckContent(items[i], []string{"前面的话"}, rules.Merchant{}, map[string]float64{"x": 1}); !reflect.DeepEqual(got, want[i]) {
					errs <- items[i].Text
					return
				}
				if got := e.CheckListing(listing, rules.Merchant{}, nil); !reflect.DeepEqual(got, wantL) {
					errs <- listing.Title
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent check of %q differs from the check run alone", s)
	}
}
