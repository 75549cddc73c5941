package record

import (
	"encoding/binary"
	"errors"
	"math"
)

// errTruncated ends a walk at a file's cut-off end: what came before it
// is kept.
var errTruncated = errors.New("truncated")

// Matroska element ids (RFC 9559 §5.1) the salvage reads.
const (
	idSegment     = 0x18538067
	idCluster     = 0x1F43B675
	idTimecode    = 0xE7
	idSimpleBlock = 0xA3
	idTracks      = 0x1654AE6B
	idTrackEntry  = 0xAE
	idTrackNumber = 0xD7
	idTrackType   = 0x83
	idCodecID     = 0x86
	idVideo       = 0xE0
	idPixelWidth  = 0xB0
	idPixelHeight = 0xBA
)

// unknownSize marks an element whose size was not known when it was
// written (RFC 8794 §6.2): it runs until an element that cannot be its
// child.
const unknownSize = -1

// maxFrame bounds one salvaged block: far above a 4K keyframe, and the
// most a crafted size may make the salvage copy.
const maxFrame = 16 << 20

// salvagedWebM is what a cut-off WebM segment still holds.
type salvagedWebM struct {
	width, height int
	hasAudio      bool
	blocks        []salvagedBlock
}

type salvagedBlock struct {
	track uint64
	at    int64 // milliseconds from the segment's start
	key   bool
	data  []byte
}

// salvageWebM reads the tracks and every complete SimpleBlock of a WebM
// file written by this package that may end anywhere, as a crash leaves
// it. Only the elements the recorder writes are understood; anything
// else is skipped by its size.
func salvageWebM(b []byte) salvagedWebM {
	var s salvagedWebM
	pos := 0
	for pos < len(b) {
		id, size, body, err := element(b, pos)
		if err != nil {
			return s
		}
		if id == idSegment {
			s.segment(b[body:end(b, body, size)])
			return s
		}
		if size == unknownSize {
			return s
		}
		pos = body + size
	}
	return s
}

func (s *salvagedWebM) segment(b []byte) {
	clusterAt := int64(0)
	for pos := 0; pos < len(b); {
		id, size, body, err := element(b, pos)
		if err != nil {
			return
		}
		switch id {
		case idCluster:
			// The cluster's children follow in the segment's own walk, so
			// a cluster of unknown size and one cut short read alike.
			pos = body
			continue
		case idTimecode:
			clusterAt = int64(uintValue(b[body:end(b, body, size)]))
		case idSimpleBlock:
			if size == unknownSize || body+size > len(b) {
				return
			}
			s.block(b[body:body+size], clusterAt)
		case idTracks:
			s.tracks(b[body:end(b, body, size)])
		}
		if size == unknownSize {
			return
		}
		pos = body + size
	}
}

// block reads a SimpleBlock (RFC 9559 §10.2): track number, 16-bit
// relative time, flags, frame.
func (s *salvagedWebM) block(b []byte, clusterAt int64) {
	track, n := vint(b, false)
	if n == 0 || len(b) < n+3 || len(b)-n-3 > maxFrame {
		return
	}
	rel := int16(binary.BigEndian.Uint16(b[n:]))
	flags := b[n+2]
	if flags&0x06 != 0 { // laced blocks are never written here
		return
	}
	s.blocks = append(s.blocks, salvagedBlock{track: track, at: clusterAt + int64(rel),
		key: flags&0x80 != 0, data: append([]byte(nil), b[n+3:]...)})
}

func (s *salvagedWebM) tracks(b []byte) {
	for pos := 0; pos < len(b); {
		id, size, body, err := element(b, pos)
		if err != nil || size == unknownSize {
			return
		}
		if id == idTrackEntry {
			s.trackEntry(b[body:end(b, body, size)])
		}
		pos = body + size
	}
}

func (s *salvagedWebM) trackEntry(b []byte) {
	var number, kind uint64
	for pos := 0; pos < len(b); {
		id, size, body, err := element(b, pos)
		if err != nil || size == unknownSize {
			return
		}
		v := b[body:end(b, body, size)]
		switch id {
		case idTrackNumber:
			number = uintValue(v)
		case idTrackType:
			kind = uintValue(v)
		case idVideo:
			s.video(v)
		}
		pos = body + size
	}
	if kind == 2 && number == audioTrackNumber {
		s.hasAudio = true
	}
}

func (s *salvagedWebM) video(b []byte) {
	for pos := 0; pos < len(b); {
		id, size, body, err := element(b, pos)
		if err != nil || size == unknownSize {
			return
		}
		switch id {
		case idPixelWidth:
			s.width = int(min(uintValue(b[body:end(b, body, size)]), math.MaxUint16))
		case idPixelHeight:
			s.height = int(min(uintValue(b[body:end(b, body, size)]), math.MaxUint16))
		}
		pos = body + size
	}
}

// element reads the id and size of the element at pos and where its body
// starts. A size of unknownSize runs to the end of the parent.
func element(b []byte, pos int) (id uint64, size, body int, err error) {
	id, n := vint(b[pos:], true)
	if n == 0 {
		return 0, 0, 0, errTruncated
	}
	raw, m := vint(b[pos+n:], false)
	if m == 0 {
		return 0, 0, 0, errTruncated
	}
	body = pos + n + m
	if raw == 1<<(7*m)-1 {
		return id, unknownSize, body, nil
	}
	if raw > uint64(len(b)) {
		// Larger than the whole file: cut off, or nonsense; either way
		// its body is what is left.
		return id, len(b) - body, body, nil
	}
	return id, int(raw), body, nil
}

// end is where an element's body ends within b: its size, the rest of b
// when the size is unknown, or b's end when it was cut off.
func end(b []byte, body, size int) int {
	if size == unknownSize || body+size > len(b) {
		return len(b)
	}
	return body + size
}

// vint reads an EBML variable-length integer (RFC 8794 §4): its length is
// one more than the leading zero bits of its first byte. An id keeps its
// marker bit; a size loses it. Zero length means b holds no whole vint.
func vint(b []byte, keepMarker bool) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > len(b) || (keepMarker && n > 4) {
		return 0, 0
	}
	v := uint64(b[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// uintValue reads an EBML unsigned integer of up to 8 bytes.
func uintValue(b []byte) uint64 {
	var v uint64
	for _, c := range b[:min(len(b), 8)] {
		v = v<<8 | uint64(c)
	}
	return v
}
