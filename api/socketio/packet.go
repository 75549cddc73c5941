package socketio

import (
	"encoding/json"
	"errors"
	"strings"
)

// Socket.IO v5 packet types, the first byte of an Engine.IO message.
const (
	sioConnect      = '0'
	sioDisconnect   = '1'
	sioEvent        = '2'
	sioAck          = '3'
	sioConnectError = '4'
	sioBinaryEvent  = '5'
	sioBinaryAck    = '6'
)

// Errors that end a session: the client does not speak the protocol.
var (
	errEmptyPacket   = errors.New("empty packet")
	errUnknownPacket = errors.New("unknown packet type")
	errBinary        = errors.New("binary packets are not supported")
	errBadAckID      = errors.New("ack id must be digits")
	errBadEvent      = errors.New(`event must be a JSON array ["name", data]`)
	errNotConnected  = errors.New("event before CONNECT")
)

// sioPacket is one decoded Socket.IO packet.
type sioPacket struct {
	kind    byte
	nsp     string // "/" when the packet names none
	ackID   string // digits, or "" for none
	payload string // JSON, or ""
}

// parseSIO decodes the text form: type, optional "/nsp,", optional ack
// id, optional JSON payload.
func parseSIO(p string) (sioPacket, error) {
	if p == "" {
		return sioPacket{}, errEmptyPacket
	}
	pk := sioPacket{kind: p[0], nsp: "/"}
	switch pk.kind {
	case sioConnect, sioDisconnect, sioEvent, sioAck, sioConnectError:
	case sioBinaryEvent, sioBinaryAck:
		return pk, errBinary
	default:
		return pk, errUnknownPacket
	}
	rest := p[1:]
	if strings.HasPrefix(rest, "/") {
		nsp, after, found := strings.Cut(rest, ",")
		pk.nsp, rest = nsp, after
		if !found {
			rest = ""
		}
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		if !isDigits(rest[:i]) {
			return pk, errBadAckID
		}
		pk.ackID = rest[:i]
	}
	pk.payload = rest[i:]
	return pk, nil
}

// parseEvent splits an EVENT's payload into its name and first argument.
func parseEvent(payload string) (string, json.RawMessage, error) {
	var args []json.RawMessage
	if json.Unmarshal([]byte(payload), &args) != nil || len(args) == 0 {
		return "", nil, errBadEvent
	}
	var name string
	if json.Unmarshal(args[0], &name) != nil {
		return "", nil, errBadEvent
	}
	if len(args) < 2 {
		return name, nil, nil
	}
	return name, args[1], nil
}

// authToken reads {"token": "..."} from a CONNECT's payload.
func authToken(payload string) string {
	var auth struct {
		Token string `json:"token"`
	}
	if payload != "" && json.Unmarshal([]byte(payload), &auth) == nil {
		return auth.Token
	}
	return ""
}

// eventPacket encodes 42["name",data] as an Engine.IO message.
func eventPacket(name string, data []byte) string {
	n, _ := json.Marshal(name)
	if len(data) == 0 {
		data = []byte("{}")
	}
	return string(eioMessage) + string(sioEvent) + "[" + string(n) + "," + string(data) + "]"
}

// ackPacket encodes 43<id>[data] as an Engine.IO message.
func ackPacket(id string, data []byte) string {
	if len(data) == 0 {
		data = []byte("null")
	}
	return string(eioMessage) + string(sioAck) + id + "[" + string(data) + "]"
}

// connectErrorPacket encodes 44{"message"} for the namespace nsp.
func connectErrorPacket(nsp, message string) string {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{message})
	prefix := string(eioMessage) + string(sioConnectError)
	if nsp != "/" {
		prefix += nsp + ","
	}
	return prefix + string(b)
}
