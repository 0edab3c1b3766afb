package auth_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

func TestDevKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k, err := auth.LoadDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, auth.DevKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode %v, want 0600", got)
	}
	cfg := auth.DevConfig("username", "cognito:groups", "admin")
	token, err := k.Mint(cfg, "swn", []string{"admin"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	// Another process loading the same directory trusts the token.
	again, err := auth.LoadDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := again.Keys()
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(cfg, keys.Keyfunc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(token)
	if err != nil || c.User != "swn" || !c.Admin {
		t.Fatalf("Verify = %+v, %v; want swn, admin", c, err)
	}

	// A key of another directory does not.
	other, err := auth.LoadDevKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := other.Keys()
	v2, _ := auth.NewVerifier(cfg, otherKeys.Keyfunc)
	if _, err := v2.Verify(token); err == nil {
		t.Error("a token of another data directory's key was accepted")
	}
}

// TestDevKeyCreatedOnce: processes starting together on an empty directory
// end up with one key, not one each.
func TestDevKeyCreatedOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := auth.DevConfig("username", "cognito:groups", "admin")
	tokens := make([]string, 8)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			k, err := auth.LoadDevKey(dir)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i], _ = k.Mint(cfg, "u", nil, time.Minute)
		})
	}
	wg.Wait()
	k, err := auth.LoadDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := k.Keys()
	v, _ := auth.NewVerifier(cfg, keys.Keyfunc)
	for i, tok := range tokens {
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("token %d: %v", i, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the key", len(entries))
	}
}

func TestDevKeyRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, auth.DevKeyFile), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadDevKey(dir); err == nil {
		t.Error("LoadDevKey accepted a file that holds no key")
	}
}
