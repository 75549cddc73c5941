package api

import (
	"context"
	"crypto/sha256"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// chromiumPath finds the browser; `make test` installs Debian's chromium.
// Like the S3 server, a missing browser skips the test unless
// VIGIL_TEST_STRICT is set.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("VIGIL_TEST_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no chromium found: run `make test` (installs it) or set VIGIL_TEST_CHROMIUM"
	if os.Getenv("VIGIL_TEST_STRICT") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startChromium starts Debian's headless Chromium with the flags of the
// developers' guide, its fake camera and microphone usable without a
// prompt, for at most limit. Chromium leaves the loopback interface out of
// WebRTC unless told, and test SFUs offer only 127.0.0.1: on a machine
// with no other interface nothing would connect.
func startChromium(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTime := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return ctx
}

// newBrowser starts a headless Chromium that answers Basic auth challenges
// with user and pass, as a person typing them into the prompt would.
func newBrowser(t *testing.T, user, pass string) context.Context {
	t.Helper()
	ctx := startChromium(t, 60*time.Second)

	// Every request pauses once the Fetch domain is on: continue them all,
	// and answer the dashboard's Basic challenge.
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	challenged := chromedp.Events(ctx, fetch.AuthRequired)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	go func() {
		for ev, err := range challenged {
			if err != nil {
				return
			}
			chromedp.Call(ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{
				RequestID: ev.RequestID,
				AuthChallengeResponse: &fetch.AuthChallengeResponse{
					Response: fetch.AuthChallengeResponseResponseProvideCredentials,
					Username: user, Password: pass,
				},
			})
		}
	}()
	handleAuth := true
	enable := fetch.EnableParams{HandleAuthRequests: &handleAuth}
	if _, err := chromedp.Call(ctx, fetch.Enable, enable); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func TestAdminDashboardUploadsFromTheBrowser(t *testing.T) {
	e, store := newStorageEnv(t)
	base := e.listen()
	ctx := newBrowser(t, testAdminUser, testAdminPass)

	content := []byte(strings.Repeat("a small recording ", 500))
	file := filepath.Join(t.TempDir(), "front door ü.webm")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(chromedp.ID("upload-button")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.ID("upload-button")),
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	// The status line ends in "uploaded <key>" or "upload failed: <why>".
	status, err := chromedp.Run(ctx, chromedp.Poll[string](
		`/^upload(ed|.*failed)/.test(document.getElementById("status").textContent) &&
			document.getElementById("status").textContent`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.HasPrefix(status, "uploaded admin/") {
		t.Fatalf("dashboard status %q, err %v; want uploaded", status, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#objects tr td.key"))); err != nil {
		t.Fatalf("upload not listed: %v", err)
	}
	key, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#objects tr td.key")))
	if err != nil {
		t.Fatal(err)
	}
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#objects tr a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	href := link.Value
	if status != "uploaded "+key || !strings.HasSuffix(key, "/front door ü.webm") {
		t.Fatalf("status %q, listed key %q; want the upload of front door ü.webm", status, key)
	}

	obj, err := store.Stat(context.Background(), key)
	if err != nil || obj.Size != int64(len(content)) || obj.ContentType != "video/webm" {
		t.Fatalf("stored object %+v, err %v; want %d bytes of video/webm", obj, err, len(content))
	}
	code, got := s3test.Get(t, href)
	if code != 200 || sha256.Sum256(got) != sha256.Sum256(content) {
		t.Fatalf("download link of the page: status %d, %d bytes", code, len(got))
	}
}

// Opened as http://user:pass@host/admin, the page's own URL holds
// credentials, and fetch refuses URLs resolved against it; the page must
// still list, upload and delete.
func TestAdminDashboardWorksWithCredentialsInTheURL(t *testing.T) {
	e, store := newStorageEnv(t)
	base := e.listen()
	ctx := newBrowser(t, testAdminUser, testAdminPass)
	listed := "admin/seed/already there.mp4"
	if status := putRaw(t, store, listed, []byte("seed")); status != 200 {
		t.Fatalf("seed PUT: status %d", status)
	}
	withCreds := strings.Replace(base, "http://",
		"http://"+url.UserPassword(testAdminUser, testAdminPass).String()+"@", 1)

	file := filepath.Join(t.TempDir(), "porch.webm")
	if err := os.WriteFile(file, []byte("porch"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(withCreds+"/admin"),
		chromedp.WaitVisible(chromedp.ID("upload-button")),
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	// The first listing runs on load: a row, or a failure in the status line.
	first, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(document.querySelector("#objects tr td.key") || {}).textContent ||
			document.getElementById("status").textContent`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || first != listed {
		t.Fatalf("first listing shows %q, err %v; want the key %q", first, err, listed)
	}
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.ID("upload-button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Poll[string](
		`/^upload(ed|.*failed)/.test(document.getElementById("status").textContent) &&
			document.getElementById("status").textContent`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.HasPrefix(status, "uploaded admin/") {
		t.Fatalf("dashboard status %q, err %v; want uploaded", status, err)
	}
}
