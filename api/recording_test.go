package api

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// recordingEnv is a test server with the SFU, recording into dir and an
// uploader storing into its own bucket of the test S3 server, as serve
// wires them.
type recordingEnv struct {
	*testEnv
	store *objectstore.Store
	dir   string
}

func newRecordingEnv(t *testing.T, segment time.Duration) *recordingEnv {
	t.Helper()
	store := s3test.New(t)
	dir := t.TempDir()
	var up atomic.Pointer[upload.Uploader]
	sfu := streamSFU(t, nil)
	e := newTestEnvWith(t, func(c *actors.Config) {
		c.SFU = sfu
		c.Recording = &actors.RecordingConfig{Dir: dir, SegmentLength: segment,
			OnSegment: func(s actors.RecordedSegment) { up.Load().Enqueue(s.Segment.Path, s.Stream) }}
	}, func(o *Options) {
		o.Storage = store
		o.AdminUsername, o.AdminPassword = testAdminUser, testAdminPass
	})
	u := upload.New(upload.Config{Dir: dir, Store: store,
		Recordings: persistence.NewVideos(e.pool), Streams: persistence.NewStreams(e.pool),
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second, Logger: testLogger()})
	up.Store(u)
	u.Start()
	t.Cleanup(u.Stop)
	return &recordingEnv{testEnv: e, store: store, dir: dir}
}

// recorded is a stream recorded through the routes: what the camera sent
// and what the user can see of it afterwards.
type recorded struct {
	owner   user
	camera  registered
	stream  wire.Stream
	motion  wire.Event
	pub     *mediatest.Publisher
	videos  []videoJSON
	started time.Time
}

