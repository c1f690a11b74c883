package main

import (
	"context"
	"fmt"
	"runtime"

	"anxin"
)

func runVersion(ctx context.Context, args []string) error {
	fs := newFlagSet("version", "version", "Print the version of this binary.")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Printf("anxin %s (%s)\n", anxin.Version, runtime.Version())
	return nil
}
