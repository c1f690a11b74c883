package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"anxin"
)

// startPprof serves the Go profiler (CPU, heap, allocations, goroutines) on
// a separate listener when ANXIN_PPROF names an address, for the
// performance notes. Only a loopback address is accepted: a profile shows
// the process's memory layout and must not be reachable from a network.
func startPprof(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return anxin.Errorf(anxin.Invalid, "ANXIN_PPROF must be a loopback address such as 127.0.0.1:6060.")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "ANXIN_PPROF: %s.", err.Error())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "anxin: profiler on http://%s/debug/pprof/\n", ln.Addr())
	return nil
}
