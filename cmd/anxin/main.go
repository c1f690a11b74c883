// Command anxin is the Anxin trust, safety and buyer-protection engine: one
// binary that serves the API and console, runs the demo, migrates the
// database, manages keys and prints the report. Run "anxin help".
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"anxin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:])
	os.Exit(code)
}

// run dispatches a subcommand and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func run(ctx context.Context, args []string) int {
	err := dispatch(ctx, args)
	switch {
	case err == nil:
		return 0
	case err == errUsage:
		return 2
	default:
		fmt.Fprintln(os.Stderr, "anxin:", describe(err))
		return 1
	}
}

// describe renders an error for the terminal: the user-safe message for
// kinded errors, the full chain otherwise.
func describe(err error) string {
	if k := anxin.KindOf(err); k != anxin.Internal {
		return anxin.MessageOf(err)
	}
	return err.Error()
}
