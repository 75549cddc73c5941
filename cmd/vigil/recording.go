package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/cmd/vigil/config"
	"github.com/vigil-oss/vigil/cmd/vigil/metrics"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// startRecording starts the uploader and returns the actors' recording
// settings, or nils when streams are not recorded: RECORDING_ENABLED is
// off, there is no SFU to record from, or no object storage to keep the
// recordings in (they would only fill the disk).
// Each finished segment is counted in segments.
func startRecording(log *slog.Logger, m config.Media, plane *mediaPlane, store *objectstore.Store,
	pool *pgxpool.Pool, segments *metrics.Segments) (*actors.RecordingConfig, *upload.Uploader) {
	switch {
	case !m.RecordingEnabled:
		log.Info("recording off", "setting", "RECORDING_ENABLED")
		return nil, nil
	case plane.sfu == nil:
		log.Info("recording off: no SFU to record from", "mediaMode", m.Mode)
		return nil, nil
	case store == nil:
		log.Warn("recording off: object storage is not configured", "setting", "MINIO_ENDPOINT")
		return nil, nil
	}
	up := upload.New(upload.Config{Dir: m.RecordingsDir, Store: store,
		Recordings: persistence.NewVideos(pool), Streams: persistence.NewStreams(pool),
		Logger: log.With("component", "uploader")})
	up.Start()
	log.Info("recording streams", "dir", m.RecordingsDir, "segment", m.RecordingSegment,
		"maxDiskBytes", m.RecordingMaxDisk)
	return &actors.RecordingConfig{Dir: m.RecordingsDir, SegmentLength: m.RecordingSegment,
		MaxDiskBytes: m.RecordingMaxDisk,
		OnSegment: func(s actors.RecordedSegment) {
			segments.Add(s.Segment.Bytes)
			up.Enqueue(s.Segment.Path, s.Stream)
		},
	}, up
}
