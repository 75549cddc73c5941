package objectstore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// putRaw stores body at key through a URL minio-go signs without Vigil's
// checks, as an upload URL issued before the checks existed would.
func putRaw(t *testing.T, store *objectstore.Store, key string) {
	t.Helper()
	cfg := s3test.Config(t)
	client, err := minio.New(net.JoinHostPort(cfg.Endpoint, strconv.Itoa(cfg.Port)), &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: cfg.Region})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": []string{"video/mp4"}}
	u, err := client.PresignHeader(context.Background(), http.MethodPut, store.Bucket(), key,
		time.Minute, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	if resp := put(t, u, h, []byte("x")); resp.StatusCode != http.StatusOK {
		t.Fatalf("raw PUT of %d byte key: status %d", len(key), resp.StatusCode)
	}
}

func TestOverlongKeysCanBeFoundAndRemovedButNotSigned(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	seg := strings.Repeat("\U0001D15E", 60)
	long := "u/" + strings.Repeat(seg+"/", 5)
	keys := []string{long + "a.mp4", long + "b.mp4"}
	for _, key := range keys {
		putRaw(t, store, key)
	}

	obj, err := store.Stat(ctx, keys[0])
	if err != nil || obj.Key != keys[0] || obj.Size != 1 {
		t.Fatalf("stat of a %d byte key: %+v, %v", len(keys[0]), obj, err)
	}
	if _, err := store.PresignGet(ctx, keys[0], time.Minute); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Fatalf("PresignGet of an over-long key: %v, want ErrInvalidKey", err)
	}
	if _, _, err := store.PresignPut(ctx, keys[0], "video/mp4", time.Minute); !errors.Is(err,
		objectstore.ErrInvalidKey) {
		t.Fatalf("PresignPut of an over-long key: %v, want ErrInvalidKey", err)
	}
	if err := store.Remove(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, keys[0]); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("stat after remove: %v, want ErrNotFound", err)
	}
	if _, err := store.Stat(ctx, keys[1]); err != nil {
		t.Fatalf("the other long key went with it: %v", err)
	}
}

func TestKeysStorageRefusesAreErrInvalidKey(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	putRaw(t, store, "d/a.mp4") // storage looks at a segment only once its parent exists
	key := "d/" + strings.Repeat("s", 256) + "/a.mp4"
	if _, err := store.Stat(ctx, key); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Fatalf("Stat: %v, want ErrInvalidKey", err)
	}
	if err := store.Remove(ctx, key); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Fatalf("Remove: %v, want ErrInvalidKey", err)
	}
}

func TestMissingBucketIsMadeAgain(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	if err := store.RemoveBucket(ctx); err != nil {
		t.Fatal(err)
	}
	if listed, more, err := store.List(ctx, "", 10); err != nil || more || len(listed) != 0 {
		t.Fatalf("List with the bucket gone: %v, %v, %v; want an empty listing", listed, more, err)
	}
	if err := store.RemoveBucket(ctx); err != nil {
		t.Fatalf("bucket was not made again: %v", err)
	}
	if err := store.Remove(ctx, "k"); err != nil {
		t.Fatalf("Remove with the bucket gone: %v", err)
	}
	if _, err := store.Stat(ctx, "k"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("Stat after the bucket was made again: %v, want ErrNotFound", err)
	}
}

func TestDownloadURLsAnswerAsAttachments(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	u, h, err := store.PresignPut(ctx, "a.mp4", "video/mp4", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp := put(t, u, h, []byte("x")); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT status %d", resp.StatusCode)
	}
	dl, err := store.PresignGet(ctx, "a.mp4", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(dl.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || cd != "attachment" {
		t.Fatalf("download: status %d, Content-Disposition %q; want attachment", resp.StatusCode, cd)
	}
}
