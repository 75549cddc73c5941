package actors

import (
	"encoding/json"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// Legacy-mode signaling events a device may send for a stream; the server
// passes each to the device it names, unchanged but for fromDeviceId.
var relayEvents = map[string]bool{
	"webrtc:offer":         true,
	"webrtc:answer":        true,
	"webrtc:ice-candidate": true,
}

// IsRelayEvent reports whether a websocket event is legacy signaling.
func IsRelayEvent(event string) bool { return relayEvents[event] }

// relay passes a legacy signaling frame between the camera and one of its
// viewers (the requester or a linked client that joined). Anything else
// is answered with an error event to the sender.
func (a *streamActor) relay(ctx actor.Context, msg *RelaySignal) {
	var data map[string]json.RawMessage
	var to struct {
		ToDeviceID persistence.DeviceID `json:"toDeviceId"`
	}
	if json.Unmarshal(msg.Data, &data) != nil || json.Unmarshal(msg.Data, &to) != nil {
		a.relayError(ctx, msg.From, "INVALID_SIGNAL", msg.Event+" data must be a JSON object")
		return
	}
	switch {
	case a.stream.MediaMode == MediaModeSFU:
		a.relayError(ctx, msg.From, "NOT_LEGACY_MODE",
			"stream "+string(a.id)+" uses the SFU; use its sfu routes, not "+msg.Event)
		return
	case a.stream.Status == persistence.StreamEnded:
		a.relayError(ctx, msg.From, "STREAM_ENDED", "stream "+string(a.id)+" has ended")
		return
	case !a.mayRelay(msg.From, to.ToDeviceID):
		a.relayError(ctx, msg.From, "NOT_STREAM_PEER",
			"toDeviceId must be the stream's camera or one of its linked viewers, and you its other end")
		return
	}
	data["fromDeviceId"], _ = json.Marshal(msg.From)
	data["streamSessionId"], _ = json.Marshal(a.id)
	out, _ := json.Marshal(data)
	ctx.Send(a.sys.dir.Get(KindDevice, string(to.ToDeviceID)), &DeliverEvent{Event: msg.Event, Data: out})
}

// mayRelay allows signaling between the camera and a viewer of the
// stream, in either direction.
func (a *streamActor) mayRelay(from, to persistence.DeviceID) bool {
	cam := a.stream.CameraDeviceID
	switch {
	case from == cam:
		return a.isViewer(to)
	case to == cam:
		return a.isViewer(from)
	}
	return false
}

// isViewer reports whether d is the requester or a linked client that
// joined.
func (a *streamActor) isViewer(d persistence.DeviceID) bool {
	_, joined := a.joined[d]
	return d == a.stream.RequesterDeviceID || joined
}

// relayError tells the sender of a refused signal why, on its socket.
func (a *streamActor) relayError(ctx actor.Context, to persistence.DeviceID, code, message string) {
	data, _ := json.Marshal(struct {
		Code            string               `json:"code"`
		Message         string               `json:"message"`
		StreamSessionID persistence.StreamID `json:"streamSessionId"`
	}{code, message, a.id})
	ctx.Send(a.sys.dir.Get(KindDevice, string(to)), &DeliverEvent{Event: "error", Data: data})
}
