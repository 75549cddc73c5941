package upload_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// fixture is one user with a camera, a viewer and a stream between them.
type fixture struct {
	pool   *pgxpool.Pool
	stream persistence.Stream
	dir    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	user, _, err := persistence.NewAccounts(pool).CreateUser(ctx, "T", "rec@example.com", "hash",
		persistence.NewSession{Token: "rec", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	camera, viewer := uuid.NewString(), uuid.NewString()
	_, err = pool.Exec(ctx, `INSERT INTO devices (id, user_id, name, role)
		VALUES ($1, $3, 'cam', 'camera'), ($2, $3, 'phone', 'client')`, camera, viewer, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := persistence.NewStreams(pool).CreateStream(ctx, persistence.NewStream{
		UserID: user.ID, CameraDeviceID: persistence.DeviceID(camera),
		RequesterDeviceID: persistence.DeviceID(viewer), MediaMode: "single_server_sfu",
		CreatedAt: now, RequestExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pool: pool, stream: s, dir: t.TempDir()}
}

// writeSegment leaves a finished segment on disk as the recorder does: the
// .webm and its .json metadata, in the stream's folder.
func (f *fixture) writeSegment(t *testing.T, start time.Time, length time.Duration) string {
	t.Helper()
	dir := filepath.Join(f.dir, string(f.stream.ID))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	name := strconv.FormatInt(start.UnixMilli(), 10)
	path := filepath.Join(dir, name+".webm")
	body := []byte("\x1a\x45\xdf\xa3 not really webm, storage does not care " + name)
	if err := os.WriteFile(path, body, 0o640); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(record.Segment{Path: path, Name: name, StartedAt: start,
		EndedAt: start.Add(length), Duration: length, Bytes: int64(len(body)),
		Codec: "vp8+opus", VideoFrames: 30})
	if err := os.WriteFile(record.MetaPath(path), meta, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *fixture) uploader(store upload.Store, log *slog.Logger) *upload.Uploader {
	return upload.New(upload.Config{Dir: f.dir, Store: store,
		Recordings: persistence.NewVideos(f.pool), Streams: persistence.NewStreams(f.pool),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: log})
}

// recordingRow is what the videos table holds for a recording.
type recordingRow struct {
	id                         uuid.UUID
	user, device, stream, kind string
	status, codec, contentType string
	size, durationMs           int64
	startedAt, endedAt         time.Time
}

func (f *fixture) rows(t *testing.T) map[string]recordingRow {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT id, object_key, user_id,
		device_id::text, stream_id::text, kind, status, codec, content_type, size_bytes,
		duration_ms, started_at, ended_at FROM videos`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]recordingRow{}
	for rows.Next() {
		var key string
		var r recordingRow
		if err := rows.Scan(&r.id, &key, &r.user, &r.device, &r.stream, &r.kind, &r.status,
			&r.codec, &r.contentType, &r.size, &r.durationMs, &r.startedAt, &r.endedAt); err != nil {
			t.Fatal(err)
		}
		out[key] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) startEvent(t *testing.T, client string, at time.Time) persistence.EventID {
	t.Helper()
	e, _, err := persistence.NewEvents(f.pool).StartEvent(context.Background(),
		persistence.NewEvent{UserID: f.stream.UserID, CameraDeviceID: f.stream.CameraDeviceID,
			ClientEventID: client, StartedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func (f *fixture) eventVideo(t *testing.T, id persistence.EventID) string {
	t.Helper()
	var video *string
	err := f.pool.QueryRow(context.Background(),
		`SELECT video_id::text FROM events WHERE id = $1`, id).Scan(&video)
	if err != nil {
		t.Fatal(err)
	}
	if video == nil {
		return ""
	}
	return *video
}

func gone(path string) bool {
	_, errWebm := os.Stat(path)
	_, errMeta := os.Stat(record.MetaPath(path))
	return errors.Is(errWebm, os.ErrNotExist) && errors.Is(errMeta, os.ErrNotExist)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestFinishedSegmentIsUploadedSavedLinkedToOpenMotionAndRemoved(t *testing.T) {
	f := newFixture(t)
	store := s3test.New(t)
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	open := f.startEvent(t, "open", start.Add(-10*time.Second))
	old := f.startEvent(t, "old", start.Add(-time.Hour))
	if _, _, err := persistence.NewEvents(f.pool).EndEvent(context.Background(),
		f.stream.CameraDeviceID, old, persistence.EventEnd{EndedAt: start.Add(-50 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	path := f.writeSegment(t, start, 60*time.Second)
	size := fileSize(t, path)

	up := f.uploader(store, quiet())
	up.Start()
	defer up.Stop()
	up.Enqueue(path, f.stream)
	waitUntil(t, "the local files to be removed", func() bool { return gone(path) })

	key := "users/" + string(f.stream.UserID) + "/devices/" + string(f.stream.CameraDeviceID) +
		"/recordings/" + string(f.stream.ID) + "/" + strconv.FormatInt(start.UnixMilli(), 10) + ".webm"
	obj, err := store.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("object at %s: %v", key, err)
	}
	if obj.Size != size || obj.ContentType != "video/webm" {
		t.Errorf("object is %d bytes of %q, want %d of video/webm", obj.Size, obj.ContentType, size)
	}
	rows := f.rows(t)
	r, ok := rows[key]
	if len(rows) != 1 || !ok {
		t.Fatalf("videos rows %v, want one at %s", rows, key)
	}
	want := recordingRow{id: r.id, user: string(f.stream.UserID),
		device: string(f.stream.CameraDeviceID), stream: string(f.stream.ID), kind: "recording",
		status: "uploaded", codec: "vp8+opus", contentType: "video/webm", size: size,
		durationMs: 60000}
	got := r
	got.startedAt, got.endedAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("row %+v, want %+v", got, want)
	}
	if !r.startedAt.Equal(start) || !r.endedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("row runs %v..%v, want %v..%v", r.startedAt, r.endedAt, start, start.Add(time.Minute))
	}
	if v := f.eventVideo(t, open); v != r.id.String() {
		t.Errorf("open motion event shows video %q, want %s", v, r.id)
	}
	if v := f.eventVideo(t, old); v != "" {
		t.Errorf("motion that ended before the segment shows video %q, want none", v)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// countingHandler counts log records with a given message and keeps
// their retryIn.
type countingHandler struct {
	slog.Handler
	msg     string
	n       *atomic.Int64
	mu      *sync.Mutex
	retries *[]time.Duration
}

func newCountingHandler(msg string) countingHandler {
	return countingHandler{Handler: slog.DiscardHandler, msg: msg, n: &atomic.Int64{},
		mu: &sync.Mutex{}, retries: &[]time.Duration{}}
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != h.msg {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retryIn" {
			h.mu.Lock()
			*h.retries = append(*h.retries, a.Value.Duration())
			h.mu.Unlock()
		}
		return true
	})
	h.n.Add(1)
	return nil
}

func (h countingHandler) waits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), *h.retries...)
}

func TestFailedUploadKeepsTheFileAndIsRetriedUntilStorageAnswers(t *testing.T) {
	f := newFixture(t)
	good := s3test.New(t) // makes the bucket the proxied store writes to
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	portN, _ := strconv.Atoi(port)
	cfg := s3test.Config(t)
	cfg.Bucket, cfg.Endpoint, cfg.Port = good.Bucket(), host, portN
	proxied, err := objectstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := f.writeSegment(t, time.Now().Add(-time.Minute).Truncate(time.Millisecond), time.Minute)

	failed := newCountingHandler("recording upload failed; files kept, trying again")
	up := f.uploader(proxied, slog.New(failed))
	up.Start()
	defer up.Stop()
	up.Enqueue(path, f.stream)
	waitUntil(t, "six refused attempts", func() bool { return failed.n.Load() >= 6 })
	// The uploader's bounds are 20 ms doubling to 200 ms.
	want := []time.Duration{20, 40, 80, 160, 200, 200}
	for i, got := range failed.waits()[:len(want)] {
		if got != want[i]*time.Millisecond {
			t.Fatalf("waits after failures %v, want %v ms: doubling up to the bound",
				failed.waits(), want)
		}
	}
	if gone(path) {
		t.Fatal("the segment's files were removed although no upload succeeded")
	}
	if rows := f.rows(t); len(rows) != 0 {
		t.Fatalf("rows %v saved although no upload succeeded", rows)
	}

	// Storage comes back at the same address.
	serveProxy(t, addr, os.Getenv("VIGIL_TEST_S3_ENDPOINT"))
	waitUntil(t, "the retried upload", func() bool { return gone(path) })
	if rows := f.rows(t); len(rows) != 1 {
		t.Fatalf("%d rows after the retry, want 1", len(rows))
	}
	objs, _, err := good.List(context.Background(), "users/", 10)
	if err != nil || len(objs) != 1 {
		t.Fatalf("stored objects %v, %v; want the one segment", objs, err)
	}
}

// freeAddr is a loopback address nothing listens on, so connecting to it
// is refused until serveProxy takes it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serveProxy forwards TCP connections on addr to target until the test
// ends: storage that was unreachable becoming reachable.
func serveProxy(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				out, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				go func() { _, _ = io.Copy(out, in); out.Close() }()
				_, _ = io.Copy(in, out)
			}()
		}
	}()
}

func TestSegmentsLeftOnDiskAreUploadedOnStartAndOnce(t *testing.T) {
	f := newFixture(t)
	store := s3test.New(t)
	start := time.Now().Add(-2 * time.Minute).Truncate(time.Millisecond)
	first := f.writeSegment(t, start, time.Minute)
	second := f.writeSegment(t, start.Add(time.Minute), time.Minute)
	firstSize := fileSize(t, first)
	dir := filepath.Dir(first)
	part := filepath.Join(dir, "999.webm.part")
	lone := filepath.Join(dir, "998.webm")
	for _, p := range []string{part, lone} {
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// The run that crashed saved the first segment's row but kept its files.
	firstKey := upload.Key(f.stream, strconv.FormatInt(start.UnixMilli(), 10)+".webm")
	saved, err := persistence.NewVideos(f.pool).SaveRecording(context.Background(),
		persistence.NewRecording{UserID: f.stream.UserID, CameraID: f.stream.CameraDeviceID,
			StreamID: f.stream.ID, Bucket: store.Bucket(), ObjectKey: firstKey,
			FileName: "x.webm", ContentType: "video/webm", Size: 1, Codec: "vp8+opus",
			StartedAt: start, EndedAt: start.Add(time.Minute), Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}

	up := f.uploader(store, quiet())
	up.Start()
	defer up.Stop()
	waitUntil(t, "both segments to be uploaded", func() bool { return gone(first) && gone(second) })

	rows := f.rows(t)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want one per segment: %v", len(rows), rows)
	}
	if r := rows[firstKey]; r.id != saved.VideoID || r.size != firstSize {
		t.Errorf("first segment's row %+v, want the row saved before (%s) with the file's size",
			r, saved.VideoID)
	}
	if _, err := os.Stat(lone); err != nil {
		t.Errorf("%s, a file without metadata, was touched: %v", lone, err)
	}
	// A crash's .part with nothing playable in it goes.
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s, cut off with nothing playable, is still there: %v", part, err)
	}
}

func TestRefusedSegmentIsTriedAgainLaterWithoutARestart(t *testing.T) {
	f := newFixture(t)
	store := s3test.New(t)
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	path := f.writeSegment(t, start, time.Minute)
	key := upload.Key(f.stream, filepath.Base(path))
	// A phone's upload holds the key: storing the recording there is refused.
	held, err := persistence.NewVideos(f.pool).CreateVideo(context.Background(), persistence.NewVideo{
		UserID: f.stream.UserID, DeviceID: uuid.MustParse(string(f.stream.CameraDeviceID)),
		Bucket: store.Bucket(), ObjectKey: key, FileName: "x.webm", ContentType: "video/webm"})
	if err != nil {
		t.Fatal(err)
	}
	refused := newCountingHandler("recording refused; files kept, trying again later")
	up := upload.New(upload.Config{Dir: f.dir, Store: store,
		Recordings: persistence.NewVideos(f.pool), Streams: persistence.NewStreams(f.pool),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		RefusedRetry: 150 * time.Millisecond, Logger: slog.New(refused)})
	up.Start()
	defer up.Stop()
	up.Enqueue(path, f.stream)
	waitUntil(t, "two refusals", func() bool { return refused.n.Load() >= 2 })
	if gone(path) {
		t.Fatal("a refused segment's files were removed")
	}
	for _, w := range refused.waits() {
		if w != 150*time.Millisecond {
			t.Fatalf("waits after refusals %v, want the refused-retry wait", refused.waits())
		}
	}

	// Someone clears the conflict; the same uploader stores it next time.
	if _, err := f.pool.Exec(context.Background(), `DELETE FROM videos WHERE id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the upload after the conflict went", func() bool { return gone(path) })
	if r, ok := f.rows(t)[key]; !ok || r.kind != "recording" || r.status != "uploaded" {
		t.Fatalf("row at %s: %+v, want the uploaded recording", key, r)
	}
}

func TestSegmentCutOffByACrashIsFinishedAndUploadedOnStart(t *testing.T) {
	f := newFixture(t)
	store := s3test.New(t)
	dir := filepath.Join(f.dir, string(f.stream.ID))
	part, body := cutOffSegment(t, dir, 45)
	if err := os.WriteFile(part, body, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(part, old, old); err != nil {
		t.Fatal(err)
	}

	up := f.uploader(store, quiet())
	up.Start()
	defer up.Stop()
	waitUntil(t, "the cut-off segment to be finished and uploaded", func() bool {
		left, _ := os.ReadDir(dir)
		return len(left) == 0
	})
	rows := f.rows(t)
	key := upload.Key(f.stream, strings.TrimSuffix(filepath.Base(part), ".part"))
	r, ok := rows[key]
	if len(rows) != 1 || !ok || r.codec != "vp8" || r.durationMs <= 0 {
		t.Fatalf("rows %+v, want the finished segment at %s", rows, key)
	}
	obj, err := store.Stat(context.Background(), key)
	if err != nil || obj.Size != r.size {
		t.Fatalf("stored %+v, %v; row says %d bytes", obj, err, r.size)
	}
}

// cutOffSegment has a recorder write frames of the VP8 clip into dir and
// returns its segment file as a crash would leave it: the path of the
// .part and its bytes. The recorder's own files are gone afterwards.
func cutOffSegment(t *testing.T, dir string, frames int) (string, []byte) {
	t.Helper()
	rec, err := record.New(record.Config{Dir: dir, SegmentLength: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	codec, pkts := mediatest.Packets(mediatest.VP8Clip(t), 1, frames)
	info := media.TrackInfo{SSRC: 1, Codec: codec}
	for _, frame := range pkts {
		for _, p := range frame {
			rec.WriteRTP(info, p)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "*.part"))
	if len(parts) != 1 {
		t.Fatalf("segments being written %v, want one", parts)
	}
	body, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	rec.Close()
	finished, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range finished {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	return parts[0], body
}
