package actors

import "github.com/vigil-oss/vigil/persistence"

// Messages of commands and motion events. Like the others they are plain
// data; rows travel as values.

// DeliverCommand hands a stored, queued command to its camera's device
// actor, which delivers it now (command:received) or when the camera's
// socket next opens. Postgres already holds the command, so a lost
// DeliverCommand delays the command until the actor next starts; it
// never loses it.
type DeliverCommand struct {
	Command persistence.Command
}

// AckCommand is a device's answer to a command it received: Status is
// acknowledged or rejected. It is sent to the answering device's own
// actor, which refuses a command aimed at another device. Asked, the
// actor answers a *CommandAnswer, a *Refused or a *RequestFailed.
type AckCommand struct {
	CommandID persistence.CommandID
	Status    persistence.CommandStatus
	Reason    string
}

// CommandAnswer is the command after an ack; Changed is false when the
// ack repeated one already recorded.
type CommandAnswer struct {
	Command persistence.Command
	Changed bool
}

// CommandStatusChanged goes from a camera's actor to the actor of the
// command's source device, which tells its socket (command:status).
type CommandStatusChanged struct {
	Command persistence.Command
}

// Refusal says why an actor refused a request about a command or event.
type Refusal string

// Refusals.
const (
	// RefusedNotFound: no such command or event of this device's user.
	RefusedNotFound Refusal = "not_found"
	// RefusedNotTarget: the command is aimed at another of the user's
	// devices.
	RefusedNotTarget Refusal = "not_target"
	// RefusedFinal: the command already ended otherwise (Status says how).
	RefusedFinal Refusal = "final"
)

// Refused answers a request the actor will not carry out.
type Refused struct {
	Reason Refusal
	Status persistence.CommandStatus
}

// StartMotion asks a camera's actor to record that motion started and
// tell its linked clients (motion:detected). The actor fills in the
// camera and user. It answers a *MotionAnswer or a *RequestFailed.
type StartMotion struct {
	Event persistence.NewEvent
}

// EndMotion asks a camera's actor to close one of its events and tell its
// linked clients (motion:ended). It answers a *MotionAnswer, a *Refused or
// a *RequestFailed.
type EndMotion struct {
	EventID persistence.EventID
	End     persistence.EventEnd
}

// MotionAnswer is the event after a start or end; Changed is false when
// the request repeated one already recorded.
type MotionAnswer struct {
	Event   persistence.Event
	Changed bool
}

// MotionReported goes from a camera's actor to each of its link actors;
// Event is motion:detected or motion:ended and Data its JSON.
type MotionReported struct {
	CameraDeviceID persistence.DeviceID
	Event          string
	Data           []byte
}

// LinkedMotion goes from a link actor to its client's device actor, which
// tells its socket.
type LinkedMotion struct {
	LinkID persistence.LinkID
	Event  string
	Data   []byte
}

// ResumeWork activates a device actor so that it picks up what Postgres
// holds for it: pending commands to deliver or expire, open events to
// close. System.Recover sends it after a restart.
type ResumeWork struct{}

// commandExpired is a camera actor's own timer: a held command's time to
// live may have passed.
type commandExpired struct {
	ID persistence.CommandID
}

// motionOpenExpired is a camera actor's own timer: the camera has been
// offline for the open-motion bound.
type motionOpenExpired struct{}
