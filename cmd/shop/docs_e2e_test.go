package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/serverless-shop/shop/api"
	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// screenshotPath is the README's picture of the reference page, rewritten
// by TestDocsInABrowser when SHOP_UPDATE_SCREENSHOT=1.
const screenshotPath = "../../docs/api-reference.png"

// TestSpecServed fetches the document and the reference page the way the
// browser does, through shoptest, which holds them to the spec too.
func TestSpecServed(t *testing.T) {
	shop := shoptest.Start(t, bin)
	if got := shop.Must(t, http.StatusOK, "GET", "/openapi.yaml", nil).Body; !bytes.Equal(got, api.Spec()) {
		t.Error("GET /openapi.yaml is not api/openapi.yaml")
	}
	var doc struct{ OpenAPI string }
	shop.Must(t, http.StatusOK, "GET", "/openapi.json", nil).Decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("GET /openapi.json: openapi %q, want 3.1", doc.OpenAPI)
	}
	for _, p := range []string{"/docs", "/docs/init.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} {
		shop.Must(t, http.StatusOK, "GET", p, nil)
		shop.Must(t, http.StatusOK, "HEAD", p, nil)
	}
	shop.Must(t, http.StatusNotFound, "GET", "/docs/swagger-ui-bundle.js.map", nil)
}

// TestDocsInABrowser loads /docs from the real binary in headless Chromium:
// the reference renders, shows every operation's path, writes no error to
// the console and asks nothing of any other host.
func TestDocsInABrowser(t *testing.T) {
	chromium := testenv.Chromium(t)
	shop := shoptest.Start(t, bin)
	spec, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	operations := 0
	for path, item := range spec.Paths.Map() {
		paths = append(paths, path)
		operations += len(item.Operations())
	}
	slices.Sort(paths)

	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)

	var (
		mu       sync.Mutex
		problems []string
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				report("console.%s: %s", ev.Type, argsText(ev.Args))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil {
				report("exception: %s (%s:%d)", d.Exception.Description, d.URL, d.LineNumber)
			} else {
				report("exception: %s (%s:%d)", d.Text, d.URL, d.LineNumber)
			}
		case *log.EventEntryAdded:
			// The browser's own log: failed loads, refusals of the page's
			// Content-Security-Policy.
			if ev.Entry.Level == log.EntryLevelError {
				report("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			if !strings.HasPrefix(u, shop.URL+"/") && !strings.HasPrefix(u, "data:") {
				report("the page asked another host for %s", u)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	if err := chromedp.Do(runCtx, chromedp.Navigate(shop.URL+"/docs")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	// Swagger UI renders one .opblock per operation once it has read the
	// document.
	if _, err := chromedp.Run(runCtx, chromedp.Poll[bool](
		fmt.Sprintf(`document.querySelectorAll('#swagger-ui .opblock').length >= %d`, operations),
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the reference did not render %d operations: %v", operations, err)
	}
	text, err := chromedp.Run(runCtx, chromedp.Evaluate[string](`document.getElementById('swagger-ui').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	// Swagger UI puts a zero-width space before each "/" so long paths wrap.
	text = strings.ReplaceAll(text, "\u200b", "")
	for _, p := range paths {
		if !strings.Contains(text, p) {
			t.Errorf("the page does not show %s", p)
		}
	}
	if !strings.Contains(text, spec.Info.Title) {
		t.Errorf("the page does not show the title %q", spec.Info.Title)
	}
	resolverErrors, err := chromedp.Run(runCtx, chromedp.Evaluate[int](`document.querySelectorAll('#swagger-ui .errors-wrapper').length`))
	if err != nil {
		t.Fatal(err)
	}
	if resolverErrors > 0 {
		t.Errorf("Swagger UI shows %d error boxes: the document does not resolve", resolverErrors)
	}

	png, err := chromedp.Run(runCtx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	mu.Lock()
	for _, p := range problems {
		t.Error(p)
	}
	mu.Unlock()
	if os.Getenv("SHOP_UPDATE_SCREENSHOT") == "1" && !t.Failed() {
		if err := os.WriteFile(filepath.FromSlash(screenshotPath), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", screenshotPath, len(png))
	}
}

// argsText is what the console shows for a call's arguments, roughly.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}
