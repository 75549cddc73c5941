// Package record writes a live stream's media, as the SFU receives it, to
// files on local disk, without transcoding: VP8 video and Opus audio to
// WebM (ebml-go), H.264 video and Opus audio to fragmented MP4 (mp4ff).
//
// A Recorder is a media.Sink. It rebuilds video frames from RTP with
// pion's sample builder, takes each Opus packet as one frame, and places
// every frame at the time its RTP timestamp gives, so a pause in the
// camera's stream stays a gap in the file instead of being squeezed out.
// The tracks' clocks are aligned by the arrival of their first packets,
// since the sink does not see the camera's RTCP sender reports.
//
// Files are cut into segments that each start with a video keyframe: once
// a segment is Config.SegmentLength long, the next keyframe starts a new
// file, and the recorder asks the camera for one. A segment is written as
// <start>.webm.part (or .mp4.part) and renamed to <start>.webm (.mp4) with
// a <start>.json of its metadata beside it once it is complete, so a crash
// loses at most the segment being written and an uploader may take every
// finished file it finds. An MP4 segment is written a fragment at a time
// (at each keyframe, at least every second) with its parameter sets in
// the avc1 sample entry; a camera that changes them starts a new segment.
//
// Known limits: a track that first appears in the middle of a segment
// joins at the next one; H.264 with B-frames is written without
// composition offsets (WebRTC cameras send none); VP9 and AV1 are not
// recorded.
package record
