package api

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// simWait bounds each wait on a simulator page's state. The page answers
// in milliseconds; the bound only keeps a broken page from hanging the
// suite on a loaded 2-core machine.
const simWait = 30 * time.Second

// newSimServer serves a test server with the SFU, object storage and
// recording on a loopback port that is also its BETTER_AUTH_BASE_URL, as
// `vigil serve` would, and returns that URL.
func newSimServer(t *testing.T) (*testEnv, string) {
	t.Helper()
	store := s3test.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()

	sfu, dir := streamSFU(t, nil), t.TempDir()
	// The uploader needs the test's database, which exists only once the
	// server does; no segment is finished before it is set.
	var up *upload.Uploader
	e := newTestEnvWith(t, func(c *actors.Config) {
		c.SFU = sfu
		c.Recording = &actors.RecordingConfig{Dir: dir,
			OnSegment: func(s actors.RecordedSegment) { up.Enqueue(s.Segment.Path, s.Stream) }}
	}, func(o *Options) {
		o.BaseURL, _ = url.Parse(base)
		o.Storage = store
	})
	up = upload.New(upload.Config{Dir: dir, Store: store, Recordings: persistence.NewVideos(e.pool),
		Streams: persistence.NewStreams(e.pool), Logger: testLogger()})
	up.Start()
	go e.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
		up.Stop()
	})
	return e, base
}

// artifactsDir is where a browser test leaves its screenshots:
// $VIGIL_TEST_ARTIFACTS/<test>, or a folder of the system's temp dir
// that outlives the test, so a failed run can be looked at.
func artifactsDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("VIGIL_TEST_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "vigil-test-artifacts")
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts in %s", dir)
	return dir
}

// newSimBrowser starts a headless Chromium with a fake camera and
// microphone that pages may use without a prompt.
func newSimBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := startChromium(t, 3*time.Minute)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// simPhone is one simulator page in its own browser context (its own
// cookies and localStorage), as a separate phone would be.
type simPhone struct {
	t    *testing.T
	name string
	ctx  context.Context
}

func openSimPhone(t *testing.T, browser context.Context, name, base string) *simPhone {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	p := &simPhone{t: t, name: name, ctx: ctx}
	// The page's console goes to the test; the reader stops before the
	// test ends, as t.Logf must.
	console, done := chromedp.Console(ctx), make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			// The page reports every failure it expects in its notice;
			// an exception it did not catch is a bug.
			switch {
			case m.IsException():
				t.Errorf("%s: uncaught %s", name, m)
			case m.Type == chromedp.ConsoleError:
				t.Logf("%s console: %s", name, m)
			}
		}
	}()
	p.do(chromedp.EmulateViewport(412, 900),
		chromedp.Navigate(base+"/sim/mobile-sim.html"))
	p.wait("page ready", `document.body.dataset.ready === "true"`)
	return p
}

func (p *simPhone) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\n%s", p.name, err, p.notice())
	}
}

// wait polls expr on the page until it is truthy and answers it as a
// string; on timeout the test fails with what the page's notice says.
func (p *simPhone) wait(what, expr string) string {
	p.t.Helper()
	return p.waitEvery(what, 100*time.Millisecond, expr)
}

// waitEvery is wait with another polling interval, for an expression that
// sends a request each time.
func (p *simPhone) waitEvery(what string, every time.Duration, expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Poll[any](expr,
		chromedp.WithPollingInterval(every), chromedp.WithPollingTimeout(simWait)))
	if err != nil {
		p.t.Fatalf("%s: waiting for %s: %v\n%s", p.name, what, err, p.notice())
	}
	return fmt.Sprint(v)
}

// eval answers a JavaScript expression's value.
func (p *simPhone) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return fmt.Sprint(v)
}

// notice is the page's error line and latest log entries, for failures.
func (p *simPhone) notice() string {
	v, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](
		`"notice: " + document.getElementById("notice").textContent + "\nlog:\n" +
			[...document.querySelectorAll("#event-log li")].slice(0, 15)
				.map((li) => (li.querySelector("summary") ?? li).textContent).join("\n")`))
	return v
}

// click taps the element css selects once it is there, shown and
// enabled. Lookup and tap are one step in the page: lists are drawn anew
// as events arrive, and a node found first may be gone when tapped.
func (p *simPhone) click(css string) {
	p.t.Helper()
	p.wait("to tap "+css, fmt.Sprintf(`(() => {
		const node = document.querySelector(%q);
		if (!node || node.disabled || node.closest("[hidden]")) return false;
		node.click();
		return true;
	})()`, css))
}

