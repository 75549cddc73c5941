package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestRegisterIssuesPrefixedTokenShownOnce(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")

	out := decodeAs[registerResponse](t, e.do("POST", "/devices/register",
		map[string]any{"name": " Porch ", "role": "camera", "platform": "android",
			"metadata": map[string]string{"model": "Pixel"}}, u.bearer()...), http.StatusCreated)
	if !strings.HasPrefix(out.DeviceToken, DeviceTokenPrefix) || len(out.DeviceToken) != deviceTokenLength {
		t.Fatalf("token %q lacks the prefix or length", out.DeviceToken)
	}
	if out.Device.Name != "Porch" || out.Device.Role != "camera" || out.Device.Status != "active" ||
		out.Device.Online || out.Device.LastSeenAt != nil {
		t.Fatalf("device %+v", out.Device)
	}

	resp := e.do("GET", "/devices", nil, u.bearer()...)
	raw := decodeAs[map[string]any](t, resp, http.StatusOK)
	if list := raw["devices"].([]any); len(list) != 1 {
		t.Fatalf("listed %d devices", len(list))
	}
	body := e.do("GET", "/devices", nil, u.bearer()...)
	buf := make([]byte, 1<<16)
	n, _ := body.Body.Read(buf)
	if strings.Contains(string(buf[:n]), out.DeviceToken[len(DeviceTokenPrefix):]) {
		t.Fatal("the token is shown again by GET /devices")
	}
}

func TestRegisterRejectsBadInputNamingTheField(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"no name", map[string]any{"role": "camera"}, "INVALID_NAME"},
		{"long name", map[string]any{"name": strings.Repeat("x", 101), "role": "camera"}, "INVALID_NAME"},
		{"bad role", map[string]any{"name": "tv", "role": "television"}, "INVALID_ROLE"},
		{"array metadata", map[string]any{"name": "a", "role": "camera", "metadata": []int{1}},
			"INVALID_METADATA"},
		{"huge metadata", map[string]any{"name": "a", "role": "camera",
			"metadata": map[string]string{"x": strings.Repeat("y", 5000)}}, "INVALID_METADATA"},
		{"wrong type", map[string]any{"name": 5, "role": "camera"}, "INVALID_BODY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := expectError(t, e.do("POST", "/devices/register", tc.body, u.bearer()...),
				http.StatusBadRequest, tc.code)
			if tc.code == "INVALID_BODY" && !strings.Contains(body.Message, "name") {
				t.Fatalf("message %q does not name the field", body.Message)
			}
		})
	}
	expectError(t, e.do("POST", "/devices/register", map[string]any{"name": "a", "role": "camera"}),
		http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAnotherUsersDevicesAndLinksAreInvisible(t *testing.T) {
	e := newTestEnv(t)
	alice, mallory := e.signUp("alice@example.com"), e.signUp("mallory@example.com")
	cam, cli := e.register(alice, "cam", "camera"), e.register(alice, "phone", "client")
	linkID := e.link(alice, cam, cli)
	mCli := e.register(mallory, "m-phone", "client")

	if got := e.devicesOf(mallory); len(got) != 1 {
		t.Fatalf("mallory sees %d devices", len(got))
	}
	links := decodeAs[struct{ Links []linkJSON }](t, e.do("GET", "/device-links", nil,
		mallory.bearer()...), http.StatusOK)
	if len(links.Links) != 0 {
		t.Fatalf("mallory sees alice's links: %+v", links.Links)
	}
	expectError(t, e.do("PATCH", "/devices/"+cam.ID, map[string]any{"name": "mine"},
		mallory.bearer()...), http.StatusNotFound, "DEVICE_NOT_FOUND")
	expectError(t, e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "disabled"},
		mallory.bearer()...), http.StatusNotFound, "DEVICE_NOT_FOUND")
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/token", nil, mallory.bearer()...),
		http.StatusNotFound, "DEVICE_NOT_FOUND")
	expectError(t, e.do("POST", "/device-links", map[string]string{"cameraDeviceId": cam.ID,
		"clientDeviceId": mCli.ID}, mallory.bearer()...), http.StatusNotFound, "DEVICE_NOT_FOUND")
	expectError(t, e.do("DELETE", "/device-links/"+linkID, nil, mallory.bearer()...),
		http.StatusNotFound, "LINK_NOT_FOUND")
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, mCli.bearer()...),
		http.StatusForbidden, "DEVICE_MISMATCH")

	if d := e.devicesOf(alice)[cam.ID]; d.Name != "cam" || d.Status != "active" {
		t.Fatalf("alice's camera changed: %+v", d)
	}
	e.do("DELETE", "/device-links/"+linkID, nil, alice.bearer()...)
	expectError(t, e.do("DELETE", "/device-links/"+linkID, nil, alice.bearer()...),
		http.StatusNotFound, "LINK_NOT_FOUND")
}

