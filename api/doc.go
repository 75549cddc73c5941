// Package api is Vigil's HTTP face: the Fiber application, its middleware,
// the routes of the wire contract and their request and answer types. It
// turns every failure into the contract's {"code", "message"} body and
// leaves queries to package persistence.
package api
