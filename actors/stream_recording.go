package actors

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pion/rtp"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/record"
	"github.com/vigil-oss/vigil/persistence"
)

// recordingMailbox bounds the packets waiting for a recording worker;
// when it is full the oldest are dropped, so the room's sink goroutine
// never waits on the worker (which detaches it while stopping). A lost
// video packet makes the recorder skip to the next keyframe.
const recordingMailbox = 1024

// Recording restarts: a worker that panics this often within the window
// is stopped, and the stream goes on unrecorded.
const (
	recordingMaxRestarts   = 5
	recordingRestartWindow = time.Minute
)

// RecordingConfig turns on server-side recording of SFU streams.
type RecordingConfig struct {
	// Dir holds segments being written and waiting for upload, one
	// directory per stream.
	Dir string
	// SegmentLength is record.Config.SegmentLength.
	SegmentLength time.Duration
	// MaxDiskBytes bounds Dir: while it holds more, no new segment starts
	// (RECORDING_MAX_DISK). Zero means no bound.
	MaxDiskBytes int64
	// Enabled reports whether a camera's streams are recorded; nil records
	// every stream.
	Enabled func(camera persistence.DeviceID) bool
	// OnSegment is told of each finished segment; it must not block.
	OnSegment func(RecordedSegment)

	// beforeWrite runs before each packet; tests make it panic.
	beforeWrite func()
}

// RecordedSegment is a finished file with the stream it belongs to.
type RecordedSegment struct {
	Stream  persistence.Stream
	Segment record.Segment
}

// recordingRoom is what a worker needs of a media.Room.
type recordingRoom interface {
	AttachSink(media.Sink) (func(), error)
	RequestKeyframe()
}

// recordingWorker records one stream. It is a child of the stream actor,
// which restarts it after a panic: the segment in progress is closed and
// the new incarnation starts again at the next keyframe.
type recordingWorker struct {
	cfg    *RecordingConfig
	room   recordingRoom
	stream persistence.Stream
	log    *slog.Logger

	rec    *record.Recorder
	detach func()

	root   *actor.RootContext
	parent *actor.PID
	// diskFull is set while Dir is over MaxDiskBytes, so the change is
	// logged and told once.
	diskFull bool
}

// recordingStopped tells the stream actor that its worker records no
// more, and why.
type recordingStopped struct {
	Reason string
}

// RecordingStoppedDiskFull is recording:stopped's reason when the
// recordings folder is over its bound.
const RecordingStoppedDiskFull = "disk_full"

// recordPacket carries one packet from the room's sink goroutine into the
// worker's mailbox, so a panic while writing it is the supervisor's.
type recordPacket struct {
	track media.TrackInfo
	pkt   *rtp.Packet
}

// mailboxSink forwards the room's packets to the worker.
type mailboxSink struct {
	root *actor.RootContext
	pid  *actor.PID
}

func (s mailboxSink) WriteRTP(track media.TrackInfo, p *rtp.Packet) {
	s.root.Send(s.pid, &recordPacket{track: track, pkt: p})
}

func recordingProps(cfg *RecordingConfig, room recordingRoom, s persistence.Stream,
	log *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &recordingWorker{cfg: cfg, room: room, stream: s, log: log}
	}, actor.WithMailbox(actor.BoundedDropping(recordingMailbox)))
}

// recordingSupervision restarts a panicking worker, up to a limit.
func recordingSupervision() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(recordingMaxRestarts, recordingRestartWindow,
		actor.DefaultDecider)
}

// Receive dispatches each message to its handler.
func (w *recordingWorker) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		w.start(ctx)
	case *actor.Restarting:
		w.log.Warn("recording worker restarting after a failure")
		w.stop()
	case *actor.Stopping:
		w.stop()
	case *recordPacket:
		w.write(msg)
	}
}