func TestLinksCheckRoles(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")

	body := expectError(t, e.do("POST", "/device-links", map[string]string{
		"cameraDeviceId": cli.ID, "clientDeviceId": cam.ID}, u.bearer()...),
		http.StatusUnprocessableEntity, "WRONG_ROLE")
	if !strings.Contains(body.Message, "cameraDeviceId") {
		t.Fatalf("message %q does not name the field", body.Message)
	}
	expectError(t, e.do("POST", "/device-links", map[string]string{
		"cameraDeviceId": cam.ID, "clientDeviceId": "nope"}, u.bearer()...),
		http.StatusBadRequest, "INVALID_ID")
	e.link(u, cam, cli)
	expectError(t, e.do("PATCH", "/devices/"+cam.ID, map[string]any{"role": "client"}, u.bearer()...),
		http.StatusConflict, "DEVICE_HAS_LINKS")
}

func TestConcurrentDuplicateLinksMakeOneLinkAndConflicts(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")

	const n = 12
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := e.do("POST", "/device-links", map[string]string{
				"cameraDeviceId": cam.ID, "clientDeviceId": cli.ID}, u.bearer()...)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusCreated] != 1 || counts[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want one 201 and %d 409", counts, n-1)
	}
	links := decodeAs[struct{ Links []linkJSON }](t, e.do("GET", "/device-links", nil,
		u.bearer()...), http.StatusOK)
	if len(links.Links) != 1 {
		t.Fatalf("%d links stored", len(links.Links))
	}
}

func TestDisabledDeviceLosesItsTokenAndCannotBeLinked(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")

	decodeAs[map[string]any](t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, cam.bearer()...),
		http.StatusOK)
	out := decodeAs[struct{ Device deviceJSON }](t, e.do("PATCH", "/devices/"+cam.ID,
		map[string]any{"status": "disabled"}, u.bearer()...), http.StatusOK)
	if out.Device.Status != "disabled" || out.Device.Online {
		t.Fatalf("after disabling: %+v", out.Device)
	}
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, cam.bearer()...),
		http.StatusUnauthorized, "INVALID_DEVICE_TOKEN")
	expectError(t, e.do("POST", "/device-links", map[string]string{
		"cameraDeviceId": cam.ID, "clientDeviceId": cli.ID}, u.bearer()...),
		http.StatusConflict, "DEVICE_DISABLED")
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/token", nil, u.bearer()...),
		http.StatusConflict, "DEVICE_DISABLED")
	expectError(t, e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "gone"}, u.bearer()...),
		http.StatusBadRequest, "INVALID_STATUS")

	e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "active"}, u.bearer()...)
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, cam.bearer()...),
		http.StatusUnauthorized, "INVALID_DEVICE_TOKEN")
	fresh := decodeAs[registerResponse](t, e.do("POST", "/devices/"+cam.ID+"/token", nil,
		u.bearer()...), http.StatusOK)
	decodeAs[map[string]any](t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil,
		"Authorization", "Bearer "+fresh.DeviceToken), http.StatusOK)
}

func TestHeartbeatMakesDeviceOnlineAndRecordsLastSeen(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")

	out := decodeAs[struct{ Device deviceJSON }](t, e.do("POST", "/devices/"+cam.ID+"/heartbeat",
		map[string]any{"battery": 80, "network": "wifi", "appVersion": "1.2.3"}, cam.bearer()...),
		http.StatusOK)
	if !out.Device.Online || out.Device.LastSeenAt == nil {
		t.Fatalf("after a heartbeat: %+v", out.Device)
	}
	listed := e.devicesOf(u)[cam.ID]
	if !listed.Online || listed.LastSeenAt == nil || !strings.Contains(string(listed.Telemetry), "wifi") {
		t.Fatalf("listed: %+v", listed)
	}
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", map[string]any{"battery": 101},
		cam.bearer()...), http.StatusBadRequest, "INVALID_TELEMETRY")
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, u.bearer()...),
		http.StatusUnauthorized, "INVALID_DEVICE_TOKEN")

	rotated := decodeAs[registerResponse](t, e.do("POST", "/devices/"+cam.ID+"/token", nil,
		u.bearer()...), http.StatusOK)
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, cam.bearer()...),
		http.StatusUnauthorized, "INVALID_DEVICE_TOKEN")
	decodeAs[map[string]any](t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil,
		"Authorization", "Bearer "+rotated.DeviceToken), http.StatusOK)
}

func TestMetadataThatWouldExpandOrBreakParsersIsRefused(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	deep := strings.Repeat(`{"a":`, 12) + "1" + strings.Repeat("}", 12)
	for label, meta := range map[string]string{
		"huge exponent":   `{"a":1e131071}`,
		"overflow":        `{"a":1e200000}`,
		"tiny exponent":   `{"a":1e-200000}`,
		"deep nesting":    deep,
		"NUL in a string": `{"a":"x\u0000y"}`,
	} {
		t.Run(label, func(t *testing.T) {
			body := `{"name":"cam","role":"camera","metadata":` + meta + `}`
			expectError(t, e.do("POST", "/devices/register", body, u.bearer()...),
				http.StatusBadRequest, "INVALID_METADATA")
		})
	}
	ok := `{"name":"cam","role":"camera","metadata":{"model":"Pixel 3","fps":29.97,"zoom":[1,2]}}`
	resp := e.do("POST", "/devices/register", ok, u.bearer()...)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("ordinary metadata refused: %d", resp.StatusCode)
	}
}

func TestHeartbeatWithControlCharactersIs400(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", `{"network":"wifi\u0000"}`,
		cam.bearer()...), http.StatusBadRequest, "INVALID_TELEMETRY")
}
