// Package media is Vigil's media plane: the pion/webrtc SFU that forwards a
// camera's tracks to its viewers, TURN credentials, and the recording
// workers that write streams to object storage.
package media
