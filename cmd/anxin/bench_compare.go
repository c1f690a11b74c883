package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// compareResult is a run against the server and the floor in turns.
type compareResult struct {
	Server *loadResult `json:"server"`
	Floor  *loadResult `json:"floor"`
	// Ratio is the server's throughput over the floor's.
	Ratio float64 `json:"ratio"`
	// With --pid and --compare-pid (same machine): each side's CPU time
	// per item, and the floor's over the server's, the share of the
	// floor's per-core throughput the server reaches. Unlike Ratio it
	// does not move with what else the machine is running.
	ServerCPUms float64 `json:"server_cpu_ms_per_item,omitempty"`
	FloorCPUms  float64 `json:"floor_cpu_ms_per_item,omitempty"`
	CPURatio    float64 `json:"cpu_ratio,omitempty"`
}

// benchCompare runs the load against the floor (c.compare) and the server
// (c.addr) in four turns, floor first, each a quarter of the duration after
// its own warm-up, and summarises each side over its two turns.
func benchCompare(ctx context.Context, c benchConfig, asJSON bool) error {
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 90 * time.Second,
	}}
	defer client.CloseIdleConnections()
	gen, err := newBenchTarget(ctx, c, client)
	if err != nil {
		return err
	}
	turn := c
	turn.duration = c.duration / 4
	if turn.warmup == 0 {
		turn.warmup = 500 * time.Millisecond
	}
	var floorS, serverS []sample
	var floorT, serverT, floorCPU, serverCPU time.Duration
	for k := range 4 {
		t := turn
		onFloor := k%2 == 0
		if onFloor {
			t.addr = c.compare
		}
		pid := c.pid
		if onFloor {
			pid = c.comparePid
		}
		cpu0 := benchProcCPU(pid)
		s, el, _, err := runLoad(ctx, t, client, gen, (k+1)*10_000_000)
		if err != nil {
			return err
		}
		cpu := benchProcCPU(pid) - cpu0
		if onFloor {
			floorS, floorT, floorCPU = append(floorS, s...), floorT+el, floorCPU+cpu
		} else {
			serverS, serverT, serverCPU = append(serverS, s...), serverT+el, serverCPU+cpu
		}
	}
	res := compareResult{Server: summarise(c, serverS, serverT, false), Floor: summarise(c, floorS, floorT, false)}
	if res.Floor.ItemsPerS > 0 {
		res.Ratio = res.Server.ItemsPerS / res.Floor.ItemsPerS
	}
	if c.pid > 0 && c.comparePid > 0 && res.Server.Items > 0 && res.Floor.Items > 0 && serverCPU > 0 {
		res.ServerCPUms = float64(serverCPU) / float64(time.Millisecond) / float64(res.Server.Items)
		res.FloorCPUms = float64(floorCPU) / float64(time.Millisecond) / float64(res.Floor.Items)
		res.CPURatio = res.FloorCPUms / res.ServerCPUms
	}
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Fprintln(os.Stdout, "server ("+c.addr+"):")
	res.Server.print(os.Stdout)
	fmt.Fprintln(os.Stdout, "floor ("+c.compare+"):")
	res.Floor.print(os.Stdout)
	fmt.Fprintf(os.Stdout, "server / floor: %.1f %% of the floor's throughput (same run, in turns)\n", 100*res.Ratio)
	if res.CPURatio > 0 {
		fmt.Fprintf(os.Stdout, "CPU per item: server %.3f ms, floor %.3f ms: the server does %.1f %% of the floor's work per core\n",
			res.ServerCPUms, res.FloorCPUms, 100*res.CPURatio)
	}
	return nil
}

// benchProcCPU returns a local process's user plus system CPU time from
// /proc (Linux), or 0 when pid is 0 or unreadable.
func benchProcCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
