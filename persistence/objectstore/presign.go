package objectstore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// PresignPut returns a URL that lets its holder PUT one object at key until
// expiry passes. contentType is signed into the URL, so the upload must
// send exactly that Content-Type; headers holds what the client must send.
// Signing happens offline, for the public endpoint when one is set, so an
// error here is a bad argument, never storage being down.
//
// Missing: a presigned PUT cannot bound the upload's size (only a POST
// policy can), so a holder of the URL may store one object of any size.
func (s *Store) PresignPut(ctx context.Context, key, contentType string,
	expiry time.Duration) (u *url.URL, headers http.Header, err error) {
	headers = http.Header{"Content-Type": []string{contentType}}
	u, err = s.signer.PresignHeader(ctx, http.MethodPut, s.bucket, key, expiry, nil, headers)
	if err != nil {
		return nil, nil, fmt.Errorf("presign upload of %q: %w", key, err)
	}
	return u, headers, nil
}

// PresignGet returns a URL that lets its holder download the object at key
// until expiry passes.
func (s *Store) PresignGet(ctx context.Context, key string,
	expiry time.Duration) (*url.URL, error) {
	u, err := s.signer.PresignedGetObject(ctx, s.bucket, key, expiry, nil)
	if err != nil {
		return nil, fmt.Errorf("presign download of %q: %w", key, err)
	}
	return u, nil
}
