package media

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOneUDPPortCarriesEveryPeer runs a camera and two viewers through an
// SFU whose media all go through one UDP port (MEDIA_UDP_PORT): media must
// flow, and every UDP candidate in the answers must name that port.
func TestOneUDPPortCarriesEveryPeer(t *testing.T) {
	probe, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()

	sfu := newTestSFU(t, func(c *Config) { c.UDPPort = port })
	room := sfu.NewRoom(RoomConfig{ID: "stream-udpmux"})
	t.Cleanup(room.Close)
	cam := startTestCamera(t, room)
	a, b := startTestViewer(t, room, "a"), startTestViewer(t, room, "b")
	for _, v := range []*testViewer{a, b} {
		waitFor(t, 5*time.Second, "a viewer to receive video", func() bool { return v.video.Load() >= 30 })
	}

	answers := []string{cam.pc.RemoteDescription().SDP, a.pc.RemoteDescription().SDP,
		b.pc.RemoteDescription().SDP}
	for _, sdp := range answers {
		udp := 0
		for _, line := range strings.Split(sdp, "\n") {
			f := strings.Fields(line)
			// a=candidate:<foundation> <component> <udp> <priority> <ip> <port> typ ...
			if len(f) < 8 || !strings.HasPrefix(f[0], "a=candidate:") || !strings.EqualFold(f[2], "udp") {
				continue
			}
			udp++
			if f[5] != strconv.Itoa(port) {
				t.Fatalf("candidate on another port: %s (want %d)", line, port)
			}
		}
		if udp == 0 {
			t.Fatalf("answer has no UDP candidate:\n%s", sdp)
		}
	}
}