// screenshot saves the whole page as a PNG in dir.
func (p *simPhone) screenshot(dir string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	path := filepath.Join(dir, p.name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("%s screenshot: %s", p.name, path)
}

// signIn signs up (or in) through the account form and registers this
// phone as a device of role.
func (p *simPhone) signIn(route, email, device, role string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID("auth-name"), "Ann"),
		chromedp.SetValue(chromedp.ID("auth-email"), email),
		chromedp.SetValue(chromedp.ID("auth-password"), "correct horse"))
	p.click("#" + route)
	p.wait("signed in", `!document.getElementById("signed-in").hidden &&
		document.getElementById("user-email").textContent`)
	p.do(chromedp.SetValue(chromedp.ID("device-name"), device))
	p.click("#register-" + role)
	p.wait("socket online", `document.getElementById("socket-state").dataset.state === "online"`)
}

// The brief's whole journey in a real browser: a camera phone and a
// viewer phone of one user, each in its own browser context, drive Vigil
// only through the simulator's buttons.
func TestSimulatorCameraAndViewerInChromium(t *testing.T) {
	_, base := newSimServer(t)
	dir := artifactsDir(t)
	browser := newSimBrowser(t)
	cam := openSimPhone(t, browser, "camera", base)
	viewer := openSimPhone(t, browser, "viewer", base)
	// Each page is shot while the stream plays, or where the test failed.
	shot := false
	defer func() {
		if !shot {
			cam.screenshot(dir)
			viewer.screenshot(dir)
		}
	}()

	cam.signIn("sign-up", "ann@example.com", "Hall camera", "camera")
	viewer.signIn("sign-in", "ann@example.com", "Ann's phone", "client")

	// Link: the viewer lists the user's cameras and links this one.
	viewer.click("#refresh-cameras")
	viewer.click("#cameras li[data-linked=false] button.link")
	camID := viewer.wait("the link", `document.querySelector("#cameras li[data-linked=true]")?.dataset.id`)
	if got := viewer.eval(`document.getElementById("target-camera").value`); got != camID {
		t.Fatalf("target camera %q, want the linked %q", got, camID)
	}

	// A command: the camera acks it, the viewer sees acknowledged arrive.
	viewer.do(chromedp.SetValue(chromedp.ID("command-type"), "ring_siren"),
		chromedp.SetValue(chromedp.ID("command-payload"), `{"durationSeconds": 5}`))
	viewer.click("#send-command")
	cmdID := viewer.wait("the command listed",
		`document.querySelector("#client-commands li[data-type=ring_siren]")?.dataset.id`)
	ackButton := fmt.Sprintf(`#camera-commands li[data-id="%s"] button.ack`, cmdID)
	cam.click(ackButton)
	status := viewer.wait("command:status acknowledged", fmt.Sprintf(
		`document.querySelector('#client-commands li[data-id="%s"] .status')?.textContent === "acknowledged"
			&& "acknowledged"`, cmdID))
	if status != "acknowledged" {
		t.Fatalf("command status %q", status)
	}

	// Motion: the camera reports it and the viewer's alert opens.
	cam.click("#motion-start")
	alert := viewer.wait("motion alert",
		`document.querySelector("#alerts li.alert[data-status=open]")?.textContent`)
	if !strings.Contains(alert, "Hall camera") {
		t.Fatalf("alert %q does not name the camera", alert)
	}

	// Live: the viewer asks, the camera accepts and publishes its fake
	// camera, and the viewer's <video> decodes frames that keep coming.
	viewer.click("#request-stream")
	streamID := cam.wait("the camera publishing",
		`document.querySelector("#camera-streams li[data-status=streaming]")?.dataset.id`)
	first := viewer.wait("decoded frames", `(() => {
		const v = document.getElementById("remote-video");
		const n = v.getVideoPlaybackQuality().totalVideoFrames;
		return v.videoWidth > 0 && n > 0 && n;
	})()`)
	later := viewer.wait("more frames", fmt.Sprintf(`(() => {
		const n = document.getElementById("remote-video").getVideoPlaybackQuality().totalVideoFrames;
		return n > %s && n;
	})()`, first))
	width := viewer.eval(`document.getElementById("remote-video").videoWidth`)
	t.Logf("stream %s: %s px wide, frames %s then %s", streamID, width, first, later)
	cam.screenshot(dir)
	viewer.screenshot(dir)
	shot = true

	// The viewer stops; the motion ends after it, so the stream's
	// recording falls within the event and is linked to it.
	viewer.click("#end-stream")
	viewer.wait("the stream ended", `document.getElementById("stream-state").dataset.status === "ended"`)
	cam.wait("the camera's stream ended", `document.querySelector("#camera-streams li[data-status=ended]")`)
	cam.click("#motion-end")
	viewer.wait("motion ended", `document.querySelector("#alerts li.alert[data-status=closed]")`)

	// History lists the event; once the recording is uploaded it has a
	// video, which the page's player loads from storage and decodes.
	viewer.waitEvery("the event's recording", 500*time.Millisecond, `(() => {
		document.getElementById("load-events").click();
		return document.querySelector("#history li[data-status=closed] button.play");
	})()`)
	viewer.click("#history li[data-status=closed] button.play")
	played := viewer.wait("the recording playing", `(() => {
		const v = document.getElementById("playback");
		return v.readyState >= 2 && v.videoWidth > 0 && v.duration > 0 && v.videoWidth + "x" + v.videoHeight;
	})()`)
	t.Logf("recording plays back at %s", played)

	// History pages: ten more events make two pages of ten.
	for range 10 {
		cam.click("#motion-start")
		cam.click("#motion-end")
		cam.wait("motion ended", `document.getElementById("motion-state").textContent === "No motion."`)
	}
	viewer.wait("every alert", `document.querySelectorAll("#alerts li.alert[data-status=closed]").length === 11`)
	viewer.click("#load-events")
	viewer.wait("a first page", `document.querySelectorAll("#history li[data-id]").length === 10 &&
		!document.getElementById("older-events").hidden`)
	viewer.click("#older-events")
	viewer.wait("the last page", `document.querySelectorAll("#history li[data-id]").length === 11 &&
		document.getElementById("older-events").hidden`)
	distinct := viewer.eval(`new Set([...document.querySelectorAll("#history li[data-id]")]
		.map((li) => li.dataset.id)).size`)
	if n := distinct; n != "11" {
		t.Fatalf("history shows %s distinct events, want 11", n)
	}

	// A file goes to storage through a presigned PUT, is listed, and its
	// presigned download URL, which the player gets, serves the same bytes.
	content := []byte(strings.Repeat("porch clip ", 300))
	file := filepath.Join(t.TempDir(), "porch clip.webm")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	viewer.do(chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{file}))
	viewer.click("#upload")
	uploaded := viewer.wait("the upload", `(() => {
		const s = document.getElementById("upload-status").textContent;
		return /^upload(ed|.*failed)/.test(s) && s;
	})()`)
	key, ok := strings.CutPrefix(uploaded, "uploaded ")
	if !ok || !strings.HasSuffix(key, "/porch clip.webm") {
		t.Fatalf("upload status %q", uploaded)
	}
	recording := viewer.eval(`document.getElementById("playback").src`)
	viewer.click(fmt.Sprintf(`#videos li[data-key=%q] button.play`, key))
	src := viewer.wait("the player's new URL", fmt.Sprintf(
		`(() => { const s = document.getElementById("playback").src; return s !== %q && s; })()`, recording))
	if code, got := s3test.Get(t, src); code != 200 || !bytes.Equal(got, content) {
		t.Fatalf("the player's URL: status %d, %d bytes; want the %d uploaded", code, len(got), len(content))
	}

	// A reload keeps the phone's device, its token in localStorage, and
	// the motion event it left open, which it can still end.
	before := cam.eval(`document.getElementById("device-id").textContent`)
	cam.click("#motion-start")
	cam.wait("motion open", `document.getElementById("motion-state").textContent !== "No motion."`)
	cam.do(chromedp.Reload())
	cam.wait("page ready again", `document.body.dataset.ready === "true"`)
	cam.wait("socket online again", `document.getElementById("socket-state").dataset.state === "online"`)
	if after := cam.eval(`document.getElementById("device-id").textContent`); after != before || before == "" {
		t.Fatalf("device after reload %q, before %q", after, before)
	}
	cam.click("#motion-end")
	viewer.wait("the reloaded camera's motion ended",
		`document.querySelectorAll("#alerts li.alert[data-status=closed]").length === 12`)
}
