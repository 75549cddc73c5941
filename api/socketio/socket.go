package socketio

import (
	"context"
	"encoding/json"
)

// Socket is the server's side of one connected Socket.IO socket in the
// default namespace. Its methods never block: packets wait in the session's
// bounded queue.
type Socket struct {
	sess *session
	id   string
}

// ID returns the Socket.IO socket id, which the client also sees.
func (k *Socket) ID() string { return k.id }

// Emit sends 42["name",data]; data is JSON, {} when empty.
func (k *Socket) Emit(name string, data []byte) error {
	return k.sess.send(eventPacket(name, data))
}

// Ack answers the client's event that carried ack id with one argument.
func (k *Socket) Ack(id string, data []byte) error {
	return k.sess.send(ackPacket(id, data))
}

// Disconnect sends DISCONNECT and ends the session: the client is told the
// server let it go and does not reconnect by itself.
func (k *Socket) Disconnect() {
	if k.sess.send(string(eioMessage)+string(sioDisconnect)) == nil {
		k.sess.close("disconnected by server", true)
	}
}

// Close ends the session with Engine.IO's close packet only: the client
// takes it for a lost transport and reconnects.
func (k *Socket) Close() { k.sess.close("closed by server", true) }

// receive handles one Engine.IO packet from the client. An error means the
// client broke the protocol; the caller closes the session.
func (s *session) receive(ctx context.Context, p string) error {
	if p == "" {
		return errEmptyPacket
	}
	switch p[0] {
	case eioPong:
		s.pong()
	case eioPing:
		return s.send(string(eioPong) + p[1:])
	case eioMessage:
		return s.message(ctx, p[1:])
	case eioClose:
		s.close("client closed", false)
	case eioNoop:
	case 'b':
		return errBinary
	default:
		return errUnknownPacket
	}
	return nil
}

// message handles one Socket.IO packet.
func (s *session) message(ctx context.Context, p string) error {
	pk, err := parseSIO(p)
	if err != nil {
		return err
	}
	if pk.kind == sioConnect {
		return s.connect(ctx, pk)
	}
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	switch {
	case pk.kind == sioDisconnect:
		s.close("client disconnected", false)
	case pk.kind == sioAck:
		// The server asks for no acks; a stray one is harmless.
	case pk.kind != sioEvent:
		return errUnknownPacket
	case peer == nil || pk.nsp != "/":
		return errNotConnected
	default:
		name, data, err := parseEvent(pk.payload)
		if err != nil {
			return err
		}
		peer.Event(name, data, pk.ackID)
	}
	return nil
}

// connect answers CONNECT: the Handler authenticates, then the client gets
// 40{"sid"} before the Peer opens, so that no event overtakes it.
func (s *session) connect(ctx context.Context, pk sioPacket) error {
	if pk.nsp != "/" {
		return s.send(connectErrorPacket(pk.nsp, "Invalid namespace"))
	}
	s.mu.Lock()
	if s.peer != nil || s.connecting || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.connecting = true
	s.mu.Unlock()

	token := authToken(pk.payload)
	if token == "" {
		token = s.token
	}
	peer, err := s.srv.handler.Connect(ctx, token)
	if err != nil {
		s.mu.Lock()
		s.connecting = false
		s.mu.Unlock()
		return s.send(connectErrorPacket("/", err.Error()))
	}
	sock := &Socket{sess: s, id: newID()}
	ok, _ := json.Marshal(struct {
		SID string `json:"sid"`
	}{sock.id})
	s.send(string(eioMessage) + string(sioConnect) + string(ok))
	peer.Open(sock)

	s.mu.Lock()
	closed := s.closed
	s.peer, s.connecting = peer, false
	s.mu.Unlock()
	if closed {
		go peer.Closed()
	}
	return nil
}
