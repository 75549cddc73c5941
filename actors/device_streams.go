package actors

import (
	"encoding/json"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
)

// streamOpened remembers an open stream this device takes part in, so
// that the stream hears when the device goes offline.
func (a *deviceActor) streamOpened(msg *StreamOpened) {
	a.streams[msg.StreamID] = struct{}{}
}

// streamsOffline tells every open stream of the device that it went
// offline; each ends, so the device forgets them.
func (a *deviceActor) streamsOffline(ctx actor.Context) {
	for id := range a.streams {
		ctx.Send(a.sys.dir.Get(KindStream, string(id)), &ParticipantOffline{DeviceID: a.id})
	}
	clear(a.streams)
}

// relayFrame hands a legacy signaling frame to the stream it names.
func (a *deviceActor) relayFrame(ctx actor.Context, event string, data []byte) {
	var f struct {
		StreamSessionID string `json:"streamSessionId"`
	}
	if json.Unmarshal(data, &f) != nil || uuid.Validate(f.StreamSessionID) != nil {
		a.sendError(ctx, "INVALID_SIGNAL", event+" needs streamSessionId (a UUID)")
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
