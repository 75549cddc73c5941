package actors

import (
	"encoding/json"
	"slices"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
)

// streamOpened remembers an open stream this device takes part in, so
// that the stream hears when the device goes offline.
func (a *deviceActor) streamOpened(msg *StreamOpened) {
	a.streams[msg.StreamID] = struct{}{}
}

// maxJoinedStreams bounds the streams a viewer's signaling may name: a
// phone watches one or two at a time.
const maxJoinedStreams = 8

// streamJoined remembers a stream the device joined as a viewer.
func (a *deviceActor) streamJoined(msg *StreamJoined) {
	if slices.Contains(a.joined, msg.StreamID) {
		return
	}
	if len(a.joined) == maxJoinedStreams {
		a.joined = a.joined[1:]
	}
	a.joined = append(a.joined, msg.StreamID)
}

// takesPart reports whether the device may signal on stream id.
func (a *deviceActor) takesPart(id persistence.StreamID) bool {
	_, open := a.streams[id]
	return open || slices.Contains(a.joined, id)
}

// streamsPresence tells every open stream of the device that it went
// offline or came back. The device keeps them until each ends
// (StreamClosed): a stream waits a grace period for it to come back.
func (a *deviceActor) streamsPresence(ctx actor.Context, online bool) {
	var msg any = &ParticipantOffline{DeviceID: a.id}
	if online {
		msg = &ParticipantOnline{DeviceID: a.id}
	}
	for id := range a.streams {
		ctx.Send(a.sys.dir.Get(KindStream, string(id)), msg)
	}
}

// relayFrame hands a legacy signaling frame to the stream it names.
func (a *deviceActor) relayFrame(ctx actor.Context, event string, data []byte) {
	var f struct {
		StreamSessionID string `json:"streamSessionId"`
	}
	if json.Unmarshal(data, &f) != nil || uuid.Validate(f.StreamSessionID) != nil ||
		len(f.StreamSessionID) != 36 {
		a.sendError(ctx, "INVALID_SIGNAL", event+" needs streamSessionId (a UUID)")
		return
	}
	// Only streams the device takes part in: anything else gets the same
	// answer whether it exists or not, and costs no actor or query.
	if !a.takesPart(persistence.StreamID(f.StreamSessionID)) {
		a.sendError(ctx, "NOT_STREAM_PEER", "this device takes no part in that stream")
		return
	}
	ctx.Send(a.sys.dir.Get(KindStream, f.StreamSessionID),
		&RelaySignal{From: a.id, Event: event, Data: data})
}

// startStreamAnswered tells a stream that its camera rejected the
// start_stream command, which ends the stream as rejected.
func (a *deviceActor) startStreamAnswered(ctx actor.Context, cmd persistence.Command) {
	if cmd.Type != "start_stream" || cmd.Status != persistence.CommandRejected {
		return
	}
	var p struct {
		StreamSessionID string `json:"streamSessionId"`
	}
	if json.Unmarshal(cmd.Payload, &p) != nil || uuid.Validate(p.StreamSessionID) != nil {
		return
	}
	ctx.Send(a.sys.dir.Get(KindStream, p.StreamSessionID),
		&EndStream{DeviceID: a.id, Reason: EndReasonRejected})
}
