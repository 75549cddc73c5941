package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// H.264 NAL unit types (RFC 6184 §5.2, ITU-T H.264 Table 7-1).
const (
	naluIDR   = 5
	naluSPS   = 7
	naluSTAPA = 24
	naluFUA   = 28
)

// startsKeyframe reports whether an RTP payload is the first packet of a
// keyframe, the point from which a new viewer can decode. Codecs it does
// not know are treated as always decodable.
func startsKeyframe(mimeType string, payload []byte) bool {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP8):
		return vp8StartsKeyframe(payload)
	case strings.EqualFold(mimeType, webrtc.MimeTypeH264):
		return h264StartsKeyframe(payload)
	}
	return true
}

// vp8StartsKeyframe reads the VP8 payload descriptor (RFC 7741 §4.2): the
// packet must start partition 0 (S=1, PID=0), and the P bit of the VP8
// payload header after the descriptor must be 0 (RFC 7741 §4.3).
func vp8StartsKeyframe(p []byte) bool {
	if len(p) < 1 || p[0]&0x10 == 0 || p[0]&0x07 != 0 {
		return false
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte with I, L, T, K
		if len(p) < 2 {
			return false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture ID, 15 bits when its M bit is set
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	return len(p) > i && p[i]&0x01 == 0
}

// h264StartsKeyframe looks for an SPS or IDR slice at the start of the
// payload: a single NAL unit, inside a STAP-A, or a starting FU-A fragment
// (RFC 6184 §5.6–5.8).
func h264StartsKeyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch t := p[0] & 0x1f; t {
	case naluSTAPA:
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			if isKeyNALU(p[i+2] & 0x1f) {
				return true
			}
			i += 2 + size
		}
		return false
	case naluFUA:
		return len(p) > 1 && p[1]&0x80 != 0 && isKeyNALU(p[1]&0x1f)
	default:
		return isKeyNALU(t)
	}
}

func isKeyNALU(t byte) bool { return t == naluIDR || t == naluSPS }
