// The device's realtime connection: GET /ws with the device token, text
// JSON frames {event, data}.

import { apiURL } from "./api.js";

// Close codes after which reconnecting cannot help (see the README):
// another connection took the token over, the token was rotated, or the
// device was disabled.
const finalCloses = {
  4000: "replaced by a newer connection with the same device token",
  4001: "the device token was rotated",
  4003: "the device was disabled",
};

const firstRetryMs = 1000;
const maxRetryMs = 30000;

// DeviceSocket keeps the socket open: after a drop it reconnects with a
// doubling delay, and stops on the close codes above.
export class DeviceSocket {
  // onEvent(event, data) gets every frame; onState(state, detail) gets
  // "connecting", "online", "offline" and "stopped".
  constructor(token, { onEvent, onState }) {
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState;
    this.retryMs = firstRetryMs;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
  }

  open() {
    const url = apiURL("ws", { token: this.token });
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.onState("connecting");
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.retryMs = firstRetryMs;
      this.onState("online");
    });
    ws.addEventListener("message", (m) => this.receive(m.data));
    ws.addEventListener("close", (ev) => this.closed(ws, ev));
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.onEvent("malformed frame", text);
      return;
    }
    this.onEvent(frame.event, frame.data);
  }

  closed(ws, ev) {
    if (ws !== this.ws || this.stopped) return;
    const final = finalCloses[ev.code];
    if (final) {
      this.stopped = true;
      this.onState("stopped", `closed ${ev.code}: ${final}`);
      return;
    }
    this.onState("offline", `closed ${ev.code}; retrying in ${this.retryMs / 1000} s`);
    this.timer = setTimeout(() => this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, maxRetryMs);
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  // send writes one frame; it answers false when the socket is not open.
  send(event, data) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify({ event, data }));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, "closed by the user");
  }
}
