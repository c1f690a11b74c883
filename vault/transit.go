package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// TransitKEK is a KEK held by an external KMS speaking the HashiCorp Vault
// / OpenBao transit API: the key never leaves the KMS; Anxin sends data keys
// to .../encrypt/<key> and .../decrypt/<key> over HTTPS with a token.
//
// The data key id is bound by prefixing the plaintext sent to the KMS with
// SHA-256(id) and checking it on the way back, so it works with any transit
// key type and server version. Versions are the transit key's versions
// (ciphertexts look like "vault:v3:…"); Rotate calls .../keys/<key>/rotate
// and Retire raises min_decryption_version, which transit allows only for
// the oldest version.
//
// Threat: the token is a credential. It is sent only in the X-Vault-Token
// header and never appears in errors or logs.
type TransitKEK struct {
	Addr   string       // e.g. https://kms.internal:8200
	Mount  string       // transit mount path, default "transit"
	Key    string       // transit key name
	Token  string       // X-Vault-Token
	Client *http.Client // default: 10 s timeout
}

var (
	_ KEK     = (*TransitKEK)(nil)
	_ Rotator = (*TransitKEK)(nil)
)

func (t *TransitKEK) url(parts ...string) string {
	mount := t.Mount
	if mount == "" {
		mount = "transit"
	}
	p := []string{strings.TrimRight(t.Addr, "/"), "v1", mount}
	for _, s := range parts {
		p = append(p, url.PathEscape(s))
	}
	return strings.Join(p, "/")
}

func (t *TransitKEK) client() *http.Client {
	if t.Client != nil {
		return t.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// call sends a request and decodes {"data": …} into out. A 4xx on decrypt
// is an integrity failure; anything else that fails is Unavailable.
func (t *TransitKEK) call(ctx context.Context, method, u string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, anxin.Errorf(anxin.Invalid, "The transit KMS address is malformed.")
	}
	req.Header.Set("X-Vault-Token", t.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := t.client().Do(req)
	if err != nil {
		return 0, anxin.Errorf(anxin.Unavailable, "The transit KMS cannot be reached.")
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, anxin.Errorf(anxin.Unavailable, "The transit KMS response could not be read.")
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, anxin.Errorf(anxin.Unavailable, "The transit KMS answered %d.", res.StatusCode)
	}
	if out != nil && len(data) > 0 {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(data, &env) != nil || json.Unmarshal(env.Data, out) != nil {
			return res.StatusCode, anxin.Errorf(anxin.Unavailable, "The transit KMS answered with malformed JSON.")
		}
	}
	return res.StatusCode, nil
}

type transitKeyInfo struct {
	LatestVersion        uint32 `json:"latest_version"`
	MinDecryptionVersion uint32 `json:"min_decryption_version"`
}

func (t *TransitKEK) info(ctx context.Context) (transitKeyInfo, error) {
	var ki transitKeyInfo
	_, err := t.call(ctx, http.MethodGet, t.url("keys", t.Key), nil, &ki)
	if err == nil && ki.LatestVersion == 0 {
		err = anxin.Errorf(anxin.Unavailable, "The transit KMS reported no key version.")
	}
	return ki, err
}

// Current returns the transit key's latest version.
func (t *TransitKEK) Current(ctx context.Context) (uint32, error) {
	ki, err := t.info(ctx)
	return ki.LatestVersion, err
}

// Versions returns min_decryption_version … latest_version.
func (t *TransitKEK) Versions(ctx context.Context) ([]uint32, error) {
	ki, err := t.info(ctx)
	if err != nil {
		return nil, err
	}
	var out []uint32
	for v := max(ki.MinDecryptionVersion, 1); v <= ki.LatestVersion; v++ {
		out = append(out, v)
	}
	return out, nil
}

// Wrap encrypts SHA-256(aad) ‖ dek with the latest transit key version.
func (t *TransitKEK) Wrap(ctx context.Context, dek, aad []byte) (uint32, []byte, error) {
	sum := sha256.Sum256(aad)
	pt := append(sum[:], dek...)
	var out struct {
		Ciphertext string `json:"ciphertext"`
	}
	if _, err := t.call(ctx, http.MethodPost, t.url("encrypt", t.Key), map[string]string{"plaintext": base64.StdEncoding.EncodeToString(pt)}, &out); err != nil {
		return 0, nil, err
	}
	v, ok := transitVersion(out.Ciphertext)
	if !ok {
		return 0, nil, anxin.Errorf(anxin.Unavailable, "The transit KMS returned a malformed ciphertext.")
	}
	return v, []byte(out.Ciphertext), nil
}

// transitVersion parses "vault:v<N>:…".
func transitVersion(ct string) (uint32, bool) {
	rest, ok := strings.CutPrefix(ct, "vault:v")
	if !ok {
		return 0, false
	}
	vs, _, ok := strings.Cut(rest, ":")
	v, err := strconv.ParseUint(vs, 10, 32)
	if !ok || err != nil || v == 0 {
		return 0, false
	}
	return uint32(v), true
}

// Unwrap decrypts a wrapped key and checks that it was wrapped for aad
// under the version claimed.
func (t *TransitKEK) Unwrap(ctx context.Context, version uint32, wrapped, aad []byte) ([]byte, error) {
	if v, ok := transitVersion(string(wrapped)); !ok || v != version {
		return nil, ErrTampered
	}
	var out struct {
		Plaintext string `json:"plaintext"`
	}
	code, err := t.call(ctx, http.MethodPost, t.url("decrypt", t.Key), map[string]string{"ciphertext": string(wrapped)}, &out)
	if err != nil {
		if code == http.StatusBadRequest {
			return nil, ErrTampered
		}
		return nil, err
	}
	pt, err := base64.StdEncoding.DecodeString(out.Plaintext)
	sum := sha256.Sum256(aad)
	if err != nil || len(pt) != sha256.Size+KeySize || subtle.ConstantTimeCompare(pt[:sha256.Size], sum[:]) != 1 {
		return nil, ErrTampered
	}
	return pt[sha256.Size:], nil
}

// Rotate asks the KMS for a new key version.
func (t *TransitKEK) Rotate(ctx context.Context) (uint32, error) {
	if _, err := t.call(ctx, http.MethodPost, t.url("keys", t.Key, "rotate"), map[string]string{}, nil); err != nil {
		return 0, err
	}
	return t.Current(ctx)
}

// Retire raises min_decryption_version past version, which must be the
// oldest decryptable one and not the latest.
func (t *TransitKEK) Retire(ctx context.Context, version uint32) error {
	ki, err := t.info(ctx)
	if err != nil {
		return err
	}
	if version >= ki.LatestVersion {
		return anxin.Errorf(anxin.Invalid, "KEK version %d is current and cannot be retired.", version)
	}
	if version != max(ki.MinDecryptionVersion, 1) {
		return anxin.Errorf(anxin.Invalid, "Transit retires versions oldest first: retire version %d before %d.", max(ki.MinDecryptionVersion, 1), version)
	}
	_, err = t.call(ctx, http.MethodPost, t.url("keys", t.Key, "config"), map[string]any{"min_decryption_version": version + 1}, nil)
	if err != nil {
		return fmt.Errorf("retire transit version %d: %w", version, err)
	}
	return nil
}
