-- Recordings the server made of live streams sit in the videos table beside
-- phone uploads: kind tells them apart, and a recording knows its stream,
-- when it starts and ends, and its codecs.

-- +goose Up
ALTER TABLE videos
    ADD COLUMN kind        text NOT NULL DEFAULT 'upload' CHECK (kind IN ('upload', 'recording')),
    -- Kept when the session row goes: the object is still in the bucket.
    ADD COLUMN stream_id   uuid REFERENCES stream_sessions (id) ON DELETE SET NULL,
    ADD COLUMN started_at  timestamptz,
    ADD COLUMN ended_at    timestamptz,
    ADD COLUMN duration_ms bigint CHECK (duration_ms >= 0),
    -- What the file holds, e.g. vp8+opus.
    ADD COLUMN codec       text;
CREATE INDEX videos_stream_id_idx ON videos (stream_id, started_at) WHERE stream_id IS NOT NULL;

-- +goose Down
DROP INDEX videos_stream_id_idx;
ALTER TABLE videos
    DROP COLUMN codec,
    DROP COLUMN duration_ms,
    DROP COLUMN ended_at,
    DROP COLUMN started_at,
    DROP COLUMN stream_id,
    DROP COLUMN kind;