// recordStream has a camera with a motion event open publish the clips
// for d through the HTTP routes, ends the stream and waits until every
// segment is uploaded.
func (e *recordingEnv) recordStream(video mediatest.Clip, audio *mediatest.Clip,
	d time.Duration) recorded {
	t := e.t
	t.Helper()
	r := recorded{owner: e.signUp("owner@example.com")}
	r.camera = e.register(r.owner, "porch", "camera")
	viewer := e.register(r.owner, "phone", "client")
	e.link(r.owner, r.camera, viewer)
	r.motion = decodeAs[struct{ Event wire.Event }](t, e.do("POST", "/events/motion/start",
		map[string]any{"startedAt": time.Now().Add(-time.Second)}, r.camera.bearer()...),
		http.StatusCreated).Event

	r.stream = e.requestStream(viewer, r.camera)
	e.accept(r.stream, r.camera)
	r.pub = mediatest.NewPublisher(t, video, audio)
	ans := decodeAs[sdpAnswer](t, e.do("POST", streamPath(r.stream, "/sfu/publish-transport"),
		map[string]string{"type": "offer", "sdp": r.pub.Offer(t)}, r.camera.bearer()...),
		http.StatusOK)
	r.started = time.Now()
	r.pub.Connect(t, ans.SDP)
	r.pub.Send(d)
	time.Sleep(300 * time.Millisecond) // the last packets cross the SFU
	decodeAs[struct{ StreamSession wire.Stream }](t, e.do("POST", streamPath(r.stream, "/end"), nil,
		r.camera.bearer()...), http.StatusOK)

	deadline := time.Now().Add(20 * time.Second)
	for {
		left := filesUnder(t, e.dir)
		r.videos = e.recordings(r.owner)
		if len(left) == 0 && len(r.videos) > 0 {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("files still on disk %v, %d recordings listed", left, len(r.videos))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordings lists the user's objects under recordings/, oldest first.
func (e *recordingEnv) recordings(u user) []videoJSON {
	e.t.Helper()
	page := decodeAs[videoListResponse](e.t, e.do("GET", "/videos", nil, u.bearer()...),
		http.StatusOK)
	var out []videoJSON
	for _, v := range page.Videos {
		if strings.Contains(v.ObjectKey, "/recordings/") {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ObjectKey < out[j].ObjectKey })
	return out
}

// download fetches a recording through its presigned URL into dir.
func (e *recordingEnv) download(u user, v videoJSON, dir string) string {
	e.t.Helper()
	got := decodeAs[downloadURLResponse](e.t, e.do("GET",
		"/videos/download-url?objectKey="+url.QueryEscape(v.ObjectKey), nil, u.bearer()...),
		http.StatusOK)
	code, body := s3test.Get(e.t, got.DownloadURL)
	if code != http.StatusOK || int64(len(body)) != v.Size {
		e.t.Fatalf("download of %s: status %d, %d bytes, listed %d", v.ObjectKey, code, len(body), v.Size)
	}
	path := filepath.Join(dir, filepath.Base(v.ObjectKey))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// filesUnder lists the regular files below dir.
func filesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStreamIsRecordedUploadedListedLinkedToMotionAndDownloadable(t *testing.T) {
	e := newRecordingEnv(t, time.Second)
	audio := mediatest.OpusClip(t)
	r := e.recordStream(mediatest.VP8Clip(t), &audio, 4*time.Second)

	if len(r.videos) < 3 {
		t.Fatalf("%d recordings of 4 s cut at 1 s, want at least 3: %+v", len(r.videos), r.videos)
	}
	prefix := "users/" + r.owner.ID + "/devices/" + r.camera.ID + "/recordings/" +
		string(r.stream.ID) + "/"
	dir := t.TempDir()
	var frames, keyframes, audioFrames int
	var first, last time.Time
	ids := map[string]bool{}
	for i, v := range r.videos {
		if !strings.HasPrefix(v.ObjectKey, prefix) || !strings.HasSuffix(v.ObjectKey, ".webm") ||
			v.ContentType != "video/webm" || v.Status != "uploaded" || v.VideoID == nil {
			t.Fatalf("recording %d is %+v, want an uploaded video/webm under %s", i, v, prefix)
		}
		ids[*v.VideoID] = true
		f := recordtest.WebM(t, e.download(r.owner, v, dir))
		if len(f.Video) == 0 || !f.Keyframe[0] || f.Width != mediatest.ClipWidth ||
			f.Height != mediatest.ClipHeight || len(f.Codecs) != 2 || f.Codecs[1] != "A_OPUS" {
			t.Fatalf("recording %d: %+v, want 320x240 VP8 and Opus from a keyframe", i, f)
		}
		if f.Duration < f.VideoSpan() {
			t.Errorf("recording %d says it lasts %s, its frames span %s", i, f.Duration, f.VideoSpan())
		}
		start := segmentStart(t, v.ObjectKey)
		if i == 0 {
			first = start.Add(f.Video[0])
		}
		last = start.Add(f.Video[len(f.Video)-1])
		frames += len(f.Video)
		audioFrames += f.AudioFrames
		for _, k := range f.Keyframe {
			if k {
				keyframes++
			}
		}
	}
	sent := int(r.pub.Frames.Load())
	span := last.Sub(first) + mediatest.ClipFrameInterval
	want := time.Duration(sent) * mediatest.ClipFrameInterval
	t.Logf("%d recordings; video %d frames (%d keyframes) of %d sent; audio %d of %d; span %s",
		len(r.videos), frames, keyframes, sent, audioFrames, r.pub.AudioPackets.Load(), span)
	if d := frames - sent; d < -1 || d > 0 {
		t.Errorf("recorded %d video frames, sent %d", frames, sent)
	}
	if d := span - want; d < -mediatest.ClipFrameInterval || d > mediatest.ClipFrameInterval {
		t.Errorf("recorded video spans %s, sent %s", span, want)
	}
	if int64(keyframes) != r.pub.Keyframes.Load() {
		t.Errorf("recorded %d keyframes, sent %d", keyframes, r.pub.Keyframes.Load())
	}
	// Opus that came before the first video keyframe has no segment.
	if d := int(r.pub.AudioPackets.Load()) - audioFrames; d < 0 || d > 5 {
		t.Errorf("recorded %d audio packets, sent %d", audioFrames, r.pub.AudioPackets.Load())
	}

	// Motion an hour before the stream shows in none of its segments.
	earlier := decodeAs[struct{ Event wire.Event }](t, e.do("POST", "/events/motion/start",
		map[string]any{"startedAt": time.Now().Add(-2 * time.Hour)}, r.camera.bearer()...),
		http.StatusCreated).Event
	decodeAs[struct{ Event wire.Event }](t, e.do("POST", "/events/"+string(earlier.ID)+"/motion/end",
		map[string]any{"endedAt": time.Now().Add(-time.Hour)}, r.camera.bearer()...), http.StatusOK)
	events := decodeAs[struct{ Events []eventJSON }](t, e.do("GET",
		"/events?cameraDeviceId="+r.camera.ID, nil, r.owner.bearer()...), http.StatusOK).Events
	if len(events) != 2 || events[1].ID != earlier.ID || len(events[1].Clips) != 0 ||
		events[1].VideoID != nil {
		t.Fatalf("events %+v, want the earlier motion without clips second", events)
	}
	events = events[:1]
	if len(events) != 1 || events[0].ID != r.motion.ID || events[0].VideoID == nil ||
		!ids[*events[0].VideoID] {
		t.Fatalf("events %+v, want the open motion event pointing at one of %v", events, ids)
	}
	if *events[0].VideoID != *r.videos[0].VideoID {
		t.Errorf("motion event points at %s, want the first segment %s", *events[0].VideoID,
			*r.videos[0].VideoID)
	}
	// The event is still open: every segment shows it, oldest first.
	clips := events[0].Clips
	if len(clips) != len(r.videos) || events[0].ClipsTruncated {
		t.Fatalf("event lists %d clips (truncated %v), want the %d segments", len(clips),
			events[0].ClipsTruncated, len(r.videos))
	}
	for i, c := range clips {
		v := r.videos[i]
		if c.VideoID != *v.VideoID || c.ObjectKey != v.ObjectKey || c.DurationMs <= 0 ||
			c.Codec != "vp8+opus" || !c.EndedAt.After(c.StartedAt) {
			t.Errorf("clip %d is %+v, want segment %s", i, c, v.ObjectKey)
		}
	}
	if _, err := e.store.Stat(context.Background(), r.videos[0].ObjectKey); err != nil {
		t.Errorf("first segment not in storage: %v", err)
	}
}

// segmentStart reads a segment's start from its object name, Unix
// milliseconds.
func segmentStart(t *testing.T, key string) time.Time {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(key), filepath.Ext(key))
	var ms int64
	for _, c := range name {
		if c < '0' || c > '9' {
			t.Fatalf("segment name %q is not Unix milliseconds", name)
		}
		ms = ms*10 + int64(c-'0')
	}
	return time.UnixMilli(ms)
}
