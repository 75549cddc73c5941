// Package actors holds Vigil's protoactor-go actors: one per device, per
// camera-client link and per stream session. Each owns its live state and
// fans messages out; HTTP handlers and websocket connections reach them
// only through one lookup by kind and id, so the same code can later run on
// protoactor's cluster as virtual actors.
package actors
