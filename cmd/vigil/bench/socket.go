package bench

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// socket is a device's /ws connection: writes are serialised, reads
// belong to one goroutine.
type socket struct {
	ws *websocket.Conn
	mu sync.Mutex // serialises writes
}

// frame is one realtime event.
type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// dialer opens device sockets, from a given loopback source address when
// the target is 127.0.0.1, so that many sockets do not run out of one
// address's ephemeral ports.
type dialer struct {
	url string
}

func (e *env) dialer() dialer {
	return dialer{url: "ws" + strings.TrimPrefix(e.base, "http") + "/ws"}
}

// dial opens a socket as d; source > 0 binds to 127.0.0.<source>.
func (dl dialer) dial(d device, source int) (*socket, error) {
	wd := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024,
		WriteBufferSize: 1024}
	if source > 0 {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(source))}
		wd.NetDial = (&net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}).Dial
	}
	ws, _, err := wd.Dial(dl.url, http.Header{"Authorization": {"Bearer " + d.Token}})
	if err != nil {
		return nil, fmt.Errorf("open a socket as %s: %w", d.ID, err)
	}
	return &socket{ws: ws}, nil
}

func (s *socket) send(event string, data any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.WriteJSON(map[string]any{"event": event, "data": data})
}

// readFrames calls f with each frame until the socket closes. The
// websocket library answers the server's pings while it reads.
func (s *socket) readFrames(f func(frame)) {
	for {
		var fr frame
		if err := s.ws.ReadJSON(&fr); err != nil {
			return
		}
		f(fr)
	}
}

func (s *socket) close() { _ = s.ws.Close() }
