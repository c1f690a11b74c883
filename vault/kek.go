package vault

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"anxin"
)

// keyring is a set of KEK versions held in memory, the common core of the
// file and environment KEKs. Wrapped keys are AES-256-GCM of the data key
// under the version's key, with the data key id as associated data.
type keyring struct {
	mu      sync.RWMutex
	current uint32
	keys    map[uint32]cipher.AEAD
	raw     map[uint32][]byte
}

func newKeyring() *keyring {
	return &keyring{keys: map[uint32]cipher.AEAD{}, raw: map[uint32][]byte{}}
}

func (k *keyring) add(version uint32, key []byte) error {
	if len(key) != KeySize {
		return anxin.Errorf(anxin.Invalid, "KEK version %d is %d bytes; want %d.", version, len(key), KeySize)
	}
	if version == 0 {
		return anxin.Errorf(anxin.Invalid, "KEK versions start at 1.")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return err
	}
	k.keys[version] = aead
	k.raw[version] = key
	if version > k.current {
		k.current = version
	}
	return nil
}

func (k *keyring) versions() []uint32 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]uint32, 0, len(k.keys))
	for v := range k.keys {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (k *keyring) wrap(dek, aad []byte) (uint32, []byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	a, ok := k.keys[k.current]
	if !ok {
		return 0, nil, anxin.Errorf(anxin.Unavailable, "The vault has no key-encryption key.")
	}
	return k.current, a.Seal(nil, nil, dek, aad), nil
}

func (k *keyring) unwrap(version uint32, wrapped, aad []byte) ([]byte, bool, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	a, ok := k.keys[version]
	if !ok {
		return nil, false, nil
	}
	dek, err := a.Open(nil, nil, wrapped, aad)
	if err != nil {
		return nil, true, ErrTampered
	}
	return dek, true, nil
}

func errUnknownVersion(v uint32) error {
	return anxin.Errorf(anxin.NotFound, "KEK version %d is unknown or retired.", v)
}

// EnvKEK is a KEK from an environment variable (ANXIN_VAULT_KEK): either one
// base64 key (version 1) or "1:<base64>,2:<base64>" with the highest version
// current. It cannot rotate by itself: add a version to the variable,
// restart, and run "anxin vault rotate" to re-wrap.
type EnvKEK struct{ ring *keyring }

// ParseEnvKEK parses the variable's value. Invalid on a malformed value; the
// error never contains key material.
func ParseEnvKEK(s string) (*EnvKEK, error) {
	r := newKeyring()
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, anxin.Errorf(anxin.Invalid, "ANXIN_VAULT_KEK is empty.")
	}
	if !strings.Contains(s, ":") {
		key, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "ANXIN_VAULT_KEK is not base64.")
		}
		if err := r.add(1, key); err != nil {
			return nil, err
		}
		return &EnvKEK{ring: r}, nil
	}
	for i, part := range strings.Split(s, ",") {
		vs, ks, ok := strings.Cut(strings.TrimSpace(part), ":")
		v, err := strconv.ParseUint(vs, 10, 32)
		if !ok || err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "ANXIN_VAULT_KEK entry %d is not VERSION:BASE64.", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(ks)
		if err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "ANXIN_VAULT_KEK entry %d is not base64.", i+1)
		}
		if err := r.add(uint32(v), key); err != nil {
			return nil, err
		}
	}
	return &EnvKEK{ring: r}, nil
}

// Current returns the highest version.
func (e *EnvKEK) Current(context.Context) (uint32, error) { return e.ring.current, nil }

// Versions returns the versions in the variable.
func (e *EnvKEK) Versions(context.Context) ([]uint32, error) { return e.ring.versions(), nil }

// Wrap wraps dek with the current version.
func (e *EnvKEK) Wrap(_ context.Context, dek, aad []byte) (uint32, []byte, error) {
	return e.ring.wrap(dek, aad)
}

// Unwrap unwraps with the named version.
func (e *EnvKEK) Unwrap(_ context.Context, version uint32, wrapped, aad []byte) ([]byte, error) {
	dek, ok, err := e.ring.unwrap(version, wrapped, aad)
	if !ok {
		return nil, errUnknownVersion(version)
	}
	return dek, err
}

// FileKEK is the embedded default: a key file in the data directory, mode
// 0600, one line per version ("<version> <base64 key>"), created with one
// random version on first start. Rotate appends a version and Retire removes
// one, each by writing a new file and renaming it over the old, so a reader
// never sees half a file. A server notices a rotation done by another
// process (anxin vault rotate) when it next wraps a key or meets an unknown
// version, because it re-reads the file when its modification time changes.
type FileKEK struct {
	path string

	mu    sync.Mutex
	ring  *keyring
	mtime time.Time
	size  int64
}

