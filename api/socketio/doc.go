// Package socketio serves the Socket.IO protocol for apps written against
// the Node backend: Engine.IO v4 (handshake, HTTP long-polling, websocket,
// the upgrade between them, pings) carrying Socket.IO v5 packets. Only the
// default namespace and text packets are served; what a connected socket
// means is left to a Handler, so the package knows nothing of devices or
// actors.
//
// Protocol references: https://socket.io/docs/v4/engine-io-protocol/ and
// https://socket.io/docs/v4/socket-io-protocol/.
package socketio
