// Package media is Vigil's media plane: the pion/webrtc SFU that forwards a
// camera's tracks to its viewers, TURN credentials, and the recording
// workers that write streams to object storage.
//
// An SFU (New) holds what all peer connections share: one pion API built
// from the MEDIA_* settings and the publisher count. Each stream session
// owns a Room (SFU.NewRoom) and closes it when the session ends:
//
//   - Publish answers the camera's offer (WHIP, sfu/publish-transport).
//   - Subscribe answers a viewer's recvonly offer (WHEP,
//     sfu/subscribe-transport); a viewer who comes while the camera has
//     answered but sent nothing yet waits up to Config.TrackWait.
//   - AddPublisherCandidate and AddSubscriberCandidate accept trickled
//     candidates before or after the offer.
//   - Leave and Close release peer connections and their goroutines.
//   - OnEvent reports peer states as Event values for the owning actor.
//   - AttachSink and RequestKeyframe serve a recorder.
//
// RTP is forwarded without decoding: one read loop per camera track writes
// each packet to every viewer's track. A viewer receives nothing until it
// is connected and, for video, until a keyframe starts; its connection
// triggers a keyframe request. Viewers' PLI and FIR reach the camera at
// most once per Config.KeyframeInterval; NACK, RTCP reports and TWCC are
// pion's interceptors.
//
// Known limits: a room takes one camera for its life (a camera that
// reconnects needs a new room); a camera track arriving later than
// Config.TrackSettle after the first reaches only viewers who subscribe
// after it; answers carry all server candidates (no server-side trickle);
// no simulcast and no bandwidth adaptation per viewer, so one viewer on a
// poor link gets the camera's full rate and its losses are repaired by NACK.
package media
