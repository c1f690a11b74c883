package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"anxin"
)

// benchTarget makes the body of request i. ok is false when the target has
// nothing more to send (claims: the prepared orders ran out).
type benchTarget interface {
	next(i int) (path string, body []byte, items int, ok bool)
}

func newBenchTarget(ctx context.Context, c benchConfig, client *http.Client) (benchTarget, error) {
	run := strconv.FormatInt(time.Now().UnixNano()%1e12, 36) // ids unique to this run
	switch c.target {
	case "check":
		return &checkTarget{run: run}, nil
	case "events":
		return &eventsTarget{run: run, batch: c.batch, t0: time.Now().UTC()}, nil
	case "claims":
		t := &claimsTarget{run: run, orders: c.orders}
		return t, t.prepare(ctx, c, client)
	}
	return nil, anxin.Errorf(anxin.Invalid, "unknown bench target %q.", c.target)
}

// benchTitles are listing titles of many categories; about one in ten
// breaks a rule (replica wording, contact diversion, prohibited goods),
// roughly what a marketplace's publish stream carries.
var benchTitles = []string{
	"2026新款夏季女装碎花连衣裙 显瘦收腰中长款",
	"华为 Mate 60 Pro 12GB+512GB 雅川青 全网通",
	"纯棉四件套 1.8m床 简约北欧风 被套床单枕套",
	"儿童益智积木玩具 大颗粒 300片 3-6岁",
	"不锈钢保温杯 500ml 316内胆 男女学生便携",
	"新疆阿克苏冰糖心苹果 5斤装 当季新鲜水果",
	"Type-C数据线 1米 100W快充 编织线",
	"猫粮成猫幼猫通用 2.5kg 鱼肉味 全价猫粮",
	"实木书桌 家用电脑桌 1.2米 简约办公桌",
	"防晒霜SPF50+ 户外军训 清爽不油腻 60ml",
	"汽车脚垫 全包围 专车专用 丝圈双层",
	"男士运动鞋 透气跑步鞋 轻便减震 42码",
	"有机五常大米 10斤 当季新米 东北稻花香",
	"蓝牙耳机 主动降噪 半入耳式 长续航",
	"不粘锅炒锅 家用 燃气电磁炉通用 32cm",
	"高仿LV老花手提包 原单品质 专柜同款",
	"加微信 vx123456 领优惠券 私聊更便宜",
	"一比一复刻劳力士水鬼 顶级版本",
	"代开各类发票 增值税专票 点数低",
	"手工皂 天然植物精油 控油洁面 100g",
}

type checkTarget struct{ run string }

func (t *checkTarget) next(i int) (string, []byte, int, bool) {
	body, _ := json.Marshal(anxin.ListingCheck{
		ID:         "bench-" + t.run + "-" + strconv.Itoa(i),
		Title:      benchTitles[i%len(benchTitles)],
		Category:   "general",
		PriceFen:   int64(1990 + (i%50)*1000),
		MerchantID: "bench_m" + strconv.Itoa(i%200),
	})
	return "/v1/listings:check", body, 1, true
}

// eventsTarget sends whole order lives: created, paid, shipped and
// delivered, in that order within a batch.
type eventsTarget struct {
	run   string
	batch int
	t0    time.Time
}

func (t *eventsTarget) next(i int) (string, []byte, int, bool) {
	evs := make([]map[string]any, 0, t.batch)
	base := i * t.batch
	for k := 0; len(evs) < t.batch; k++ {
		o := (base + k) / 4
		step := (base + k) % 4
		oid := "bo-" + t.run + "-" + strconv.Itoa(o)
		at := t.t0.Add(time.Duration(o) * time.Millisecond).Add(time.Duration(step) * time.Hour)
		ev := map[string]any{"id": "be-" + t.run + "-" + strconv.Itoa(base+k), "occurred_at": at}
		switch step {
		case 0:
			ev["type"] = anxin.EventOrderCreated
			ev["data"] = anxin.Order{ID: oid, MerchantID: "bench_m" + strconv.Itoa(o%200), BuyerID: "bench_b" + strconv.Itoa(o%5000),
				Items: []anxin.OrderItem{{ListingID: "bench_l" + strconv.Itoa(o%2000), Quantity: 1, UnitPriceFen: 2990}}, TotalFen: 2990, Currency: "CNY"}
		case 1:
			ev["type"], ev["data"] = anxin.EventOrderPaid, anxin.OrderEvent{OrderID: oid}
		case 2:
			ev["type"], ev["data"] = anxin.EventOrderShipped, anxin.OrderEvent{OrderID: oid, ShipmentID: "bs-" + t.run + "-" + strconv.Itoa(o), Carrier: "sf", TrackingNo: "SF" + strconv.Itoa(1e9+o)}
		case 3:
			ev["type"], ev["data"] = anxin.EventOrderDelivered, anxin.OrderEvent{OrderID: oid}
		}
		evs = append(evs, ev)
	}
	body, _ := json.Marshal(map[string]any{"events": evs})
	return "/v1/events", body, t.batch, true
}

