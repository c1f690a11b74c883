package http

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Console forms that create something carry a one-time token (a hidden
// "form_token" field, minted when the form is rendered). The first post with
// a token acts and records what it produced; a second post of the same form
// (a double click, a browser resubmit) finds the token used and is told so
// instead of acting again. Tokens are kept in memory for a day: a replica
// restart forgets them, which at worst lets one resubmission through, as
// without the token.

const formTokenTTL = 24 * time.Hour

type formTokens struct {
	mu   sync.Mutex
	used map[string]usedToken
}

type usedToken struct {
	at     time.Time
	result string
}

var consoleForms = &formTokens{used: map[string]usedToken{}}

// newFormToken returns a fresh random form token.
func newFormToken() string {
	var b [18]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// claim marks the form's token used at now and reports false with the
// earlier result if it already was. A request without a token is always
// allowed (API-style clients and old pages).
func (f *formTokens) claim(r *http.Request, now time.Time) (ok bool, earlier string) {
	tok := r.PostFormValue("form_token")
	if tok == "" || len(tok) > 64 {
		return true, ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, u := range f.used {
		if now.Sub(u.at) > formTokenTTL {
			delete(f.used, k)
		}
	}
	if u, seen := f.used[tok]; seen {
		return false, u.result
	}
	f.used[tok] = usedToken{at: now}
	return true, ""
}

// release forgets a token whose action failed, so the corrected form can be
// posted again with it.
func (f *formTokens) release(r *http.Request) {
	f.mu.Lock()
	delete(f.used, r.PostFormValue("form_token"))
	f.mu.Unlock()
}

// done records what the form's action produced, for the second post's message.
func (f *formTokens) done(r *http.Request, result string) {
	tok := r.PostFormValue("form_token")
	if tok == "" {
		return
	}
	f.mu.Lock()
	if u, ok := f.used[tok]; ok {
		u.result = result
		f.used[tok] = u
	}
	f.mu.Unlock()
}
