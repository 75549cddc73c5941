package persistence

import (
	"context"
	"fmt"
)

// CountOpen returns how many stream sessions are requested and how many
// streaming, from the open-sessions index: what /metrics reports as
// streams by state. Both states are always in the answer.
func (q *Streams) CountOpen(ctx context.Context) (map[StreamStatus]int64, error) {
	rows, err := q.pool.Query(ctx,
		`SELECT status, count(*) FROM stream_sessions WHERE status <> 'ended' GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count open streams: %w", err)
	}
	defer rows.Close()
	out := map[StreamStatus]int64{StreamRequested: 0, StreamStreaming: 0}
	for rows.Next() {
		var status StreamStatus
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count open streams: %w", err)
		}
		out[status] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open streams: %w", err)
	}
	return out, nil
}