// claimsTarget files instant-refund claims (paid, unshipped orders) on
// orders it created and paid itself, one claim per order.
type claimsTarget struct {
	run    string
	orders int
}

func (t *claimsTarget) oid(i int) string { return "bc-" + t.run + "-" + strconv.Itoa(i) }

// prepare creates the merchant and buyers and sends order.created and
// order.paid for every order, in batches, before the clock starts.
func (t *claimsTarget) prepare(ctx context.Context, c benchConfig, client *http.Client) error {
	started := time.Now()
	m := "bench_claims_m_" + t.run
	if err := benchSetup(ctx, client, c, "/v1/merchants", map[string]any{"items": []anxin.Merchant{{ID: m, Name: "bench merchant", Status: "active", Categories: []string{"home"}}}}); err != nil {
		return err
	}
	// Paid a minute ago: the refund window opens at payment.
	now := time.Now().UTC().Add(-2 * time.Minute)
	for lo := 0; lo < t.orders; lo += 2000 {
		hi := min(lo+2000, t.orders)
		buyers := make([]anxin.Buyer, 0, hi-lo)
		evs := make([]map[string]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			b := "bench_cb_" + t.run + "_" + strconv.Itoa(i)
			buyers = append(buyers, anxin.Buyer{ID: b, Standing: "good"})
			evs = append(evs,
				map[string]any{"id": "bce-" + t.run + "-" + strconv.Itoa(2*i), "type": anxin.EventOrderCreated, "occurred_at": now,
					"data": anxin.Order{ID: t.oid(i), MerchantID: m, BuyerID: b, Items: []anxin.OrderItem{{ListingID: "bench_cl", Quantity: 1, UnitPriceFen: 1000}}, TotalFen: 1000, Currency: "CNY"}},
				map[string]any{"id": "bce-" + t.run + "-" + strconv.Itoa(2*i+1), "type": anxin.EventOrderPaid, "occurred_at": now.Add(time.Second),
					"data": anxin.OrderEvent{OrderID: t.oid(i)}})
		}
		if err := benchSetup(ctx, client, c, "/v1/buyers", map[string]any{"items": buyers}); err != nil {
			return err
		}
		if err := benchSetup(ctx, client, c, "/v1/events", map[string]any{"events": evs}); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "bench claims: %d orders created and paid in %.1fs\n", t.orders, time.Since(started).Seconds())
	return nil
}

func (t *claimsTarget) next(i int) (string, []byte, int, bool) {
	if i >= t.orders {
		return "", nil, 0, false
	}
	body, _ := json.Marshal(anxin.ClaimInput{Key: "bench-" + t.run + "-" + strconv.Itoa(i), OrderID: t.oid(i),
		BuyerID: "bench_cb_" + t.run + "_" + strconv.Itoa(i), ProgrammeID: "instant_refund", Type: "unshipped_refund"})
	return "/v1/claims", body, 1, true
}

// benchSetup posts one preparation request and fails on anything but 2xx.
func benchSetup(ctx context.Context, client *http.Client, c benchConfig, path string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if status := benchPost(ctx, client, c.addr+path, c.key, body); status < 200 || status > 299 {
		return anxin.Errorf(anxin.Unavailable, "bench preparation: POST %s answered %d (is the key a platform key?).", path, status)
	}
	return nil
}
