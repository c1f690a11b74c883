//go:build hyperscan

package bench

/*
#cgo pkg-config: libhs
#include <hs/hs.h>
#include <stdlib.h>

// count_match is the match callback: it counts every reported match in C,
// so no call crosses from C into Go per match.
static int count_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx) {
	(*(unsigned long long *)ctx)++;
	return 0;
}

static long long hs_count(const hs_database_t *db, hs_scratch_t *scratch, const char *data, unsigned int len) {
	unsigned long long n = 0;
	if (hs_scan(db, data, len, 0, scratch, count_match, &n) != HS_SUCCESS) {
		return -1;
	}
	return (long long)n;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Hyperscan compiles the patterns as literals (hs_compile_lit_multi) in
// block mode; with no flags it reports every occurrence, overlapping ones
// included, once per pattern and end offset, which is what CountAll counts.
func init() {
	Extra = append(Extra, Peer{Name: "hyperscan", Build: buildHyperscan})
}

func buildHyperscan(pats []string) func([]byte) int {
	n := len(pats)
	exprs := C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(uintptr(0))))
	lens := C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.size_t(0))))
	flags := C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.uint(0))))
	ids := C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.uint(0))))
	defer C.free(exprs)
	defer C.free(lens)
	defer C.free(flags)
	defer C.free(ids)
	ex := unsafe.Slice((**C.char)(exprs), n)
	ls := unsafe.Slice((*C.size_t)(lens), n)
	fs := unsafe.Slice((*C.uint)(flags), n)
	is := unsafe.Slice((*C.uint)(ids), n)
	for i, p := range pats {
		ex[i] = C.CString(p)
		ls[i] = C.size_t(len(p))
		fs[i] = 0
		is[i] = C.uint(i)
	}
	defer func() {
		for i := range ex {
			C.free(unsafe.Pointer(ex[i]))
		}
	}()
	var db *C.hs_database_t
	var cerr *C.hs_compile_error_t
	if C.hs_compile_lit_multi((**C.char)(exprs), (*C.uint)(flags), (*C.uint)(ids), (*C.size_t)(lens), C.uint(n), C.HS_MODE_BLOCK, nil, &db, &cerr) != C.HS_SUCCESS {
		msg := C.GoString(cerr.message)
		C.hs_free_compile_error(cerr)
		panic(fmt.Sprintf("hyperscan: compile: %s", msg))
	}
	var scratch *C.hs_scratch_t
	if C.hs_alloc_scratch(db, &scratch) != C.HS_SUCCESS {
		panic("hyperscan: alloc scratch")
	}
	// db and scratch are never freed: they live as long as the benchmark.
	return func(b []byte) int {
		if len(b) == 0 {
			return 0
		}
		var pin runtime.Pinner
		pin.Pin(&b[0])
		defer pin.Unpin()
		r := C.hs_count(db, scratch, (*C.char)(unsafe.Pointer(&b[0])), C.uint(len(b)))
		if r < 0 {
			panic("hyperscan: scan failed")
		}
		return int(r)
	}
}
