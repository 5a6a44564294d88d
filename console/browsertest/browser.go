// Package browsertest drives the web console in a real headless Chromium
// (the system's /usr/bin/chromium, installed by make setup) with chromedp:
// a small vocabulary (Go, Fill, Click, Text, WaitVisible, Eval …) so that a
// test reads as what a person does.
package browsertest

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Chromium finds the system browser: $HOUSECALL_CHROMIUM, else chromium or
// google-chrome on the PATH.
func Chromium() (string, bool) {
	if p := os.Getenv("HOUSECALL_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Viewports (CSS pixels): the engineer's phone and a desk.
const (
	PhoneWidth, PhoneHeight     = 390, 844
	DesktopWidth, DesktopHeight = 1366, 900
)

// Browser is one headless Chromium with its own cookies.
type Browser struct {
	T   testing.TB
	Ctx context.Context
	// Base is the console's address (http://host:port), for Go.
	Base string
	// Timeout bounds each step (default 30 s).
	Timeout time.Duration
}

// New starts a headless Chromium for t with a viewport. Without a browser
// the test fails and says how to install one (make setup), unless
// HOUSECALL_SKIP_BROWSER=1 (then it is skipped).
func New(t testing.TB, base string, width, height int) *Browser {
	t.Helper()
	path, ok := Chromium()
	if !ok {
		if os.Getenv("HOUSECALL_SKIP_BROWSER") == "1" {
			t.Skip("no Chromium and HOUSECALL_SKIP_BROWSER=1")
		}
		t.Fatal("no Chromium found for the console's browser tests: `make setup` installs it (apt-get install chromium), or set HOUSECALL_CHROMIUM")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{T: t, Ctx: ctx, Base: strings.TrimSuffix(base, "/"), Timeout: 30 * time.Second}
	// The first run starts the browser on ctx itself: a run on a context
	// with a deadline would stop the browser with it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return b
}

// Do runs steps, failing the test with what was being done.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.T.Fatalf("browser: %s: %v", what, err)
	}
}

// Get runs one action that returns a value.
func Get[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.T.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Go opens a path of the console (or a full URL) and waits for it to load.
func (b *Browser) Go(path string) {
	b.T.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.Base + path
	}
	b.Do("open "+u, chromedp.Navigate(u))
}

// Fill replaces the value of the field css with text (typed, so the page's
// input handlers run).
func (b *Browser) Fill(css, text string) {
	b.T.Helper()
	b.Do("fill "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Clear(chromedp.CSS(css)), chromedp.SendKeys(chromedp.CSS(css), text))
}

// Set sets the value of the field css (selects, dates, hidden fields).
func (b *Browser) Set(css, value string) {
	b.T.Helper()
	b.Do("set "+css, chromedp.SetValue(chromedp.CSS(css), value))
}

// Click clicks the element css (visible first).
func (b *Browser) Click(css string) {
	b.T.Helper()
	b.Do("click "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Click(chromedp.CSS(css)))
}

// ClickAndLoad clicks css and waits for the page it loads (a form's submit
// button, a link).
func (b *Browser) ClickAndLoad(css string) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Timeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Click(chromedp.CSS(css))); err != nil {
		b.T.Fatalf("browser: click %s and load: %v", css, err)
	}
}

// WaitVisible waits until css is visible.
func (b *Browser) WaitVisible(css string) {
	b.T.Helper()
	b.Do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// WaitGone waits until css is not in the page.
func (b *Browser) WaitGone(css string) {
	b.T.Helper()
	b.Do("wait until "+css+" is gone", chromedp.WaitNotPresent(chromedp.CSS(css)))
}

// WaitText waits until the text of css contains want, and returns it.
func (b *Browser) WaitText(css, want string) string {
	b.T.Helper()
	deadline := time.Now().Add(b.Timeout)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.Ctx, 2*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		cancel()
		if err == nil {
			last = s
			if strings.Contains(s, want) {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.T.Fatalf("browser: %s never said %q (last: %q)", css, want, last)
	return ""
}

// Text is the visible text of css.
func (b *Browser) Text(css string) string {
	b.T.Helper()
	return Get(b, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// Exists reports whether css matches an element now.
func (b *Browser) Exists(css string) bool {
	b.T.Helper()
	return Eval[bool](b, "document.querySelector("+jsString(css)+") !== null")
}

// Location is the page's URL.
func (b *Browser) Location() string {
	b.T.Helper()
	return Get(b, "location", chromedp.Location())
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](b *Browser, expr string) T {
	b.T.Helper()
	return Get(b, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// Cookies are the browser's cookies for the console, as http.Cookies (to
// send requests outside the browser as the same session).
func (b *Browser) Cookies() []*http.Cookie {
	b.T.Helper()
	var out []*http.Cookie
	b.Do("cookies", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
		}
		return nil
	}))
	return out
}

// SignIn opens the console and signs in with token.
func (b *Browser) SignIn(token string) {
	b.T.Helper()
	b.Go("/")
	b.Fill("#token", token)
	b.ClickAndLoad("#signin")
	if b.Exists("#token") {
		b.T.Fatalf("browser: sign-in refused: %s", b.Text("main"))
	}
}

// Screenshot writes a PNG of the page to docs/console-NAME.png when
// HOUSECALL_UPDATE_SCREENSHOTS=1 (the README shows them).
func (b *Browser) Screenshot(name string) {
	b.T.Helper()
	if os.Getenv("HOUSECALL_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png := Get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "docs")
	if err := os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644); err != nil {
		b.T.Fatal(err)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
