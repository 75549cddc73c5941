package api

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestChromiumPublishesOverWHIPAndPlaysOverWHEPWithTheREADMECode(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := "http" + e.listenWS()[len("ws"):]
	s := e.requestStream(p.cli, p.cam)
	tok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"), nil,
		p.cli.bearer()...), http.StatusOK).PlaybackToken
	code, err := os.ReadFile("../docs/examples/whip-whep.js")
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, "", "")

	// The page is the server's own origin, as a player served beside
	// Vigil would be; another origin must be in BETTER_AUTH_TRUSTED_ORIGINS.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(code)+`;
		window.whipPublish = whipPublish; window.whepPlay = whepPlay; window.stopSession = stop; true`)); err != nil {
		t.Fatalf("load docs/examples/whip-whep.js: %v", err)
	}
	resources, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(async () => {
		const camera = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}, audio: true});
		window.published = await whipPublish(location.origin + "/whip/streams/`+string(s.ID)+`",
			"`+p.cam.Token+`", camera);
		window.video = document.createElement("video");
		document.body.append(video);
		window.played = await whepPlay(location.origin + "/whep/streams/`+string(s.ID)+`", "`+tok+`", video);
		return [published.resource, played.resource];
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("publish and play in Chromium: %v", err)
	}
	t.Logf("WHIP resource %s, WHEP resource %s", resources[0], resources[1])

	// The player decodes the camera's picture: frames count up, at its size.
	var frames, width float64
	deadline := time.Now().Add(20 * time.Second)
	for frames < 30 || width != 320 {
		if time.Now().After(deadline) {
			t.Fatalf("the WHEP player decoded %v frames of width %v in 20 s", frames, width)
		}
		time.Sleep(200 * time.Millisecond)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](
			`[video.getVideoPlaybackQuality().totalVideoFrames, video.videoWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		frames, width = got[0], got[1]
	}
	t.Logf("the WHEP player decoded %v frames, %v pixels wide", frames, width)

	// stop deletes the player's resource, then the camera's, which ends it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(async () => {
		await stopSession(played, "`+tok+`");
		await stopSession(published, "`+p.cam.Token+`");
		return true;
	})()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the stream ended by WHIP DELETE", func() bool {
		st, err := e.opts.Streams.StreamByID(t.Context(), s.ID)
		return err == nil && st.Status == "ended" && st.EndReason == "camera_left"
	})
}
