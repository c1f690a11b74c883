// Package clientgen generates the Go client in package client from the
// OpenAPI document the server serves, with oapi-codegen (a tool dependency
// in go.mod, run as "go tool oapi-codegen").
//
// The generator runs on the document exactly as GET /openapi.json serves
// it, so a route added to a fragment reaches the client by running
// "go generate ./client"; the client's sync test fails until then.
package clientgen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	anxinhttp "anxin/http"
)

// Config is oapi-codegen's configuration: types and a client with
// responses parsed into typed structs, in package client. Pruning is off
// because oapi-codegen prunes schemas used only by the document's webhooks
// while still generating their request-body types.
const Config = `package: client
generate:
  models: true
  client: true
output-options:
  skip-prune: true
  nullable-type: false
`

// Generate returns the generated client source for the served document.
// It needs the go command on PATH (it runs "go tool oapi-codegen" inside
// the module, so the version pinned in go.mod is the one that runs).
func Generate() ([]byte, error) {
	spec, err := anxinhttp.OpenAPI()
	if err != nil {
		return nil, fmt.Errorf("clientgen: building the document: %w", err)
	}
	dir, err := os.MkdirTemp("", "anxin-clientgen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	specPath := filepath.Join(dir, "openapi.json")
	cfgPath := filepath.Join(dir, "config.yaml")
	outPath := filepath.Join(dir, "client.gen.go")
	if err := os.WriteFile(specPath, spec, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgPath, []byte(Config+"output: "+outPath+"\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", cfgPath, specPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("clientgen: oapi-codegen: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return os.ReadFile(outPath)
}
