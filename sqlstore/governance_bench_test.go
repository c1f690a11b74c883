package sqlstore_test

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckListingStored measures a listing check with its storage
// (decision, evidence, merchant state reads) on SQLite, one listing per
// call, from parallel callers so group commit can share transactions. It
// reports checks per second of process CPU time.
func BenchmarkCheckListingStored(b *testing.B) {
	db := sqltest.OpenSQLite(b, nil)
	g := sqlstore.NewGovernanceService(db)
	if err := g.Seed(govPlatform); err != nil {
		b.Fatal(err)
	}
	titles := []string{"纯棉短袖T恤 男 夏季", "高仿 女包 专柜品质", "外贸原单 衬衫", "仿真植物 绿萝"}
	b.ReportAllocs()
	cpu0, start := cpuNow(), time.Now()
	var n int64
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			l := &anxin.ListingCheck{ID: "l" + strconv.Itoa(i), Title: titles[i%len(titles)], Description: "精选面料，亲肤透气，做工精细，多色可选。", MerchantID: "m" + strconv.Itoa(i%50)}
			if _, err := g.CheckListings(govPlatform, []*anxin.ListingCheck{l}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	n = int64(b.N)
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "checks/s")
	b.ReportMetric(float64(n)/(cpuNow()-cpu0).Seconds(), "checks/cpu-s")
}
