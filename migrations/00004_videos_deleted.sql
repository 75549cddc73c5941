-- A deleted video keeps its row, marked deleted: its upload URL may still
-- be valid, and the row is how Vigil recognises (and removes) an object
-- that a late PUT through that URL stores again.

-- +goose Up
ALTER TABLE videos DROP CONSTRAINT videos_status_check;
ALTER TABLE videos ADD CONSTRAINT videos_status_check
    CHECK (status IN ('pending', 'uploaded', 'deleted'));

-- +goose Down
DELETE FROM videos WHERE status = 'deleted';
ALTER TABLE videos DROP CONSTRAINT videos_status_check;
ALTER TABLE videos ADD CONSTRAINT videos_status_check
    CHECK (status IN ('pending', 'uploaded'));
