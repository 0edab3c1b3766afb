package load_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-shop/shop/internal/load"
	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// shopBin builds the shop binary (from the build cache after the first).
func shopBin(t *testing.T) string {
	t.Helper()
	bin, err := shoptest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runJSON runs shopload with args plus -out and decodes what it wrote.
func runJSON(t *testing.T, args ...string) *load.Result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results.json")
	var stdout, stderr bytes.Buffer
	if code := load.Main(context.Background(), append(args, "-out", out), &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r load.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("stdout:\n%s", &stdout)
	return &r
}

// TestListCeiling runs the list scenario's ceiling against the binary: the
// same pages, read from the shop, served by a bare chi handler in turns
// with the shop, both without errors.
func TestListCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the shop binary")
	}
	bin := shopBin(t)
	r := runJSON(t, "-server-bin", bin, "-scenario", "list-ceiling", "-c", "2", "-n", "120", "-seed-products", "30", "-seed-c", "4")
	c := r.Ceiling
	if c == nil || c.Route != "GET /product?category" || c.ShopPerSecond <= 0 || c.BarePerSecond <= 0 {
		t.Fatalf("ceiling %+v: want the list route with both sides measured", c)
	}
	counts := map[string]int64{}
	for _, rt := range r.Routes {
		counts[rt.Route] = rt.Count
		if rt.Errors != 0 {
			t.Errorf("route %s: %d errors (%v), want 0", rt.Route, rt.Errors, rt.FirstError)
		}
	}
	if counts["GET /product?category"] == 0 || counts["bare chi GET /product?category"] == 0 {
		t.Errorf("routes %v: want both the shop's and the bare list route", counts)
	}
	if r.Server == nil || r.Server.Requests != counts["GET /product?category"] || r.Server.DynamoDB != "" {
		t.Errorf("server %+v: want the shop's requests counted and no DynamoDB", r.Server)
	}
}

// TestDynamoDBRun runs create-product against the binary on DynamoDB
// Local: the server's CPU per request is reported to the run's end and,
// once the product events drained, with them; its connections to DynamoDB
// are counted; the run's tables are gone afterwards.
func TestDynamoDBRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the shop binary")
	}
	endpoint := testenv.DynamoDBEndpoint(t)
	bin := shopBin(t)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	tables := func() map[string]bool {
		out := map[string]bool{}
		p := dynamodb.NewListTablesPaginator(db, &dynamodb.ListTablesInput{})
		for p.HasMorePages() {
			pg, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range pg.TableNames {
				if strings.HasPrefix(n, "load-") {
					out[n] = true
				}
			}
		}
		return out
	}
	before := tables()

	r := runJSON(t, "-server-bin", bin, "-dynamodb", endpoint, "-scenario", "create-product", "-c", "2", "-n", "40",
		"-seed-products", "5", "-seed-c", "2")
	s := r.Server
	if s == nil {
		t.Fatal("no server figures")
	}
	if s.Requests != 40 || s.CPURunSeconds < 0 || s.CPUPerRequestUs < 0 {
		t.Errorf("server %+v: want 40 requests and CPU figures", s)
	}
	if !s.Drained || s.CPUDrainedSeconds < s.CPURunSeconds {
		t.Errorf("server %+v: want the event work drained and the CPU read again after it", s)
	}
	if s.DynamoDB != endpoint || s.OpenAtEnd == 0 || s.NewConnections < 0 {
		t.Errorf("server %+v: want the connections to %s counted, some open at the end", s, endpoint)
	}
	for n := range tables() {
		if !before[n] && strings.Contains(n, "-product") {
			t.Errorf("table %s left behind", n)
		}
	}
}
