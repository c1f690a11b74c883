package client_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"anxin"
	"anxin/client"
	"anxin/client/internal/clientgen"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestClientInSync regenerates the client from the served document and
// fails when client.gen.go differs from it.
func TestClientInSync(t *testing.T) {
	if testing.Short() {
		t.Skip("runs oapi-codegen")
	}
	want, err := clientgen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("client.gen.go is out of date with the served OpenAPI document: run go generate ./client")
	}
}

// newClient starts a server on real SQLite services and returns a client
// authenticated as a platform key, the key's id, and a client with an
// operator key.
func newClient(t *testing.T) (*client.ClientWithResponses, string, *client.ClientWithResponses) {
	t.Helper()
	db := sqltest.OpenSQLite(t, nil)
	gov := sqlstore.NewGovernanceService(db)
	if err := gov.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := anxinhttp.NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ks := sqlstore.NewKeyService(db)
	s.Keys = ks
	s.Governance, s.Reviews, s.Enforcement = gov, gov, gov
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	connect := func(role anxin.Role) (*client.ClientWithResponses, string) {
		key, k, err := ks.CreateKey(context.Background(), "client-test", role)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+key)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return c, k.KeyID
	}
	c, id := connect(anxin.RolePlatform)
	op, _ := connect(anxin.RoleOperator)
	return c, id, op
}

func TestClientAgainstServer(t *testing.T) {
	ctx := context.Background()
	c, keyID, operator := newClient(t)

	me, err := c.GetWhoamiWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.StatusCode() != 200 || me.JSON200 == nil || me.JSON200.Role == nil || *me.JSON200.Role != "platform" || me.JSON200.KeyId == nil || *me.JSON200.KeyId != keyID {
		t.Fatalf("whoami = %d %s", me.StatusCode(), me.Body)
	}

	// A check that opens a review case, then the case in the listing.
	var body client.ListingCheckRequest
	title, merchant := "外贸原单 衬衫", "m1"
	if err := body.FromListingCheck(client.ListingCheck{Id: "l1", Title: &title, MerchantId: &merchant}); err != nil {
		t.Fatal(err)
	}
	chk, err := c.CheckListingsWithResponse(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if chk.StatusCode() != 200 || chk.JSON200 == nil {
		t.Fatalf("check = %d %s", chk.StatusCode(), chk.Body)
	}
	d, err := chk.JSON200.AsCheckDecision()
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != client.OutcomeReview || d.CaseId == nil || *d.CaseId == "" {
		t.Fatalf("check decision = %+v; want review with a case", d)
	}
	cases, err := operator.ListCasesWithResponse(ctx, &client.ListCasesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if cases.StatusCode() != 200 || cases.JSON200 == nil || len(cases.JSON200.Cases) != 1 || cases.JSON200.Cases[0].Id == nil || *cases.JSON200.Cases[0].Id != *d.CaseId {
		t.Fatalf("cases = %d %s; want the one case %s", cases.StatusCode(), cases.Body, *d.CaseId)
	}

	// A bad request decodes into the shared error shape.
	var bad client.ListingCheckRequest
	if err := bad.FromListingCheck(client.ListingCheck{Id: ""}); err != nil {
		t.Fatal(err)
	}
	res, err := c.CheckListingsWithResponse(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != 400 || res.JSON400 == nil || res.JSON400.Error.Message == "" {
		t.Fatalf("bad check = %d %s; want 400 with a message", res.StatusCode(), res.Body)
	}
}
