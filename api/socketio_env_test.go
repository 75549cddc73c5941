package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// eioClient is a bare Engine.IO polling client, so that tests can send
// what the real client library never would.
type eioClient struct {
	t    *testing.T
	base string // http://host:port
	sid  string
}

// eioURL returns the Socket.IO URL for the polling transport.
func (c *eioClient) eioURL() string {
	u := c.base + "/socket.io/?EIO=4&transport=polling"
	if c.sid != "" {
		u += "&sid=" + c.sid
	}
	return u
}

// handshake opens a session and returns the open packet's fields.
func handshake(t *testing.T, base string) (*eioClient, map[string]any) {
	t.Helper()
	c := &eioClient{t: t, base: base}
	status, body := c.get()
	if status != http.StatusOK || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake: %d %q", status, body)
	}
	var open map[string]any
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil {
		t.Fatal(err)
	}
	c.sid = open["sid"].(string)
	return c, open
}

func (c *eioClient) get() (int, string) {
	c.t.Helper()
	resp, err := http.Get(c.eioURL())
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *eioClient) post(packets ...string) (int, string) {
	c.t.Helper()
	resp, err := http.Post(c.eioURL(), "text/plain;charset=UTF-8",
		strings.NewReader(strings.Join(packets, "\x1e")))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// connect sends CONNECT with token and returns the server's answer.
func (c *eioClient) connect(token string) string {
	c.t.Helper()
	auth, _ := json.Marshal(map[string]string{"token": token})
	if status, body := c.post("40" + string(auth)); status != http.StatusOK {
		c.t.Fatalf("CONNECT: %d %s", status, body)
	}
	return c.next(func(p string) bool { return strings.HasPrefix(p, "40") || strings.HasPrefix(p, "44") })
}

// next polls until a packet matches, answering pings, and returns it.
func (c *eioClient) next(match func(string) bool) string {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		status, body := c.get()
		if status != http.StatusOK {
			c.t.Fatalf("poll: %d %s", status, body)
		}
		for _, p := range strings.Split(body, "\x1e") {
			if p == "2" {
				c.post("3")
			}
			if match(p) {
				return p
			}
		}
	}
	c.t.Fatal("no matching packet within 5 s")
	return ""
}

// nextPrefix polls until a packet starting with prefix arrives.
func (c *eioClient) nextPrefix(prefix string) string {
	c.t.Helper()
	return c.next(func(p string) bool { return strings.HasPrefix(p, prefix) })
}

// expectEngineError checks Engine.IO's {"code","message"} answer.
func expectEngineError(t *testing.T, status int, body string, wantStatus int, wantCode float64) {
	t.Helper()
	var e struct {
		Code    *float64 `json:"code"`
		Message string   `json:"message"`
	}
	if status != wantStatus || json.Unmarshal([]byte(body), &e) != nil || e.Code == nil ||
		*e.Code != wantCode || e.Message == "" {
		t.Fatalf("got %d %s, want %d with code %v", status, body, wantStatus, wantCode)
	}
}
