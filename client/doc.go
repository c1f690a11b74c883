// Package client is a Go client for Anxin's JSON API under /v1/, generated
// by oapi-codegen from the OpenAPI document that anxin serve publishes at
// /openapi.json. Do not edit client.gen.go; change the document (the
// fragments in http/openapi/) and run
//
//	go generate ./client
//
// A test regenerates the client from the served document and fails when
// the committed file differs, so the client never drifts from the API.
//
// Every operation has a method on Client (returning *http.Response) and on
// ClientWithResponses (returning the body decoded into the operation's
// response type). Authenticate with an API key through a request editor:
//
//	c, err := client.NewClientWithResponses("https://anxin.example",
//		client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
//			req.Header.Set("Authorization", "Bearer "+key)
//			return nil
//		}))
//	me, err := c.GetWhoamiWithResponse(ctx)
package client

//go:generate go run anxin/client/internal/clientgen/cmd client.gen.go
