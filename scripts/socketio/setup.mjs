// Shared by the Socket.IO tests: the Vigil process they start, stop and
// restart (scripts/socketio.sh builds it and prepares its database), and a
// small HTTP client. Not a test file itself (node --test runs *.test.mjs).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { openSync } from "node:fs";
import { join } from "node:path";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run these tests through scripts/socketio.sh`);
  }
  return value;
}

const bin = required("VIGIL_SIO_BIN");
const workdir = required("VIGIL_SIO_WORKDIR");
const port = required("VIGIL_SIO_PORT");

/** Vigil's base URL, on loopback only. */
export const vigilURL = `http://127.0.0.1:${port}`;

let child = null;

/** Starts Vigil and waits until /healthz answers. Its log goes to vigil.log. */
export async function startVigil() {
  const log = openSync(join(workdir, "vigil.log"), "a");
  child = spawn(bin, ["serve"], {
    cwd: workdir,
    stdio: ["ignore", log, log],
    env: {
      PATH: process.env.PATH,
      HOME: workdir,
      VIGIL_ENV: "production",
      LOG_LEVEL: "warn",
      PORT: port,
      VIGIL_LISTEN_HOST: "127.0.0.1",
      DATABASE_URL: required("VIGIL_SIO_DATABASE_URL"),
      BETTER_AUTH_SECRET: required("VIGIL_SIO_SECRET"),
      BETTER_AUTH_BASE_URL: vigilURL,
      AUTH_RATE_LIMIT_MAX: "10000",
    },
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${vigilURL}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    const gone = await Promise.race([exited.then(() => true), sleep(100).then(() => false)]);
    if (gone) throw new Error("vigil exited on start; see vigil.log");
  }
  throw new Error(`vigil did not answer on ${vigilURL}`);
}

/** Stops Vigil as an operator would (SIGTERM, graceful shutdown). */
export async function stopVigil() {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  child = null;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends a JSON request and answers {status, body}. */
export async function api(method, path, { token, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(vigilURL + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function expectStatus(res, want, what) {
  if (res.status !== want) {
    throw new Error(`${what}: status ${res.status}, body ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** A fresh user with a camera and a client linked to it. */
export async function householdWithCameraAndClient() {
  const signUp = expectStatus(await api("POST", "/api/auth/sign-up/email", {
    body: { name: "Socket Test", email: `sio-${randomUUID()}@example.com`, password: "password123" },
  }), 200, "sign up");
  const token = signUp.token;
  const register = async (name, role) => expectStatus(
    await api("POST", "/devices/register", { token, body: { name, role } }), 201, "register");
  const camera = await register("porch", "camera");
  const client = await register("phone", "client");
  expectStatus(await api("POST", "/device-links", {
    token,
    body: { cameraDeviceId: camera.device.id, clientDeviceId: client.device.id },
  }), 201, "link");
  return {
    camera: { id: camera.device.id, token: camera.deviceToken },
    client: { id: client.device.id, token: client.deviceToken },
  };
}

/** Sends a command from the client to the camera over HTTP. */
export async function sendCommand(from, to) {
  const res = await api("POST", "/commands", {
    token: from.token,
    body: { targetDeviceId: to.id, commandType: "ring_siren", payload: { durationSeconds: 5 } },
  });
  return expectStatus(res, 201, "send command").command;
}

/** Resolves with the first `event` (its first argument) within ms. */
export function next(emitter, event, ms = 5000, accept = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    function on(arg) {
      if (!accept(arg)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(arg);
    }
    emitter.on(event, on);
  });
}
