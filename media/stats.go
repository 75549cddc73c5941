package media

import "sync/atomic"

// Stats counts what the SFU has carried since it was built, across every
// room, closed ones included: what an operator's /metrics needs, where
// RoomStats is one live room's view.
type Stats struct {
	// Publishers and Rooms are open now.
	Publishers int
	Rooms      int64
	// PacketsIn are RTP packets read from cameras.
	PacketsIn uint64
	// PacketsForwarded and BytesForwarded are RTP packets (and their
	// sizes, header included) written to viewers.
	PacketsForwarded uint64
	BytesForwarded   uint64
}

// totals are the SFU-wide counters. The read loop of every camera track
// adds to them with plain atomic adds, the only cost counting puts on the
// forwarding path.
type totals struct {
	rooms            atomic.Int64
	packetsIn        atomic.Uint64
	packetsForwarded atomic.Uint64
	bytesForwarded   atomic.Uint64
}

// Stats returns the SFU's counters.
func (s *SFU) Stats() Stats {
	return Stats{
		Publishers:       s.Publishers(),
		Rooms:            s.totals.rooms.Load(),
		PacketsIn:        s.totals.packetsIn.Load(),
		PacketsForwarded: s.totals.packetsForwarded.Load(),
		BytesForwarded:   s.totals.bytesForwarded.Load(),
	}
}

// StartsKeyframe reports whether an RTP payload of the codec begins a
// keyframe, the first packet a viewer can decode from. Load tools use it
// to time a viewer's first decodable frame, through any SFU.
func StartsKeyframe(mimeType string, payload []byte) bool {
	return startsKeyframe(mimeType, payload)
}
