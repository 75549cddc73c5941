package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

func TestStreamRoutesRefuseTheWrongDevices(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	unlinked := e.register(p.u, "unlinked", "client")
	stranger := e.signUp("stranger@example.com")
	theirCli := e.register(stranger, "their phone", "client")
	theirCam := e.register(stranger, "their cam", "camera")
	e.link(stranger, theirCam, theirCli)

	for _, tc := range []struct {
		name   string
		from   registered
		body   string
		status int
		code   string
	}{
		{"unlinked client", unlinked, p.cam.ID, 403, "NOT_LINKED"},
		{"another user's client", theirCli, p.cam.ID, 403, "NOT_LINKED"},
		{"a camera", p.cam, p.cam.ID, 403, "NOT_A_CLIENT"},
		{"not a uuid", p.cli, "cam", 400, "INVALID_ID"},
	} {
		t.Run("request by "+tc.name, func(t *testing.T) {
			expectError(t, e.do("POST", "/streams/request", map[string]string{"cameraDeviceId": tc.body},
				tc.from.bearer()...), tc.status, tc.code)
		})
	}

	s := e.requestStream(p.cli, p.cam)
	for _, tc := range []struct {
		name, method, path string
		from               registered
		status             int
		code               string
	}{
		{"client accepts", "POST", "/accept", p.cli, 403, "NOT_STREAM_CAMERA"},
		{"other client accepts", "POST", "/accept", p.other, 403, "NOT_STREAM_CAMERA"},
		{"client asks publish credentials", "GET", "/publish-credentials", p.cli, 403, "NOT_STREAM_CAMERA"},
		{"camera asks subscribe credentials", "GET", "/subscribe-credentials", p.cam, 403,
			"NOT_STREAM_VIEWER"},
		{"camera asks a playback token", "GET", "/playback-token", p.cam, 403, "NOT_STREAM_VIEWER"},
		{"unlinked client subscribes", "GET", "/subscribe-credentials", unlinked, 403,
			"NOT_STREAM_VIEWER"},
		{"unlinked client asks a token", "GET", "/playback-token", unlinked, 403, "NOT_STREAM_VIEWER"},
		{"linked non-requester ends", "POST", "/end", p.other, 403, "NOT_STREAM_PARTICIPANT"},
		{"another user's client", "GET", "/subscribe-credentials", theirCli, 404, "STREAM_NOT_FOUND"},
		{"another user's camera", "GET", "/publish-credentials", theirCam, 404, "STREAM_NOT_FOUND"},
		{"another user's camera ends", "POST", "/end", theirCam, 404, "STREAM_NOT_FOUND"},
		{"camera publishes as a viewer", "POST", "/sfu/subscribe-transport", p.cam, 403,
			"NOT_STREAM_VIEWER"},
		{"client publishes", "POST", "/sfu/publish-transport", p.cli, 403, "NOT_STREAM_CAMERA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = map[string]string{"sdp": "v=0"}
			}
			expectError(t, e.do(tc.method, streamPath(s, tc.path), body, tc.from.bearer()...),
				tc.status, tc.code)
		})
	}
	expectError(t, e.do("GET", "/streams/"+p.cam.ID+"/publish-credentials",
		nil, p.cam.bearer()...), 404, "STREAM_NOT_FOUND")
	expectError(t, e.do("GET", streamPath(s, "/publish-credentials"), nil), 401, "INVALID_DEVICE_TOKEN")

	// The right devices get what they ask for, each only theirs.
	pub := decodeAs[credentialsJSON](t, e.do("GET", streamPath(s, "/publish-credentials"), nil,
		p.cam.bearer()...), http.StatusOK)
	if pub.Role != "publisher" || !strings.HasSuffix(pub.PublishURL, "/sfu/publish-transport") ||
		!strings.Contains(pub.WHIPURL, "/whip/streams/") || pub.PlaybackToken != "" {
		t.Fatalf("publish credentials %+v", pub)
	}
	list := decodeAs[struct{ StreamSessions []map[string]any }](t, e.do("GET", "/streams/me/list", nil,
		p.cam.bearer()...), http.StatusOK)
	if len(list.StreamSessions) != 1 || list.StreamSessions[0]["id"] != string(s.ID) {
		t.Fatalf("camera's list %+v", list)
	}
	list = decodeAs[struct{ StreamSessions []map[string]any }](t, e.do("GET", "/streams/me/list", nil,
		theirCli.bearer()...), http.StatusOK)
	if len(list.StreamSessions) != 0 {
		t.Fatalf("another user's device lists %+v", list)
	}
}

