// Package objectstore is Vigil's S3-compatible object storage: the bucket
// that holds recordings, the presigned URLs through which phones and the
// admin dashboard move the bytes themselves, and the few calls the server
// makes on its own (stat, list, delete). Vigil never proxies object bytes.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Network limits. A storage server that does not answer within them makes
// a request answer 503 quickly instead of holding it.
const (
	dialTimeout           = 3 * time.Second
	responseHeaderTimeout = 15 * time.Second
	// maxRetries of 1 turns off minio-go's own retries (10 by default, with
	// back-off): a phone retries a failed request itself, and a server that
	// is down should be reported as down at once.
	maxRetries = 1
)

// Config is how to reach the storage server (the MINIO_* settings).
type Config struct {
	// Endpoint is the host name or address of the server; Port, when not
	// zero, its port.
	Endpoint  string
	Port      int
	UseSSL    bool
	AccessKey string
	SecretKey string
	Bucket    string
	// Region is fixed rather than looked up, so signing never needs a
	// round trip to the server.
	Region string
	// PublicEndpoint is "host[:port]" or "http(s)://host[:port]" as phones
	// and browsers reach the server. Presigned URLs are signed for it: the
	// host is part of the signature, so rewriting a signed URL breaks it.
	PublicEndpoint string
}

// Store is one bucket on one storage server.
type Store struct {
	client *minio.Client
	// signer signs presigned URLs for the public endpoint; it is client
	// when no public endpoint is set. It never makes a request.
	signer *minio.Client
	bucket string
	region string
}

// New builds a Store. It does not contact the server: a server that is
// down at start-up must not keep Vigil from starting.
func New(cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("objectstore: bucket name is empty")
	}
	host := cfg.Endpoint
	if cfg.Port != 0 {
		host = net.JoinHostPort(cfg.Endpoint, strconv.Itoa(cfg.Port))
	}
	client, err := newClient(host, cfg.UseSSL, cfg)
	if err != nil {
		return nil, fmt.Errorf("objectstore: endpoint %q: %w", host, err)
	}
	s := &Store{client: client, signer: client, bucket: cfg.Bucket, region: cfg.Region}
	if cfg.PublicEndpoint != "" {
		pubHost, secure, err := parsePublicEndpoint(cfg.PublicEndpoint, cfg.UseSSL)
		if err != nil {
			return nil, err
		}
		if s.signer, err = newClient(pubHost, secure, cfg); err != nil {
			return nil, fmt.Errorf("objectstore: public endpoint %q: %w", cfg.PublicEndpoint, err)
		}
	}
	return s, nil
}

func newClient(host string, secure bool, cfg Config) (*minio.Client, error) {
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	transport.DialContext = dialer.DialContext
	transport.ResponseHeaderTimeout = responseHeaderTimeout
	return minio.New(host, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     secure,
		Region:     cfg.Region,
		Transport:  transport,
		MaxRetries: maxRetries,
	})
}

// parsePublicEndpoint accepts "host[:port]" (scheme from useSSL) or an
// http(s) URL without a path.
func parsePublicEndpoint(raw string, useSSL bool) (host string, secure bool, err error) {
	if !strings.Contains(raw, "://") {
		return raw, useSSL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.Trim(u.Path, "/") != "" {
		return "", false, fmt.Errorf("objectstore: public endpoint %q must be host[:port] or "+
			"an http(s) URL without a path", raw)
	}
	return u.Host, u.Scheme == "https", nil
}

// Bucket is the name of the bucket the store works in.
func (s *Store) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket when it does not exist. It is the
// start-up step and the readiness check: when storage was down at start-up,
// the first check after it returns creates the bucket.
func (s *Store) EnsureBucket(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return wrap("check bucket", s.bucket, err)
	}
	if exists {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" ||
		code == "BucketAlreadyExists" {
		return nil
	}
	if err != nil {
		return wrap("create bucket", s.bucket, err)
	}
	return nil
}

// RemoveBucket deletes every object of the bucket and the bucket itself.
// Tests use it to clean up; Vigil itself never removes its bucket.
func (s *Store) RemoveBucket(ctx context.Context) error {
	all := minio.ListObjectsOptions{Recursive: true}
	for obj := range s.client.ListObjects(ctx, s.bucket, all) {
		if obj.Err != nil {
			return wrap("list bucket", s.bucket, obj.Err)
		}
		if err := s.Remove(ctx, obj.Key); err != nil {
			return err
		}
	}
	if err := s.client.RemoveBucket(ctx, s.bucket); err != nil {
		return wrap("remove bucket", s.bucket, err)
	}
	return nil
}
