// The official socket.io-client against a real Vigil: what an app written
// for the Node backend does, unchanged. scripts/socketio.sh runs this.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { io } from "socket.io-client";

import {
  api, householdWithCameraAndClient, next, sendCommand, sleep, startVigil, stopVigil, vigilURL,
} from "./setup.mjs";

const open = new Set();

/** Connects with Socket.IO's defaults (polling, then the upgrade) unless opts say otherwise. */
async function connect(opts) {
  const socket = io(vigilURL, { reconnectionDelay: 200, reconnectionDelayMax: 500, ...opts });
  open.add(socket);
  // The transports each engine used, in order: the first, then upgrades.
  socket.transportsUsed = [];
  socket.io.on("open", () => {
    socket.transportsUsed.push(socket.io.engine.transport.name);
    socket.io.engine.on("upgrade", (t) => socket.transportsUsed.push(t.name));
  });
  await next(socket, "connect");
  return socket;
}

/** Emits command:ack with a callback and resolves with the callback's argument. */
function ackWithCallback(socket, data) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the ack callback never ran")), 5000);
    socket.emit("command:ack", data, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

/** Resolves with the command:status that reports status for id. */
function statusOf(socket, id, status) {
  return next(socket, "command:status", 5000, (c) => c.id === id && c.status === status);
}

before(startVigil);
after(async () => {
  for (const s of open) s.close();
  await stopVigil();
});

test("a polling client upgrades to websocket and a command makes its whole round trip", async () => {
  const { camera, client } = await householdWithCameraAndClient();
  const cam = await connect({ auth: { token: camera.token } });
  const cli = await connect({ auth: { token: client.token } });
  for (const s of [cam, cli]) {
    for (let i = 0; i < 50 && s.transportsUsed.length < 2; i++) await sleep(100);
    assert.deepEqual(s.transportsUsed, ["polling", "websocket"]);
    assert.equal(s.io.engine.transport.name, "websocket");
  }

  const received = next(cam, "command:received");
  const sent = await sendCommand(client, camera);
  const cmd = await received;
  assert.equal(cmd.id, sent.id);
  assert.deepEqual(cmd.payload, { durationSeconds: 5 });

  const acknowledged = statusOf(cli, sent.id, "acknowledged");
  const res = await ackWithCallback(cam, { commandId: sent.id, status: "acknowledged" });
  assert.deepEqual(res, { ok: true });
  const status = await acknowledged;
  assert.equal(status.status, "acknowledged");

  const again = await ackWithCallback(cam, { commandId: sent.id, status: "rejected" });
  assert.equal(again.ok, false);
  assert.equal(again.code, "ACK_REFUSED");
  const bad = await ackWithCallback(cam, { commandId: "not-a-uuid", status: "acknowledged" });
  assert.equal(bad.code, "INVALID_ACK");
});

test("stream events reach both ends: requested, started and ended", async () => {
  const { camera, client } = await householdWithCameraAndClient();
  const cam = await connect({ auth: { token: camera.token } });
  const cli = await connect({ auth: { token: client.token } });

  const startCommand = next(cam, "command:received", 5000, (c) => c.commandType === "start_stream");
  const requested = next(cam, "stream:requested");
  const req = await api("POST", "/streams/request", {
    token: client.token, body: { cameraDeviceId: camera.id },
  });
  assert.equal(req.status, 201, JSON.stringify(req.body));
  const id = req.body.streamSession.id;
  assert.equal((await requested).id, id);
  assert.equal((await startCommand).payload.streamSessionId, id);

  const started = [next(cam, "stream:started"), next(cli, "stream:started")];
  const accept = await api("POST", `/streams/${id}/accept`, { token: camera.token });
  assert.equal(accept.status, 200, JSON.stringify(accept.body));
  for (const s of await Promise.all(started)) assert.equal(s.status, "streaming");

  const ended = [next(cam, "stream:ended"), next(cli, "stream:ended")];
  const end = await api("POST", `/streams/${id}/end`, { token: client.token });
  assert.equal(end.status, 200, JSON.stringify(end.body));
  for (const s of await Promise.all(ended)) assert.equal(s.status, "ended");
});

test("a websocket-only client authenticated by header gets motion and presence events", async () => {
  const { camera, client } = await householdWithCameraAndClient();
  const cli = await connect({
    transports: ["websocket"],
    extraHeaders: { authorization: `Bearer ${client.token}` },
  });
  assert.deepEqual(cli.transportsUsed, ["websocket"]);

  const online = next(cli, "device:presence", 5000, (p) => p.deviceId === camera.id && p.online);
  const cam = await connect({ transports: ["websocket"], auth: { token: camera.token } });
  await online;

  const detected = next(cli, "motion:detected");
  const started = await api("POST", "/events/motion/start", { token: camera.token, body: {} });
  assert.equal(started.status, 201);
  const motion = await detected;
  assert.equal(motion.id, started.body.event.id);

  const ended = next(cli, "motion:ended");
  const end = await api("POST", `/events/${motion.id}/motion/end`, { token: camera.token, body: {} });
  assert.equal(end.status, 200);
  assert.equal((await ended).id, motion.id);

  const offline = next(cli, "device:presence", 5000, (p) => p.deviceId === camera.id && !p.online);
  cam.close();
  await offline;
});

test("a bad device token is refused in connect_error", async () => {
  const socket = io(vigilURL, { auth: { token: "vgd_nope" }, reconnection: false });
  open.add(socket);
  const err = await next(socket, "connect_error");
  assert.match(err.message, /invalid device token/);
  assert.equal(socket.connected, false);
});

test("a polling-only client gets commands, acks them and hears of unknown events", async () => {
  const { camera, client } = await householdWithCameraAndClient();
  const cam = await connect({ transports: ["polling"], auth: { token: camera.token } });
  const received = next(cam, "command:received");
  const sent = await sendCommand(client, camera);
  assert.equal((await received).id, sent.id);
  assert.deepEqual(await ackWithCallback(cam, { commandId: sent.id, status: "rejected" }),
    { ok: true });

  const error = next(cam, "error");
  cam.emit("no:such:event", {});
  assert.equal((await error).code, "UNKNOWN_EVENT");
  assert.equal(cam.connected, true);
  assert.deepEqual(cam.transportsUsed, ["polling"]);
});

test("clients reconnect by themselves after the server restarts, and commands flow again", async () => {
  const { camera, client } = await householdWithCameraAndClient();
  const cam = await connect({ auth: { token: camera.token } });
  const cli = await connect({ transports: ["websocket"], auth: { token: client.token } });

  const gone = [next(cam, "disconnect"), next(cli, "disconnect")];
  await stopVigil();
  const reasons = await Promise.all(gone);
  for (const r of reasons) {
    assert.notEqual(r, "io server disconnect", "a restart must not look like a kick");
  }
  const back = [next(cam, "connect", 15000), next(cli, "connect", 15000)];
  await startVigil();
  await Promise.all(back);

  await sleep(100);
  const received = next(cam, "command:received");
  const sent = await sendCommand(client, camera);
  assert.equal((await received).id, sent.id);
  const acknowledged = statusOf(cli, sent.id, "acknowledged");
  assert.deepEqual(await ackWithCallback(cam, { commandId: sent.id, status: "acknowledged" }),
    { ok: true });
  await acknowledged;
});
