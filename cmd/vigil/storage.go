package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/cmd/vigil/config"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// storageStartTimeout bounds the bucket check at start-up; storage that is
// slower than this is reported down and start-up goes on.
const storageStartTimeout = 5 * time.Second

// openStorage builds the object store and makes sure its bucket exists.
// Storage that is down does not stop start-up: /readyz reports it and the
// storage routes answer 503 until it answers, and the readiness check then
// creates the bucket. It returns a nil store when storage is not configured
// (see apiStorage for handing it to api).
func openStorage(ctx context.Context, log *slog.Logger,
	cfg config.Storage) (*objectstore.Store, []api.Check, error) {
	if !cfg.Configured() {
		log.Warn("object storage not configured; /videos and /admin storage routes answer 503",
			"setting", "MINIO_ENDPOINT")
		return nil, nil, nil
	}
	store, err := objectstore.New(objectstore.Config{
		Endpoint: cfg.Endpoint, Port: cfg.Port, UseSSL: cfg.UseSSL,
		AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		Bucket: cfg.Bucket, Region: cfg.Region, PublicEndpoint: cfg.PublicEndpoint,
	})
	if err != nil {
		return nil, nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, storageStartTimeout)
	defer cancel()
	if err := store.EnsureBucket(startCtx); err != nil {
		log.Warn("object storage unreachable at start-up; storage routes answer 503 until it "+
			"returns", "endpoint", cfg.Endpoint, "bucket", cfg.Bucket, "err", err)
	} else {
		log.Info("object storage ready", "endpoint", cfg.Endpoint, "bucket", cfg.Bucket,
			"publicEndpoint", cfg.PublicEndpoint)
	}
	return store, []api.Check{{Name: "storage", Check: store.EnsureBucket}}, nil
}

// apiStorage hands the store to api as an untyped nil when there is none,
// so api sees "none" rather than a nil *objectstore.Store.
func apiStorage(store *objectstore.Store) api.ObjectStore {
	if store == nil {
		return nil
	}
	return store
}
