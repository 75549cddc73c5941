// Package upload moves the segments the recorder finished from local disk
// to object storage, stores each as a video of kind recording, links it to
// the motion events of its camera that it shows, and then deletes the
// local files.
//
// An Uploader is one goroutine owned by the server. It takes segments as
// the recorder finishes them (Enqueue) and, when it starts, every .webm or
// .mp4 with its .json beside it that an earlier run left behind: a crash or a
// failed upload loses nothing. A failed upload keeps the files and is
// tried again after a back-off that doubles up to a bound. Every step may
// be repeated: the object is overwritten and the row found again by its
// unique key.
//
// The package knows nothing of HTTP; its storage and queries are small
// interfaces that objectstore.Store and persistence.Videos satisfy.
package upload
