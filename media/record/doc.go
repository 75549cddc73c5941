// Package record writes a live stream's media, as the SFU receives it, to
// WebM files on local disk: VP8 video and Opus audio, without transcoding.
//
// A Recorder is a media.Sink. It rebuilds VP8 frames from RTP with pion's
// sample builder, takes each Opus packet as one frame, and places every
// frame at the time its RTP timestamp gives, so a pause in the camera's
// stream stays a gap in the file instead of being squeezed out. The tracks'
// clocks are aligned by the arrival of their first packets, since the sink
// does not see the camera's RTCP sender reports.
//
// Files are cut into segments that each start with a video keyframe: once
// a segment is Config.SegmentLength long, the next keyframe starts a new
// file, and the recorder asks the camera for one. A segment is written as
// <start>.webm.part and renamed to <start>.webm with a <start>.json of its
// metadata beside it once it is complete, so a crash loses at most the
// segment being written and an uploader may take every .webm it finds.
//
// Known limits: H.264 is not recorded (a stream without VP8 video writes
// nothing); a track that first appears in the middle of a segment joins at
// the next one.
package record
