package actors

import (
	"encoding/json"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// viewerRemovedJSON is the data of a stream:viewer-removed event.
type viewerRemovedJSON struct {
	StreamSessionID persistence.StreamID `json:"streamSessionId"`
	DeviceID        persistence.DeviceID `json:"deviceId"`
	Reason          RevokeReason         `json:"reason"`
}

// deviceRevoked cuts a device that may no longer take part off the
// stream. A disabled camera ends it; a requester that lost its link or
// was disabled ends it too, since the session exists for it. Any other
// viewer loses its transports and its place among the joined, is told
// stream:viewer-removed, and may not come back to this session.
func (a *streamActor) deviceRevoked(ctx actor.Context, msg *DeviceRevoked) {
	if a.stream.Status == persistence.StreamEnded {
		return
	}
	switch msg.DeviceID {
	case a.stream.CameraDeviceID:
		if msg.Reason == RevokedDisabled {
			a.end(ctx, EndReasonCameraDisabled, "")
		}
		return
	case a.stream.RequesterDeviceID:
		reason := EndReasonRequesterUnlinked
		if msg.Reason == RevokedDisabled {
			reason = EndReasonRequesterDisabled
		}
		a.end(ctx, reason, "")
		return
	}
	a.revoked[msg.DeviceID] = struct{}{}
	_, joined := a.joined[msg.DeviceID]
	delete(a.joined, msg.DeviceID)
	closed := a.closeViewersOf(msg.DeviceID)
	if !joined && closed == 0 {
		return
	}
	a.log.Info("viewer removed", "viewerDeviceID", msg.DeviceID, "reason", msg.Reason,
		"transports", closed)
	data, _ := json.Marshal(viewerRemovedJSON{StreamSessionID: a.id, DeviceID: msg.DeviceID,
		Reason: msg.Reason})
	ctx.Send(a.sys.dir.Get(KindDevice, string(msg.DeviceID)),
		&DeliverEvent{Event: "stream:viewer-removed", Data: data})
}

// closeViewersOf closes every transport of a device, through the SFU
// routes and WHEP alike, and reports how many it closed. One still
// negotiating is closed when its exchange finishes (see negotiated).
func (a *streamActor) closeViewersOf(device persistence.DeviceID) int {
	n := 0
	for id, v := range a.viewers {
		if v.device != device {
			continue
		}
		a.forgetViewer(id)
		if a.room != nil {
			_ = a.room.Leave(id)
		}
		n++
	}
	return n
}

// isRevoked reports whether the device was cut off from this session.
func (a *streamActor) isRevoked(device persistence.DeviceID) bool {
	_, ok := a.revoked[device]
	return ok
}
