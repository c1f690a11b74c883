package http

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// openapiTools returns the folder holding the npm tools the document is
// checked with (Redocly's CLI, openapi-typescript, TypeScript), installed by
// "npm ci" in testdata/openapi-tools. Without them the tests skip, unless
// ANXIN_TEST_OPENAPI_TOOLS is set (CI sets it): then they fail.
func openapiTools(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "openapi-tools"))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	for _, bin := range []string{"redocly", "openapi-typescript", "tsc"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		msg := "missing " + strings.Join(missing, ", ") + "; run npm ci in http/testdata/openapi-tools"
		if os.Getenv("ANXIN_TEST_OPENAPI_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// writeServedDocument writes the document as GET /openapi.json serves it
// into a temporary folder and returns its path.
func writeServedDocument(t *testing.T) string {
	t.Helper()
	b, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runTool(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "node_modules", ".bin", bin), args...)
	cmd.Dir = filepath.Dir(args[len(args)-1])
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOpenAPIRedoclyLint lints the served document with Redocly's
// recommended rules and fails on any error or warning.
func TestOpenAPIRedoclyLint(t *testing.T) {
	dir := openapiTools(t)
	doc := writeServedDocument(t)
	cfg := filepath.Join(filepath.Dir(doc), "redocly.yaml")
	if err := os.WriteFile(cfg, []byte("extends:\n  - recommended\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, dir, "redocly", "lint", "--config", cfg, "--format", "json", "--max-problems", "10000", doc)
	// The report is the one JSON object in the output (a banner may precede it).
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("redocly lint printed no report:\n%s", out)
	}
	var report struct {
		Totals   struct{ Errors, Warnings int }
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string
			Message  string
			Location []struct {
				Pointer string
			}
		}
	}
	if err := json.NewDecoder(strings.NewReader(out[start:])).Decode(&report); err != nil {
		t.Fatalf("redocly lint report: %v\n%s", err, out)
	}
	for _, p := range report.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings != 0 || len(report.Problems) != 0 {
		t.Fatalf("redocly lint: %d errors, %d warnings", report.Totals.Errors, report.Totals.Warnings)
	}
}

// TestOpenAPITypeScript generates TypeScript types from the served
// document with openapi-typescript and compiles a file that uses them.
func TestOpenAPITypeScript(t *testing.T) {
	dir := openapiTools(t)
	doc := writeServedDocument(t)
	work := filepath.Dir(doc)
	types := filepath.Join(work, "anxin.d.ts")
	runTool(t, dir, "openapi-typescript", doc, "--output", types)
	use := `import type { paths, components } from "./anxin";

type Actor = components["schemas"]["Actor"];
type Whoami = paths["/v1/whoami"]["get"]["responses"][200]["content"]["application/json"];
const me: Whoami = { key_id: "key_1", name: "ci", role: "platform" } satisfies Actor;
export const role: string | undefined = me.role;
`
	main := filepath.Join(work, "use.ts")
	if err := os.WriteFile(main, []byte(use), 0o600); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, "tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--skipLibCheck", "false", main)
}
