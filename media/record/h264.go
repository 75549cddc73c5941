package record

import (
	"bytes"
	"encoding/binary"

	"github.com/Eyevinn/mp4ff/avc"
)

// h264Params is an access unit's first sequence and picture parameter
// sets, or nil for those it lacks. Cameras send both before each IDR. An
// SPS outside spsBounded is left out, so a stream that sends only such
// ones is never recorded.
func h264Params(frame []byte) (sps, pps []byte) {
	for _, nalu := range nalUnits(frame) {
		switch avc.GetNaluType(nalu[0]) {
		case avc.NALU_SPS:
			if sps == nil && spsBounded(nalu) {
				sps = nalu
			}
		case avc.NALU_PPS:
			if pps == nil {
				pps = nalu
			}
		}
	}
	return sps, pps
}

// isH264Keyframe reports whether an access unit holds an IDR slice, where
// decoding can start (ITU-T H.264 §3.69).
func isH264Keyframe(frame []byte) bool {
	for _, nalu := range nalUnits(frame) {
		if avc.GetNaluType(nalu[0]) == avc.NALU_IDR {
			return true
		}
	}
	return false
}

// h264Size reads the picture size from a sequence parameter set, or keeps
// w and h when it does not parse.
func h264Size(sps []byte, w, h int) (int, int) {
	p, err := avc.ParseSPSNALUnit(sps, false)
	if err != nil || p.Width == 0 || p.Height == 0 {
		return w, h
	}
	return int(p.Width), int(p.Height)
}

// avcSample turns an Annex B access unit into an MP4 sample: each NAL unit
// with a 4-byte length (ISO/IEC 14496-15 §5.3.2), without the parameter
// sets and delimiters that the avc1 sample entry holds instead.
func avcSample(frame []byte) []byte {
	var out []byte
	for _, nalu := range nalUnits(frame) {
		switch avc.GetNaluType(nalu[0]) {
		case avc.NALU_SPS, avc.NALU_PPS, avc.NALU_AUD:
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(nalu)))
		out = append(out, nalu...)
	}
	return out
}

// sameParams reports whether a keyframe's parameter sets, where it has
// them, match a segment's.
func sameParams(sps, pps, segSPS, segPPS []byte) bool {
	return (sps == nil || bytes.Equal(sps, segSPS)) && (pps == nil || bytes.Equal(pps, segPPS))
}

// nalUnits splits an Annex B access unit into its NAL units, without the
// empty ones a stray start code makes.
func nalUnits(frame []byte) [][]byte {
	all := avc.ExtractNalusFromByteStream(frame)
	out := all[:0]
	for _, n := range all {
		if len(n) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// maxPOCCycle is the most reference frames a picture order count cycle may
// list (ITU-T H.264 §7.4.2.1.1 bounds num_ref_frames_in_pic_order_cnt_cycle
// to 255).
const maxPOCCycle = 255

// spsBounded reports whether a sequence parameter set keeps within the
// bounds that mp4ff's SPS parser trusts: it allocates and loops over
// num_ref_frames_in_pic_order_cnt_cycle as read, so a camera's crafted
// SPS could make it take gigabytes and seconds. This walks the syntax
// (§7.3.2.1.1) up to that field and no further.
func spsBounded(sps []byte) bool {
	if len(sps) < 4 {
		return false
	}
	r := bitReader{b: unescapeRBSP(sps[1:])}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	if r.ue() > 31 {
		return false
	}
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma := r.ue()
		if chroma > 3 {
			return false
		}
		if chroma == 3 {
			r.bits(1)
		}
		if r.ue() > 6 || r.ue() > 6 {
			return false
		}
		r.bits(1)
		if r.bits(1) == 1 {
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bits(1) == 0 {
					continue
				}
				size := 64 // 8x8
				if i < 6 {
					size = 16 // 4x4
				}
				r.skipScalingList(size)
			}
		}
	}
	if r.ue() > 12 {
		return false
	}
	switch r.ue() {
	case 0:
		r.ue()
	case 1:
		r.bits(1)
		r.se()
		r.se()
		if r.ue() > maxPOCCycle {
			return false
		}
	case 2:
	default:
		return false
	}
	return !r.short
}

// unescapeRBSP drops the emulation prevention bytes (00 00 03 → 00 00,
// §7.4.1) that keep start codes out of a NAL unit.
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// bitReader reads an RBSP bit by bit; reading past the end gives zeros
// and sets short.
type bitReader struct {
	b     []byte
	pos   int
	short bool
}

func (r *bitReader) bits(n int) uint64 {
	var v uint64
	for range n {
		if r.pos >= 8*len(r.b) {
			r.short = true
			return v
		}
		v = v<<1 | uint64(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// ue reads an Exp-Golomb code (§9.1); one longer than 32 bits is no
// valid field, so it reads as the largest value and sets short.
func (r *bitReader) ue() uint64 {
	zeros := 0
	for r.bits(1) == 0 {
		if r.short || zeros == 32 {
			r.short = true
			return 1 << 33
		}
		zeros++
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

func (r *bitReader) se() int64 {
	v := r.ue()
	if v%2 == 1 {
		return int64(v+1) / 2
	}
	return -int64(v / 2)
}

// skipScalingList reads past a scaling list of size entries (§7.3.2.1.1.1).
func (r *bitReader) skipScalingList(size int) {
	last, next := int64(8), int64(8)
	for range size {
		if next != 0 {
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.short {
			return
		}
	}
}
