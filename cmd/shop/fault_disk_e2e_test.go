package main_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// mountSmallDisk mounts a tmpfs of size (e.g. "8m") on a new directory and
// unmounts it when the test ends. It needs root (CI runs as root); without
// it the test is skipped, and fails with CI=true.
func mountSmallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := "cannot mount a small tmpfs for the full-disk test (needs root): " + strings.TrimSpace(string(out))
		if testenv.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the filesystem is full, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return path
		}
	}
}

// checkBolt opens every bbolt file under dir and checks its pages: a write
// cut short by the full disk must not have left a torn file.
func checkBolt(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.db"))
	if len(files) == 0 {
		t.Fatalf("no bbolt files in %s", dir)
	}
	for _, path := range files {
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Errorf("open %s: %v", path, err)
			continue
		}
		if err := db.View(func(tx *bbolt.Tx) error {
			var first error
			for err := range tx.Check() {
				first = cmpOr(first, err)
			}
			return first
		}); err != nil {
			t.Errorf("%s is inconsistent: %v", path, err)
		}
		db.Close()
	}
}

// TestDiskFull runs the embedded store on a filesystem that fills up under
// a steady write-and-checkout load. While it is full, writes are refused
// with 503 problem+json and Retry-After; when space returns the store works
// again; every bbolt file is consistent, and after a restart on the same
// data every acknowledged product is there and every accepted checkout is
// exactly one order.
func TestDiskFull(t *testing.T) {
	dir := mountSmallDisk(t, "16m")
	env := []string{"SHOP_DATA_DIR=" + dir, "SHOP_ADMIN_ADDR=127.0.0.1:0"}
	shop, product := primedShop(t, env)

	load := startFaultLoad(t, shop, product, "e", 3)
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load() >= 10 }, "no checkouts accepted before the disk filled")

	filler := fill(t, dir)
	full := time.Now()
	refusedBefore := load.refused.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.refused.Load()-refusedBefore >= 10 },
		"writes were not refused while the disk was full")
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	refusedFull := load.refused.Load() - refusedBefore
	written := load.okWrites.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.okWrites.Load() > written+5 },
		"writes never succeeded again after space returned")
	firstWrite := time.Since(freed)
	acceptedAfter := load.accepted.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load() >= acceptedAfter+10 },
		"checkouts were not accepted again")
	load.Stop()
	shoptest.Eventually(t, 60*time.Second, func() bool { return outboxPending(shop) == 0 }, "the outbox never drained")
	load.verify(t, shop)
	shop.Stop(t)

	checkBolt(t, dir)
	shop = shoptest.Start(t, bin, env...)
	orders := load.verify(t, shop)
	t.Logf("FIGURES disk full %.1fs: %d writes answered 503 while full; first write %.1fs after space returned; "+
		"after a restart %d acknowledged products all there, %d accepted checkouts → %d orders",
		freed.Sub(full).Seconds(), refusedFull, firstWrite.Seconds(), len(load.products), load.accepted.Load(), orders)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