func TestStreamPlaybackTokenIsBoundToStreamDeviceAndTime(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	other := e.requestStream(p.other, p.cam)
	e.accept(s, p.cam)
	tok := decodeAs[struct {
		PlaybackToken string
		ExpiresAt     time.Time
	}](t, e.do("GET", streamPath(s, "/playback-token"), nil, p.other.bearer()...), http.StatusOK)
	if d := time.Until(tok.ExpiresAt); d < 4*time.Minute || d > 6*time.Minute {
		t.Fatalf("token expires in %s, want about 5 min", d)
	}

	now := time.Now()
	if dev, ok := verifyPlaybackToken(e.srv.playbackKey, tok.PlaybackToken, s.ID, now); !ok ||
		string(dev) != p.other.ID {
		t.Fatalf("genuine token refused or bound to %s", dev)
	}
	tampered := []byte(tok.PlaybackToken)
	tampered[3] ^= 1
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
	}{
		{"expired", tok.PlaybackToken, now.Add(PlaybackTokenTTL + time.Second)},
		{"tampered", string(tampered), now},
		{"for another stream", signPlaybackToken(e.srv.playbackKey, other.ID, "x", now.Add(time.Minute)),
			now},
		{"signed with another key", signPlaybackToken(playbackKey("other secret"), s.ID,
			persistence.DeviceID(p.other.ID), now.Add(time.Minute)), now},
		{"no signature", strings.Split(tok.PlaybackToken, ".")[0], now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := verifyPlaybackToken(e.srv.playbackKey, tc.token, s.ID, tc.at); ok {
				t.Fatal("accepted")
			}
		})
	}

	// Over WHEP: each bad token is 401 before any SDP is read.
	whep := func(token string) *http.Response {
		return e.do("POST", "/whep/streams/"+string(s.ID), "v=0\r\n", "Content-Type", "application/sdp",
			"Authorization", "Bearer "+token)
	}
	expectError(t, whep(string(tampered)), 401, "INVALID_PLAYBACK_TOKEN")
	otherTok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(other, "/playback-token"),
		nil, p.other.bearer()...), http.StatusOK).PlaybackToken
	expectError(t, whep(otherTok), 401, "INVALID_PLAYBACK_TOKEN")
	expectError(t, whep(tok.PlaybackToken), 409, "CAMERA_NOT_PUBLISHING")
	e.advance(PlaybackTokenTTL + time.Second)
	expectError(t, whep(tok.PlaybackToken), 401, "INVALID_PLAYBACK_TOKEN")
}

func TestACameraHasABoundedNumberOfOpenStreams(t *testing.T) {
	e := newTestEnv(t)
	p := streamSetup(t, e)
	statuses := make(chan int, 12)
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := e.do("POST", "/streams/request", map[string]string{"cameraDeviceId": p.cam.ID},
				p.cli.bearer()...)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[http.StatusCreated] != persistence.MaxOpenStreamsPerCamera ||
		count[http.StatusConflict] != 12-persistence.MaxOpenStreamsPerCamera {
		t.Fatalf("statuses %v, want %d created and the rest 409", count,
			persistence.MaxOpenStreamsPerCamera)
	}
}