// start opens a recorder and attaches it to the room.
func (w *recordingWorker) start(ctx actor.Context) {
	stream := w.stream
	w.root, w.parent = ctx.ActorSystem().Root, ctx.Parent()
	rec, err := record.New(record.Config{
		MayStart:        w.mayStart,
		Dir:             filepath.Join(w.cfg.Dir, string(stream.ID)),
		SegmentLength:   w.cfg.SegmentLength,
		RequestKeyframe: w.room.RequestKeyframe,
		Logger:          w.log,
		OnSegment: func(s record.Segment) {
			if w.cfg.OnSegment != nil {
				w.cfg.OnSegment(RecordedSegment{Stream: stream, Segment: s})
			}
		},
	})
	if err != nil {
		w.log.Warn("recording not started", "err", err)
		return
	}
	detach, err := w.room.AttachSink(mailboxSink{root: ctx.ActorSystem().Root, pid: ctx.Self()})
	if err != nil {
		w.log.Debug("recording not attached", "err", err)
		rec.Close()
		return
	}
	w.rec, w.detach = rec, detach
	w.log.Info("recording started")
}

func (w *recordingWorker) write(msg *recordPacket) {
	if w.rec == nil {
		return
	}
	if w.cfg.beforeWrite != nil {
		w.cfg.beforeWrite()
	}
	w.rec.WriteRTP(msg.track, msg.pkt)
}

// stop detaches from the room and finishes the segment in progress.
// Packets still in the mailbox are dropped with it.
func (w *recordingWorker) stop() {
	if w.detach != nil {
		w.detach()
		w.detach = nil
	}
	if w.rec != nil {
		w.rec.Close()
		w.rec = nil
	}
}

// startRecording spawns the stream's recording worker once, when the room
// opens, if recording is on for the camera.
func (a *streamActor) startRecording(ctx actor.Context) {
	rc := a.cfg.Recording
	if rc == nil || a.recording != nil || a.room == nil {
		return
	}
	if rc.Enabled != nil && !rc.Enabled(a.stream.CameraDeviceID) {
		return
	}
	a.recording = ctx.Spawn(recordingProps(rc, a.room, a.stream, a.log))
}

// stopRecording stops the worker and waits for its last segment.
func (a *streamActor) stopRecording() {
	if a.recording == nil {
		return
	}
	if err := a.sys.actors.Root.StopFuture(a.recording).Wait(); err != nil {
		a.log.Warn("recording worker did not stop in time", "err", err)
	}
	a.recording = nil
}

// mayStart lets a segment start while the recordings folder is within its
// bound. It runs on the worker's goroutine, inside WriteRTP.
func (w *recordingWorker) mayStart() bool {
	if w.cfg.MaxDiskBytes <= 0 {
		return true
	}
	used, err := dirSize(w.cfg.Dir)
	if err != nil {
		w.log.Warn("recordings folder not measured; recording anyway", "err", err)
		return true
	}
	full := used > w.cfg.MaxDiskBytes
	switch {
	case full && !w.diskFull:
		w.log.Warn("recording paused: recordings folder over its bound",
			"setting", "RECORDING_MAX_DISK", "bytes", used, "maxBytes", w.cfg.MaxDiskBytes)
		if w.parent != nil {
			w.root.Send(w.parent, &recordingStopped{Reason: RecordingStoppedDiskFull})
		}
	case !full && w.diskFull:
		w.log.Info("recording resumed: recordings folder within its bound", "bytes", used)
	}
	w.diskFull = full
	return !full
}

// dirSize is the bytes of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// recordingStopped tells the stream's audience that it is not recorded
// any more, with the reason.
func (a *streamActor) recordingStopped(ctx actor.Context, msg *recordingStopped) {
	data, _ := json.Marshal(map[string]string{"streamId": string(a.id), "reason": msg.Reason})
	for _, d := range a.audience() {
		ctx.Send(a.sys.dir.Get(KindDevice, string(d)), &DeliverEvent{Event: "recording:stopped",
			Data: data})
	}
}
