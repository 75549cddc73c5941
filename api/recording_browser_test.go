package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
)

// playback is what a page's <video> did with a recording.
type playback struct {
	Duration float64 `json:"duration"`
	Ended    bool    `json:"ended"`
	Error    string  `json:"error"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
}

// playbackState reads the video element found by selector once it has
// ended or failed.
func playbackState(selector string) string {
	return `(() => {
		const v = document.querySelector(` + strconv.Quote(selector) + `);
		return { duration: v.duration, ended: v.ended, width: v.videoWidth, height: v.videoHeight,
			error: v.error ? "code " + v.error.code + ": " + v.error.message : "" };
	})()`
}

// playInPage plays src in a new muted <video> of the page (muted, so no
// gesture is needed) and waits for ended or an error.
func playInPage(t *testing.T, ctx context.Context, src string) playback {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((resolve) => {
		const v = document.createElement("video");
		v.id = "under-test";
		v.muted = true;
		v.addEventListener("ended", () => resolve(true));
		v.addEventListener("error", () => resolve(false));
		v.src = `+strconv.Quote(src)+`;
		document.body.append(v);
		v.play().catch(() => resolve(false));
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("play %s: %v", src, err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[playback](playbackState("#under-test")))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkPlayed fails unless the video played to its end with a picture.
func checkPlayed(t *testing.T, got playback, recorded time.Duration) {
	t.Helper()
	t.Logf("played: %+v", got)
	if got.Error != "" || !got.Ended || got.Width != mediatest.ClipWidth ||
		got.Height != mediatest.ClipHeight {
		t.Fatalf("playback %+v, want it ended with a 320x240 picture", got)
	}
	d := time.Duration(got.Duration * float64(time.Second))
	if d <= 0 || d > recorded+time.Second {
		t.Fatalf("browser says the recording lasts %s, %s was recorded", d, recorded)
	}
}

func TestRecordingPlaysInChromiumAndFromTheAdminDashboard(t *testing.T) {
	e := newRecordingEnv(t, time.Minute)
	audio := mediatest.OpusClip(t)
	const sent = 2 * time.Second
	r := e.recordStream(mediatest.VP8Clip(t), &audio, sent)
	if len(r.videos) != 1 {
		t.Fatalf("%d recordings of 2 s in one-minute segments, want 1", len(r.videos))
	}
	base := e.listen()
	ctx := newBrowser(t, testAdminUser, testAdminPass)

	t.Run("in a video element from its download URL", func(t *testing.T) {
		got := decodeAs[downloadURLResponse](t, e.do("GET",
			"/videos/download-url?objectKey="+url.QueryEscape(r.videos[0].ObjectKey), nil,
			r.owner.bearer()...), http.StatusOK)
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
			t.Fatal(err)
		}
		checkPlayed(t, playInPage(t, ctx, got.DownloadURL), sent)
	})

	t.Run("from the admin dashboard's play button", func(t *testing.T) {
		play := chromedp.CSS(`#objects tr[data-key="` + r.videos[0].ObjectKey + `"] button.play`)
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/admin"),
			chromedp.WaitVisible(play),
			chromedp.Click(play),
		)
		if err != nil {
			t.Fatalf("dashboard: %v", err)
		}
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](
			`document.getElementById("player").ended || !!document.getElementById("player").error`,
			chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			t.Fatalf("the dashboard's player neither ended nor failed: %v", err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[playback](playbackState("#player")))
		if err != nil {
			t.Fatal(err)
		}
		checkPlayed(t, got, sent)
		shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("playing")))
		if err != nil || shown != r.videos[0].ObjectKey {
			t.Errorf("dashboard shows %q playing, err %v; want %s", shown, err, r.videos[0].ObjectKey)
		}
	})
}

// Chromium built without proprietary codecs cannot decode H.264; Debian's
// can. The test asks the browser first and says what it answered.
func TestH264RecordingIsFragmentedMP4AndPlaysInChromium(t *testing.T) {
	e := newRecordingEnv(t, time.Minute)
	audio := mediatest.OpusClip(t)
	const sent = 2 * time.Second
	r := e.recordStream(mediatest.H264Clip(t), &audio, sent)
	if len(r.videos) != 1 || !strings.HasSuffix(r.videos[0].ObjectKey, ".mp4") ||
		r.videos[0].ContentType != "video/mp4" {
		t.Fatalf("recordings %+v, want one video/mp4", r.videos)
	}
	f := recordtest.MP4(t, e.download(r.owner, r.videos[0], t.TempDir()))
	if d := len(f.Video) - int(r.pub.Frames.Load()); d < -1 || d > 0 || !f.Keyframe[0] ||
		f.Width != mediatest.ClipWidth {
		t.Fatalf("downloaded %+v, want %d frames of 320x240 from a keyframe", f, r.pub.Frames.Load())
	}

	base := e.listen()
	ctx := newBrowser(t, testAdminUser, testAdminPass)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
		t.Fatal(err)
	}
	support, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.createElement("video").canPlayType('video/mp4; codecs="avc1.42E01F, opus"')`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("canPlayType(video/mp4; avc1.42E01F, opus) = %q", support)
	if support == "" {
		t.Skip("this Chromium cannot play H.264 in MP4; the file was checked by parsing only")
	}
	got := decodeAs[downloadURLResponse](t, e.do("GET",
		"/videos/download-url?objectKey="+url.QueryEscape(r.videos[0].ObjectKey), nil,
		r.owner.bearer()...), http.StatusOK)
	checkPlayed(t, playInPage(t, ctx, got.DownloadURL), sent)
}
