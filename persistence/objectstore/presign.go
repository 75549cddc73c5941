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
// error here is a bad argument (ErrInvalidKey), never storage being down.
//
// Missing: a presigned PUT cannot bound the upload's size (only a POST
// policy can), so a holder of the URL may store one object of any size.
func (s *Store) PresignPut(ctx context.Context, key, contentType string,
	expiry time.Duration) (u *url.URL, headers http.Header, err error) {
	// minio-go signs a URL for a key of any length, but S3 and minio-go
	// refuse to address one over the limit afterwards.
	if len(key) > MaxKeyBytes {
		return nil, nil, fmt.Errorf("presign upload of %q: %w: longer than %d bytes",
			key, ErrInvalidKey, MaxKeyBytes)
	}
	headers = http.Header{"Content-Type": []string{contentType}}
	u, err = s.signer.PresignHeader(ctx, http.MethodPut, s.bucket, key, expiry, nil, headers)
	if err != nil {
		return nil, nil, fmt.Errorf("presign upload of %q: %w: %w", key, ErrInvalidKey, err)
	}
	return u, headers, nil
}

// attachment asks storage to answer a presigned download with
// Content-Disposition: attachment (RFC 6266), so a browser saves the
// object instead of rendering it in the storage server's origin, whatever
// its content type.
var attachment = url.Values{"response-content-disposition": []string{"attachment"}}

// PresignGet returns a URL that lets its holder download the object at key
// until expiry passes, as an attachment. A key storage cannot address
// (over MaxKeyBytes) is ErrInvalidKey.
func (s *Store) PresignGet(ctx context.Context, key string,
	expiry time.Duration) (*url.URL, error) {
	if len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("presign download of %q: %w: longer than %d bytes",
			key, ErrInvalidKey, MaxKeyBytes)
	}
	u, err := s.signer.PresignedGetObject(ctx, s.bucket, key, expiry, attachment)
	if err != nil {
		return nil, fmt.Errorf("presign download of %q: %w: %w", key, ErrInvalidKey, err)
	}
	return u, nil
}
