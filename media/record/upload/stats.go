package upload

import "sync/atomic"

// Stats counts the uploader's work since it was made, for /metrics.
type Stats struct {
	// Uploaded segments are stored with their row; UploadedBytes is their
	// size as storage reported it.
	Uploaded      uint64
	UploadedBytes uint64
	// Failed counts failed attempts (each retry again) and segments given
	// up on.
	Failed uint64
	// Pending segments are waiting for an attempt; it is read by the loop
	// itself, so it lags by at most one pass.
	Pending int64
}

// counters are the uploader's Stats, written by its loop and read by
// any goroutine.
type counters struct {
	uploaded, uploadedBytes, failed atomic.Uint64
	pending                         atomic.Int64
}

// Stats returns the uploader's counters.
func (u *Uploader) Stats() Stats {
	return Stats{Uploaded: u.stats.uploaded.Load(), UploadedBytes: u.stats.uploadedBytes.Load(),
		Failed: u.stats.failed.Load(), Pending: u.stats.pending.Load()}
}