// OpenFileKEK opens the key file at path, creating it (and its directory,
// 0700) with one random version if it does not exist. Invalid if the file is
// malformed or readable by group or others.
func OpenFileKEK(path string) (*FileKEK, error) {
	f := &FileKEK{path: path}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		var key [KeySize]byte
		if _, err := rand.Read(key[:]); err != nil {
			return nil, err
		}
		r := newKeyring()
		if err := r.add(1, key[:]); err != nil {
			return nil, err
		}
		if err := writeKeyFile(path, r, true); err != nil {
			return nil, err
		}
	}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FileKEK) load() error {
	st, err := os.Stat(f.path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return anxin.Errorf(anxin.Invalid, "The vault key file is readable by group or others (mode %o); chmod 600 it.", st.Mode().Perm())
	}
	body, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	r := newKeyring()
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		vs, ks, ok := strings.Cut(line, " ")
		v, err := strconv.ParseUint(vs, 10, 32)
		if !ok || err != nil {
			return anxin.Errorf(anxin.Invalid, "The vault key file line %d is not \"VERSION BASE64\".", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ks))
		if err != nil {
			return anxin.Errorf(anxin.Invalid, "The vault key file line %d is not base64.", i+1)
		}
		if err := r.add(uint32(v), key); err != nil {
			return err
		}
	}
	if len(r.keys) == 0 {
		return anxin.Errorf(anxin.Invalid, "The vault key file holds no key.")
	}
	f.ring, f.mtime, f.size = r, st.ModTime(), st.Size()
	return nil
}

// refresh re-reads the file if it changed since it was loaded.
func (f *FileKEK) refresh() (*keyring, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The vault key file cannot be read.")
	}
	if !st.ModTime().Equal(f.mtime) || st.Size() != f.size {
		if err := f.load(); err != nil {
			return nil, err
		}
	}
	return f.ring, nil
}

func writeKeyFile(path string, r *keyring, create bool) error {
	var b strings.Builder
	b.WriteString("# Anxin vault key-encryption keys: VERSION BASE64. Keep this file secret and backed up;\n# without it sealed personal data cannot be opened.\n")
	for _, v := range r.versions() {
		fmt.Fprintf(&b, "%d %s\n", v, base64.StdEncoding.EncodeToString(r.raw[v]))
	}
	tmp := path + ".tmp"
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	fh, err := os.OpenFile(tmp, flags, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(b.String()); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	if create {
		if _, err := os.Stat(path); err == nil {
			os.Remove(tmp)
			return nil // another process created it first
		}
	}
	return os.Rename(tmp, path)
}

// Current returns the newest version in the file.
func (f *FileKEK) Current(context.Context) (uint32, error) {
	r, err := f.refresh()
	if err != nil {
		return 0, err
	}
	return r.current, nil
}

// Versions returns the versions in the file.
func (f *FileKEK) Versions(context.Context) ([]uint32, error) {
	r, err := f.refresh()
	if err != nil {
		return nil, err
	}
	return r.versions(), nil
}

// Wrap wraps dek with the newest version (re-reading the file if another
// process rotated it).
func (f *FileKEK) Wrap(_ context.Context, dek, aad []byte) (uint32, []byte, error) {
	r, err := f.refresh()
	if err != nil {
		return 0, nil, err
	}
	return r.wrap(dek, aad)
}

// Unwrap unwraps with the named version. It re-reads the file first when it
// changed, so a version retired by another process stops working here too.
func (f *FileKEK) Unwrap(_ context.Context, version uint32, wrapped, aad []byte) ([]byte, error) {
	r, err := f.refresh()
	if err != nil {
		return nil, err
	}
	dek, ok, err := r.unwrap(version, wrapped, aad)
	if !ok {
		return nil, errUnknownVersion(version)
	}
	return dek, err
}

// Rotate adds a new random version and makes it current.
func (f *FileKEK) Rotate(context.Context) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(); err != nil {
		return 0, err
	}
	var key [KeySize]byte
	if _, err := rand.Read(key[:]); err != nil {
		return 0, err
	}
	next := f.ring.current + 1
	if err := f.ring.add(next, key[:]); err != nil {
		return 0, err
	}
	if err := writeKeyFile(f.path, f.ring, false); err != nil {
		return 0, err
	}
	return next, f.load()
}

// Retire removes a version from the file. Invalid for the current version;
// NotFound for an unknown one.
func (f *FileKEK) Retire(_ context.Context, version uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(); err != nil {
		return err
	}
	if _, ok := f.ring.keys[version]; !ok {
		return errUnknownVersion(version)
	}
	if version == f.ring.current {
		return anxin.Errorf(anxin.Invalid, "KEK version %d is current and cannot be retired.", version)
	}
	delete(f.ring.keys, version)
	delete(f.ring.raw, version)
	if err := writeKeyFile(f.path, f.ring, false); err != nil {
		return err
	}
	return f.load()
}

var (
	_ KEK     = (*EnvKEK)(nil)
	_ KEK     = (*FileKEK)(nil)
	_ Rotator = (*FileKEK)(nil)
)
