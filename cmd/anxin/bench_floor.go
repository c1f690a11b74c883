package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"anxin"
)

// The floor is what any Go HTTP server must spend on a listing check
// before it decides anything: read the bounded body, check that a bearer
// key is present, decode the listing strictly, validate it and answer a
// decision-shaped JSON body (and the same for an event batch). It stores nothing and scans nothing. The check
// path is measured against it in the same run (bench --compare), so the
// ratio says how much of the machine the decision itself costs, whatever
// else the shared machine is doing.

const benchFloorUsage = "bench floor [--listen HOST:PORT]"

func runBenchFloor(ctx context.Context, args []string) error {
	fs := newFlagSet("bench floor", benchFloorUsage, `
Serve POST /v1/listings:check as a minimal Go server that only reads,
decodes, validates and answers the listing JSON (no scan, no storage): the
floor that anxin bench check --compare measures the real server against.`)
	listen := fs.String("listen", "127.0.0.1:18090", "listen `address`")
	if err := parse(fs, args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return anxin.Errorf(anxin.Invalid, "--listen: %s.", err.Error())
	}
	srv := &http.Server{Handler: floorHandler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	fmt.Fprintf(os.Stderr, "anxin bench floor: serving POST /v1/listings:check on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// floorHandler answers listing checks the way the floor does, and event
// batches likewise (decoded and validated, nothing stored).
func floorHandler() http.Handler {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/listings:check", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			http.Error(w, `{"error":{"code":"unauthenticated"}}`, http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
			return
		}
		var l anxin.ListingCheck
		if err := anxin.DecodeJSON(body, &l); err != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
			return
		}
		if err := l.Validate(); err != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
			return
		}
		id := "dec_floor" + strconv.FormatInt(n.Add(1), 36)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`{"id":` + strconv.Quote(l.ID) + `,"decision_id":"` + id + `","outcome":"allow","labels":[],"reasons":[],"evidence":[],"policy_version":1}` + "\n"))
	})
	mux.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			http.Error(w, `{"error":{"code":"unauthenticated"}}`, http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
			return
		}
		var in anxin.EventBatch
		if err := anxin.DecodeJSON(body, &in); err != nil || anxin.ValidateEvents(in.Events) != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`{"received":` + strconv.Itoa(len(in.Events)) + `,"stored":` + strconv.Itoa(len(in.Events)) + `,"duplicates":0}` + "\n"))
	})
	return mux
}
