package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/minio/minio-go/v7"

	"github.com/vigil-oss/vigil/persistence"
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

// retryWithBucket runs call, and once more after making the bucket again
// when storage says it is missing: someone deleted it while Vigil ran.
func (s *Store) retryWithBucket(ctx context.Context, call func() error) error {
	err := call()
	if !errors.Is(err, ErrBucketMissing) {
		return err
	}
	if err := s.EnsureBucket(ctx); err != nil {
		return err
	}
	return call()
}

// Stat returns the object at key, or persistence.ErrNotFound. Keys longer
// than MaxKeyBytes, which minio-go will not address, are looked up by
// listing.
func (s *Store) Stat(ctx context.Context, key string) (Object, error) {
	if len(key) > MaxKeyBytes {
		return s.statByListing(ctx, key)
	}
	var obj Object
	err := s.retryWithBucket(ctx, func() error {
		info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		if err != nil {
			return wrapKey("stat object", key, err)
		}
		obj = objectOf(info)
		return nil
	})
	return obj, err
}

// statByListing finds an over-long key among the keys that share its first
// MaxKeyBytes bytes.
func (s *Store) statByListing(ctx context.Context, key string) (Object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cut := MaxKeyBytes
	for cut > 0 && !utf8.RuneStart(key[cut]) {
		cut--
	}
	var found *Object
	err := s.retryWithBucket(ctx, func() error {
		opts := minio.ListObjectsOptions{Prefix: key[:cut], Recursive: true}
		for info := range s.client.ListObjects(ctx, s.bucket, opts) {
			if info.Err != nil {
				return wrapKey("list objects under", key[:cut], info.Err)
			}
			if info.Key == key {
				obj := objectOf(info)
				found = &obj
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return Object{}, err
	}
	if found == nil {
		return Object{}, fmt.Errorf("stat object %q: %w", key, persistence.ErrNotFound)
	}
	return *found, nil
}

// List returns up to limit objects whose keys start with prefix, in key
// order, and whether more were left off.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]Object, bool, error) {
	var out []Object
	var more bool
	err := s.retryWithBucket(ctx, func() (err error) {
		out, more, err = s.list(ctx, prefix, limit)
		return err
	})
	return out, more, err
}

func (s *Store) list(ctx context.Context, prefix string, limit int) ([]Object, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	// Cancelling stops minio-go's listing goroutine when we stop early.
	defer cancel()
	var out []Object
	opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true}
	for info := range s.client.ListObjects(ctx, s.bucket, opts) {
		if info.Err != nil {
			return nil, false, wrapKey("list objects under", prefix, info.Err)
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
	return s.retryWithBucket(ctx, func() error {
		if len(key) > MaxKeyBytes {
			return s.removeLong(ctx, key)
		}
		if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
			return wrapKey("remove object", key, err)
		}
		return nil
	})
}

// removeLong deletes an over-long key with a multi-object delete, which
// names the key in the request body: minio-go will not put a key over
// MaxKeyBytes in a URL, but storage may hold one that an older Vigil let in.
func (s *Store) removeLong(ctx context.Context, key string) error {
	keys := make(chan minio.ObjectInfo, 1)
	keys <- minio.ObjectInfo{Key: key}
	close(keys)
	for res := range s.client.RemoveObjects(ctx, s.bucket, keys, minio.RemoveObjectsOptions{}) {
		if res.Err != nil {
			return wrapKey("remove object", key, res.Err)
		}
	}
	return nil
}

// PutFile uploads the local file at path to key with contentType and
// returns what storage stored; a file that cannot be read is its
// os error, not ErrUnavailable. It is the server's own upload, used for the
// recordings it makes; phones upload through PresignPut instead. Uploading
// to a key again replaces the object, so a retry is harmless.
func (s *Store) PutFile(ctx context.Context, key, path, contentType string) (Object, error) {
	if len(key) > MaxKeyBytes {
		return Object{}, fmt.Errorf("upload %q: %w: longer than %d bytes", key, ErrInvalidKey,
			MaxKeyBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return Object{}, fmt.Errorf("upload %q: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Object{}, fmt.Errorf("upload %q: %w", key, err)
	}
	var obj Object
	err = s.retryWithBucket(ctx, func() error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("upload %q: %w", key, err)
		}
		info, err := s.client.PutObject(ctx, s.bucket, key, f, st.Size(),
			minio.PutObjectOptions{ContentType: contentType})
		if err != nil {
			return wrapKey("upload", key, err)
		}
		obj = Object{Key: info.Key, Size: info.Size, ContentType: contentType, ETag: info.ETag,
			LastModified: info.LastModified}
		return nil
	})
	return obj, err
}
