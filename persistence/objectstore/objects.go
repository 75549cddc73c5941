package objectstore

import (
	"context"
	"time"

	"github.com/minio/minio-go/v7"
)

// Object is what storage says about one stored object.
type Object struct {
	Key          string
	Size         int64
	ContentType  string
	ETag         string
	LastModified time.Time
}

func objectOf(info minio.ObjectInfo) Object {
	return Object{Key: info.Key, Size: info.Size, ContentType: info.ContentType,
		ETag: info.ETag, LastModified: info.LastModified}
}

// Stat returns the object at key, or persistence.ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (Object, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Object{}, wrap("stat object", key, err)
	}
	return objectOf(info), nil
}

// List returns up to limit objects whose keys start with prefix, in key
// order, and whether more were left off.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]Object, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	// Cancelling stops minio-go's listing goroutine when we stop early.
	defer cancel()
	var out []Object
	opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true}
	for info := range s.client.ListObjects(ctx, s.bucket, opts) {
		if info.Err != nil {
			return nil, false, wrap("list objects under", prefix, info.Err)
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, objectOf(info))
	}
	return out, false, nil
}

// Remove deletes the object at key. S3 answers a delete of a missing key
// with success, so callers that must tell the difference Stat first.
func (s *Store) Remove(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return wrap("remove object", key, err)
	}
	return nil
}
