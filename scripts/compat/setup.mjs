// Shared by the compat tests: the settings scripts/compat.sh passes in, a
// Better Auth instance on Vigil's database, and a small HTTP client for
// Vigil. Not a test file itself (node --test only runs *.test.mjs here).
import { randomUUID } from "node:crypto";
import { betterAuth } from "better-auth";
import pg from "pg";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run the compat tests through scripts/compat.sh`);
  }
  return value;
}

/** Vigil's base URL, e.g. http://127.0.0.1:40123. */
export const vigilURL = required("VIGIL_COMPAT_URL").replace(/\/$/, "");
const databaseURL = required("VIGIL_COMPAT_DATABASE_URL");
const secret = required("BETTER_AUTH_SECRET");

export const password = "correct horse battery staple";

/** A fresh address per call, so tests never collide on the shared database. */
export function uniqueEmail(tag) {
  return `${tag}-${randomUUID()}@compat.example`;
}

/**
 * Better Auth as the TypeScript backend would run it: same database, same
 * secret, and Vigil's base URL, so both accept the same cookies and origins.
 * Ids are UUIDs like Vigil's. Its own rate limiter is off: the tests call
 * it many times from one address.
 */
export function startBetterAuth() {
  const pool = new pg.Pool({ connectionString: databaseURL, max: 4 });
  const auth = betterAuth({
    database: pool,
    secret,
    baseURL: vigilURL,
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    advanced: { database: { generateId: () => randomUUID() } },
  });
  return { auth, close: () => pool.end() };
}

/**
 * Sends one request to Vigil, or to Better Auth's own handler when `auth` is
 * given, exactly as a browser on Vigil's origin would. Answers the Response
 * with its body already read into `json` (or `text`).
 */
export async function call(path, { method = "POST", body, headers = {}, auth } = {}) {
  const init = {
    method,
    headers: { origin: vigilURL, ...headers },
  };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const url = `${vigilURL}/api/auth${path}`;
  const res = auth ? await auth.handler(new Request(url, init)) : await fetch(url, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** The name=value part of the session cookie a response set, for a Cookie header. */
export function sessionCookie(res) {
  const set = res.headers.getSetCookie().find((c) => c.startsWith("better-auth.session_token="));
  if (!set) {
    throw new Error(`no session cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  }
  return set.split(";")[0];
}

/**
 * Reads Set-Cookie headers into { name: {value, httponly, samesite, path,
 * secure, maxAge, deleted} } with attribute names lower-cased, so that
 * Better Auth's and Vigil's spellings compare.
 */
export function parseSetCookies(headers) {
  const out = {};
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const cookie = { value: pair.slice(eq + 1), httponly: false, secure: false };
    for (const attr of attrs) {
      const [k, v = ""] = attr.split("=");
      const key = k.toLowerCase();
      if (key === "httponly" || key === "secure") cookie[key] = true;
      else if (key === "max-age") cookie.maxAge = Number(v);
      else if (key === "expires") cookie.expires = new Date(v);
      else cookie[key] = v.toLowerCase();
    }
    cookie.deleted = cookie.maxAge !== undefined ? cookie.maxAge <= 0
      : cookie.expires !== undefined && cookie.expires.getTime() <= Date.now();
    out[pair.slice(0, eq)] = cookie;
  }
  return out;
}
