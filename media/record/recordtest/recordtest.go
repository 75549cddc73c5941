// Package recordtest reads recorded files back for tests, with decoders
// apart from the writers under test: ebml-go's for WebM, mp4ff's for
// fragmented MP4. Only tests import it.
package recordtest

import (
	"os"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// File is what a recorded file holds.
type File struct {
	// Codecs are the tracks' codec ids in track order (V_VP8, A_OPUS,
	// avc1, Opus).
	Codecs        []string
	Width, Height int
	// Duration is what the container says it lasts.
	Duration time.Duration
	// Video holds each video frame's time, in decoding order; Keyframe
	// says which are keyframes.
	Video       []time.Duration
	Keyframe    []bool
	AudioFrames int
	// Fragments counts an MP4's moof boxes.
	Fragments int
}

// VideoSpan is the time from the first video frame to the last.
func (f File) VideoSpan() time.Duration {
	if len(f.Video) == 0 {
		return 0
	}
	return f.Video[len(f.Video)-1] - f.Video[0]
}

// WebM parses a WebM file with ebml-go.
func WebM(t testing.TB, path string) File {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(r, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if doc.Header.DocType != "webm" {
		t.Fatalf("%s: doc type %q, want webm", path, doc.Header.DocType)
	}
	scale := time.Duration(doc.Segment.Info.TimecodeScale)
	f := File{Duration: time.Duration(doc.Segment.Info.Duration * float64(scale))}
	video, audio := uint64(0), uint64(0)
	for _, tr := range doc.Segment.Tracks.TrackEntry {
		f.Codecs = append(f.Codecs, tr.CodecID)
		switch tr.TrackType {
		case 1:
			video = tr.TrackNumber
			if tr.Video != nil {
				f.Width, f.Height = int(tr.Video.PixelWidth), int(tr.Video.PixelHeight)
			}
		case 2:
			audio = tr.TrackNumber
		}
	}
	for _, c := range doc.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			at := time.Duration(int64(c.Timecode)+int64(b.Timecode)) * scale
			switch b.TrackNumber {
			case video:
				f.Video = append(f.Video, at)
				f.Keyframe = append(f.Keyframe, b.Keyframe)
			case audio:
				f.AudioFrames++
			}
		}
	}
	return f
}

// MP4 parses a fragmented MP4 file with mp4ff.
func MP4(t testing.TB, path string) File {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := mp4.DecodeFile(r)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if !m.IsFragmented() || m.Init == nil {
		t.Fatalf("%s is not a fragmented MP4", path)
	}
	moov := m.Init.Moov
	var f File
	if moov.Mvex != nil && moov.Mvex.Mehd != nil && moov.Mvhd.Timescale > 0 {
		f.Duration = time.Duration(moov.Mvex.Mehd.FragmentDuration) * time.Second /
			time.Duration(moov.Mvhd.Timescale)
	}
	kinds := map[uint32]string{}
	scales := map[uint32]uint32{}
	for _, trak := range moov.Traks {
		id := trak.Tkhd.TrackID
		scales[id] = trak.Mdia.Mdhd.Timescale
		stsd := trak.Mdia.Minf.Stbl.Stsd
		for _, c := range stsd.Children {
			f.Codecs = append(f.Codecs, c.Type())
		}
		kinds[id] = trak.Mdia.Hdlr.HandlerType
		if stsd.AvcX != nil {
			f.Width, f.Height = int(stsd.AvcX.Width), int(stsd.AvcX.Height)
		}
	}
	for _, seg := range m.Segments {
		for _, frag := range seg.Fragments {
			f.Fragments++
			for _, traf := range frag.Moof.Trafs {
				id := traf.Tfhd.TrackID
				trex, _ := moov.Mvex.GetTrex(id)
				samples, err := fragmentSamples(frag, traf, trex)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, s := range samples {
					switch kinds[id] {
					case "vide":
						at := time.Duration(s.DecodeTime) * time.Second / time.Duration(scales[id])
						f.Video = append(f.Video, at)
						f.Keyframe = append(f.Keyframe, s.IsSync())
					case "soun":
						f.AudioFrames++
					}
				}
			}
		}
	}
	return f
}

// fragmentSamples are one track's samples of a multi-track fragment.
func fragmentSamples(frag *mp4.Fragment, traf *mp4.TrafBox, trex *mp4.TrexBox) ([]mp4.FullSample, error) {
	base := traf.Tfdt.BaseMediaDecodeTime()
	var out []mp4.FullSample
	for _, trun := range traf.Truns {
		for _, s := range trun.GetSamples() {
			if s.Dur == 0 && trex != nil {
				s.Dur = traf.Tfhd.DefaultSampleDuration
			}
			out = append(out, mp4.FullSample{Sample: s, DecodeTime: base})
			base += uint64(s.Dur)
		}
	}
	return out, nil
}
