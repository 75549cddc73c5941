package api

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// A motion event names its recording by videoId; the app downloads it by
// that id without looking for its key in the video list.
func TestVideoDownloadURLByVideoID(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	other := e.signUp("bob@example.com")
	up := e.uploadURL(u, map[string]any{"fileName": "porch.webm", "deviceId": e.addDevice(u)})
	body := []byte("a short clip")
	if status := putObject(t, up.UploadURL, up.Headers, body); status != http.StatusOK {
		t.Fatalf("PUT to storage: status %d", status)
	}
	byID := "/videos/download-url?videoId=" + up.VideoID

	dl := decodeAs[downloadURLResponse](t, e.do("GET", byID, nil, u.bearer()...), http.StatusOK)
	if status, got := s3test.Get(t, dl.DownloadURL); status != 200 || !bytes.Equal(got, body) {
		t.Fatalf("download by videoId: status %d, %q; want the uploaded bytes", status, got)
	}

	cases := []struct {
		name, path string
		who        user
		status     int
		code       string
	}{
		{"another user's video", byID, other, 404, "VIDEO_NOT_FOUND"},
		{"no such video", "/videos/download-url?videoId=" + uuid.NewString(), u, 404, "VIDEO_NOT_FOUND"},
		{"not a uuid", "/videos/download-url?videoId=nope", u, 400, "INVALID_ID"},
		{"empty id", "/videos/download-url?videoId=", u, 400, "INVALID_ID"},
		{"both names", byID + "&objectKey=" + url.QueryEscape(up.ObjectKey), u, 400, "INVALID_QUERY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do("GET", tc.path, nil, tc.who.bearer()...), tc.status, tc.code)
		})
	}

	del := e.do("DELETE", "/videos?objectKey="+url.QueryEscape(up.ObjectKey), nil, u.bearer()...)
	del.Body.Close()
	if del.StatusCode != http.StatusOK {
		t.Fatalf("delete: status %d", del.StatusCode)
	}
	expectError(t, e.do("GET", byID, nil, u.bearer()...), 404, "VIDEO_NOT_FOUND")
}
