package upload

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/media/record"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// Back-off bounds between attempts at one segment, the defaults: a store
// that is down for a moment is tried again at once, one that stays down
// is tried once a minute.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// DefaultRefusedRetry is how long a segment that storage or the database
// refused as it stands (its key, a conflicting row, unreadable metadata)
// waits before it is tried again: such a refusal lasts until someone
// changes something, so trying often would only fill the log.
const DefaultRefusedRetry = 10 * time.Minute

// Store is the object storage an Uploader writes to.
type Store interface {
	Bucket() string
	PutFile(ctx context.Context, key, path, contentType string) (objectstore.Object, error)
}

// Recordings stores uploaded segments (persistence.Videos).
type Recordings interface {
	SaveRecording(ctx context.Context, n persistence.NewRecording) (persistence.RecordingStored, error)
}

// Streams finds the session a segment left on disk belongs to
// (persistence.Streams).
type Streams interface {
	StreamByID(ctx context.Context, id persistence.StreamID) (persistence.Stream, error)
}

// Config is what an Uploader needs.
type Config struct {
	// Dir is MEDIA_RECORDINGS_DIR: one folder per stream, named by its id.
	Dir        string
	Store      Store
	Recordings Recordings
	Streams    Streams
	// MinBackoff and MaxBackoff bound the wait before another attempt at a
	// segment; zero means the defaults.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// RefusedRetry is the wait after a refusal that another attempt would
	// repeat; zero means DefaultRefusedRetry.
	RefusedRetry time.Duration
	Logger       *slog.Logger
}

// Uploader uploads finished segments, one at a time, on its own goroutine.
type Uploader struct {
	cfg Config
	log *slog.Logger
	// wake tells the loop that incoming has work; it holds at most one.
	wake chan struct{}

	// mu guards incoming, which Enqueue fills from recorders' goroutines.
	mu       sync.Mutex
	incoming []*job

	// Owned by the loop.
	pending map[string]*job

	cancel context.CancelFunc
	done   chan struct{}

	stats counters
}

// job is one segment waiting for upload.
type job struct {
	path string
	// stream is known when the recorder reported the segment; a segment
	// found on disk has its stream looked up.
	stream   *persistence.Stream
	attempts int
	next     time.Time
}

// New makes an Uploader; Start runs it.
func New(cfg Config) *Uploader {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.RefusedRetry <= 0 {
		cfg.RefusedRetry = DefaultRefusedRetry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Uploader{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1),
		pending: map[string]*job{}}
}

// Enqueue hands the uploader a finished segment of stream. It never
// blocks, so the recorder may call it from its OnSegment.
func (u *Uploader) Enqueue(path string, stream persistence.Stream) {
	u.mu.Lock()
	u.incoming = append(u.incoming, &job{path: path, stream: &stream})
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Start finishes the segments a crash cut off, scans Dir for segments
// left behind and runs the upload loop until Stop. Start it before any
// recorder of this run starts writing: a segment file last changed
// before Start is taken for one a crash left.
func (u *Uploader) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	u.cancel, u.done = cancel, make(chan struct{})
	started := time.Now()
	go func() {
		defer close(u.done)
		record.RecoverParts(u.cfg.Dir, started, u.log)
		u.run(ctx)
	}()
}

// Stop ends the loop and waits for it. An upload in flight is abandoned;
// its files stay on disk for the next start.
func (u *Uploader) Stop() {
	if u.cancel == nil {
		return
	}
	u.cancel()
	<-u.done
}

func (u *Uploader) run(ctx context.Context) {
	found, err := scan(u.cfg.Dir)
	if err != nil {
		u.log.Warn("recordings left on disk not looked for", "dir", u.cfg.Dir, "err", err)
	}
	for _, p := range found {
		u.pending[p] = &job{path: p}
	}
	if len(found) > 0 {
		u.log.Info("uploading recordings left on disk", "segments", len(found))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		u.takeIncoming()
		wait := u.runDue(ctx)
		if ctx.Err() != nil {
			return
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-u.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// takeIncoming moves enqueued segments into pending; a segment already
// pending keeps its place and its back-off.
func (u *Uploader) takeIncoming() {
	u.mu.Lock()
	in := u.incoming
	u.incoming = nil
	u.mu.Unlock()
	for _, j := range in {
		if old, ok := u.pending[j.path]; ok {
			old.stream = j.stream
			continue
		}
		u.pending[j.path] = j
	}
}

// idleWait is how long the loop sleeps with nothing pending; Enqueue wakes
// it sooner.
const idleWait = time.Hour

// runDue attempts every segment whose time has come and returns how long
// until the next one is due.
func (u *Uploader) runDue(ctx context.Context) time.Duration {
	defer func() { u.stats.pending.Store(int64(len(u.pending))) }()
	wait := idleWait
	for path, j := range u.pending {
		if ctx.Err() != nil {
			return 0
		}
		if now := time.Now(); j.next.After(now) {
			wait = min(wait, j.next.Sub(now))
			continue
		}
		err := u.upload(ctx, j)
		if err != nil && ctx.Err() == nil {
			u.stats.failed.Add(1)
		}
		switch {
		case err == nil:
			delete(u.pending, path)
		case errors.Is(err, errGiveUp):
			// Kept: whoever fixes the cause should not have to restart.
			j.attempts++
			j.next = time.Now().Add(u.cfg.RefusedRetry)
			wait = min(wait, u.cfg.RefusedRetry)
			u.log.Error("recording refused; files kept, trying again later", "segment", path,
				"attempt", j.attempts, "retryIn", u.cfg.RefusedRetry, "err", err)
		case ctx.Err() != nil:
			return 0
		default:
			j.attempts++
			delay := u.backoff(j.attempts)
			j.next = time.Now().Add(delay)
			wait = min(wait, delay)
			u.log.Warn("recording upload failed; files kept, trying again", "segment", path,
				"attempt", j.attempts, "retryIn", delay, "err", err)
		}
	}
	return wait
}

// backoff is the wait after the given number of failed attempts:
// MinBackoff doubled for each attempt after the first, at most MaxBackoff.
func (u *Uploader) backoff(attempts int) time.Duration {
	d := u.cfg.MinBackoff
	for i := 1; i < attempts && d < u.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, u.cfg.MaxBackoff)
}
