package actors

import (
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// stopWatcher stands for the stream actor: it supervises the worker and
// counts the recording:stopped notices it gets.
type stopWatcher struct {
	props   *actor.Props
	reasons chan string
}

func (p *stopWatcher) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Spawn(p.props)
	case *recordingStopped:
		p.reasons <- msg.Reason
	}
}

func TestRecordingStopsStartingSegmentsWhenTheFolderIsOverItsBound(t *testing.T) {
	var segs atomic.Int64
	// One byte: the folder starts empty, so the first segment is recorded,
	// and is over the bound as soon as that segment is finished.
	cfg := &RecordingConfig{Dir: t.TempDir(), SegmentLength: 200 * time.Millisecond,
		MaxDiskBytes: 1, OnSegment: func(RecordedSegment) { segs.Add(1) }}
	room := &fakeRoom{}
	stream := persistence.Stream{ID: "s-disk", CameraDeviceID: "cam"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	watcher := &stopWatcher{props: recordingProps(cfg, room, stream, log),
		reasons: make(chan string, 4)}
	parent := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return watcher }))
	waitUntil(t, "the worker to attach", func() bool { a, _ := room.counts(); return a == 1 })

	var feed vp8Feed
	feed.send(room, true, 10) // the first segment, 0.33 s
	feed.send(room, true, 10) // its keyframe would start the second
	feed.send(room, true, 10)
	select {
	case reason := <-watcher.reasons:
		if reason != RecordingStoppedDiskFull {
			t.Fatalf("recording stopped for %q, want %q", reason, RecordingStoppedDiskFull)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the stream actor was not told that recording stopped")
	}
	feed.send(room, true, 10)
	time.Sleep(100 * time.Millisecond)
	if err := sys.Root.StopFuture(parent).Wait(); err != nil {
		t.Fatal(err)
	}

	if n := segs.Load(); n != 1 {
		t.Errorf("%d segments finished, want only the one started within the bound", n)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.Dir, "s-disk", "*.webm*"))
	if len(files) != 1 {
		t.Errorf("files %v, want the first segment only", files)
	}
	select {
	case reason := <-watcher.reasons:
		t.Errorf("told again (%q); a full folder is told once", reason)
	default:
	}
}
