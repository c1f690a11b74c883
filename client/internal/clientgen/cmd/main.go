// Command cmd writes the generated client to the file named by its one
// argument; "go generate ./client" runs it.
package main

import (
	"fmt"
	"os"

	"anxin/client/internal/clientgen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: clientgen OUTPUT.go")
		os.Exit(2)
	}
	src, err := clientgen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
