package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/media/record"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// errGiveUp marks a failure that another attempt at once would repeat:
// the segment's files stay on disk and are tried again after
// Config.RefusedRetry.
var errGiveUp = errors.New("giving up on segment")

// attemptTimeout bounds one attempt at a segment: a 60 s segment of a
// 2 Mbps camera is 15 MB, which even a slow link moves in this time.
const attemptTimeout = 5 * time.Minute

// Key is where a segment file of stream is stored: under the camera's
// part of the user's storage (as api's keys are, with the user id
// escaped), in one folder per stream, under the file's own name (its
// start in Unix milliseconds and the container's extension).
func Key(s persistence.Stream, file string) string {
	return "users/" + url.PathEscape(string(s.UserID)) + "/devices/" +
		string(s.CameraDeviceID) + "/recordings/" + string(s.ID) + "/" + file
}

// segmentExts are the extensions of finished segments: WebM for VP8,
// fragmented MP4 for H.264.
var segmentExts = map[string]string{".webm": "video/webm", ".mp4": "video/mp4"}

// ContentType is what a segment file is stored as: video/webm (RFC 4337's
// Matroska family) or video/mp4 (RFC 4337).
func ContentType(path string) string {
	if t, ok := segmentExts[filepath.Ext(path)]; ok {
		return t
	}
	return "application/octet-stream"
}

// scan finds every finished segment under dir: a .webm or .mp4 with its .json
// beside it. Segments still being written end in .part and are skipped.
func scan(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if _, ok := segmentExts[filepath.Ext(p)]; d.IsDir() || !ok {
			return nil
		}
		if _, err := os.Stat(record.MetaPath(p)); err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// upload takes one segment through every step: read its metadata, find
// its stream, store the object, save the row and link events, delete the
// local files. A segment whose files are gone was finished by an earlier
// attempt.
func (u *Uploader) upload(ctx context.Context, j *job) error {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	seg, err := readMeta(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errGiveUp, err)
	}
	stream, err := u.streamOf(ctx, j)
	if errors.Is(err, persistence.ErrNotFound) {
		// The session's row went with its user or camera: nobody owns
		// the recording any more.
		u.log.Info("recording of a deleted stream discarded", "segment", j.path)
		return removeFiles(j.path)
	}
	if err != nil {
		return err
	}

	file := filepath.Base(j.path)
	key := Key(stream, file)
	obj, err := u.cfg.Store.PutFile(ctx, key, j.path, ContentType(file))
	if errors.Is(err, objectstore.ErrInvalidKey) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", errGiveUp, err)
	}
	if err != nil {
		return err
	}
	stored, err := u.cfg.Recordings.SaveRecording(ctx, persistence.NewRecording{
		UserID: stream.UserID, CameraID: stream.CameraDeviceID, StreamID: stream.ID,
		Bucket: u.cfg.Store.Bucket(), ObjectKey: key, FileName: file,
		ContentType: ContentType(file), Size: obj.Size, Codec: seg.Codec,
		StartedAt: seg.StartedAt, EndedAt: seg.EndedAt, Duration: seg.Duration,
	})
	if errors.Is(err, persistence.ErrConflict) {
		return fmt.Errorf("%w: %w", errGiveUp, err)
	}
	if err != nil {
		return err
	}
	u.log.Info("recording uploaded", "streamID", stream.ID, "deviceID", stream.CameraDeviceID,
		"userID", stream.UserID, "key", key, "bytes", obj.Size, "videoID", stored.VideoID,
		"linkedEvents", stored.LinkedEvents)
	u.stats.uploaded.Add(1)
	u.stats.uploadedBytes.Add(uint64(max(obj.Size, 0)))
	return removeFiles(j.path)
}

// streamOf is the job's stream, looked up by the folder the segment is in
// when the recorder did not say.
func (u *Uploader) streamOf(ctx context.Context, j *job) (persistence.Stream, error) {
	if j.stream != nil {
		return *j.stream, nil
	}
	id := persistence.StreamID(filepath.Base(filepath.Dir(j.path)))
	s, err := u.cfg.Streams.StreamByID(ctx, id)
	if err != nil {
		return persistence.Stream{}, fmt.Errorf("stream %s of %q: %w", id, j.path, err)
	}
	j.stream = &s
	return s, nil
}

// readMeta reads the metadata the recorder wrote beside the segment.
func readMeta(path string) (record.Segment, error) {
	b, err := os.ReadFile(record.MetaPath(path))
	if err != nil {
		return record.Segment{}, fmt.Errorf("read metadata of %q: %w", path, err)
	}
	var seg record.Segment
	if err := json.Unmarshal(b, &seg); err != nil {
		return record.Segment{}, fmt.Errorf("read metadata of %q: %w", path, err)
	}
	if seg.Name == "" {
		seg.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return seg, nil
}

// removeFiles deletes an uploaded segment: the file first, so a crash in
// between leaves only metadata, which no scan takes for a segment.
func removeFiles(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove uploaded %q: %w", errGiveUp, path, err)
	}
	if err := os.Remove(record.MetaPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove metadata of %q: %w", errGiveUp, path, err)
	}
	return nil
}
