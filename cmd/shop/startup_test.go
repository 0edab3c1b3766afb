package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/testenv"
)

// TestListeningLineTimesTheStart: the "listening" line carries each phase
// of the start, the total and the CPU time used, so a slow start shows where
// it went on whatever machine it happened.
func TestListeningLineTimesTheStart(t *testing.T) {
	cfg, err := LoadConfig([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out := &testenv.LogBuffer{}
	m := NewMain(cfg, out)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	logged := out.String()
	sc := bufio.NewScanner(strings.NewReader(logged))
	for sc.Scan() {
		var line struct {
			Message string
			Startup map[string]float64
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Message != "listening" {
			continue
		}
		for _, phase := range []string{"main", "tracing", "router", "auth", "bus", "product", "basket", "ordering", "start", "listen", "total", "cpu"} {
			if v, ok := line.Startup[phase]; !ok || v < 0 {
				t.Errorf("startup.%s = %v (present %v), want a duration in ms", phase, v, ok)
			}
		}
		return
	}
	t.Fatalf("no listening line in:\n%s", logged)
}
