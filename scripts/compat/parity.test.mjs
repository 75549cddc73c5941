// The same requests to Better Auth's own HTTP handler and to Vigil get the
// same status, error code and cookies. Both run against one database, so a
// case sees the same users on either side. Differences Vigil keeps on
// purpose are listed in `knownDifferences` and in README's Accounts section.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, parseSetCookies, password, startBetterAuth, uniqueEmail } from "./setup.mjs";

const existing = uniqueEmail("parity-existing");
const long = "p".repeat(129);

// Each case is sent once to each side; `body` may be a function so that a
// sign-up gets a fresh address per side.
const cases = [
  ["sign-up with a taken email", "/sign-up/email", { name: "X", email: existing, password }],
  ["sign-up with a taken email in capitals", "/sign-up/email",
    { name: "X", email: existing.toUpperCase(), password }],
  ["sign-up with a short password", "/sign-up/email",
    () => ({ name: "X", email: uniqueEmail("p"), password: "short" })],
  ["sign-up with a long password", "/sign-up/email",
    () => ({ name: "X", email: uniqueEmail("p"), password: long })],
  ["sign-up with an empty password", "/sign-up/email",
    () => ({ name: "X", email: uniqueEmail("p"), password: "" })],
  ["sign-up without a password", "/sign-up/email", () => ({ name: "X", email: uniqueEmail("p") })],
  ["sign-up without a name", "/sign-up/email", () => ({ email: uniqueEmail("p"), password })],
  ["sign-up with a malformed email", "/sign-up/email", { name: "X", email: "not-an-email", password }],
  ["sign-up without an email", "/sign-up/email", { name: "X", password }],
  ["sign-up with a body that is not an object", "/sign-up/email", '"text"'],
  ["sign-in with a wrong password", "/sign-in/email", { email: existing, password: "wrong-password" }],
  ["sign-in with an unknown email", "/sign-in/email", () => ({ email: uniqueEmail("nobody"), password })],
  ["sign-in with a malformed email", "/sign-in/email", { email: "not-an-email", password }],
  ["sign-in with an empty password", "/sign-in/email", { email: existing, password: "" }],
  ["sign-in with a long password", "/sign-in/email", { email: existing, password: long }],
  ["sign-in without a password", "/sign-in/email", { email: existing }],
  ["sign-in without an email", "/sign-in/email", { password }],
  ["sign-in with a body that is not an object", "/sign-in/email", "[]"],
];

// Vigil refuses a blank name, which Better Auth stores as given.
const knownDifferences = [
  ["sign-up with a blank name", "/sign-up/email", () => ({ name: " ", email: uniqueEmail("p"), password }),
    { betterAuth: 200, vigil: 400, vigilCode: "VALIDATION_ERROR" }],
];

function bodyOf(spec) {
  return typeof spec === "function" ? spec() : spec;
}

describe("Vigil answers as Better Auth's own handler does", () => {
  let ba;
  before(async () => {
    ba = startBetterAuth();
    await ba.auth.api.signUpEmail({ body: { name: "Existing", email: existing, password } });
  });
  after(() => ba.close());

  for (const [name, path, body] of cases) {
    it(name, async () => {
      const want = await call(path, { body: bodyOf(body), auth: ba.auth });
      const got = await call(path, { body: bodyOf(body) });
      assert.ok(want.status >= 400, `case does not fail on Better Auth: ${want.text}`);
      assert.equal(got.status, want.status, `Better Auth: ${want.text}\nVigil: ${got.text}`);
      assert.equal(got.json?.code, want.json?.code, `Better Auth: ${want.text}\nVigil: ${got.text}`);
      assert.equal(typeof got.json?.message, "string");
    });
  }

  for (const [name, path, body, diff] of knownDifferences) {
    it(`${name} (a documented difference)`, async () => {
      const want = await call(path, { body: bodyOf(body), auth: ba.auth });
      const got = await call(path, { body: bodyOf(body) });
      assert.equal(want.status, diff.betterAuth, want.text);
      assert.equal(got.status, diff.vigil, got.text);
      assert.equal(got.json?.code, diff.vigilCode, got.text);
    });
  }

  // Cookies are compared by name and attribute; values differ (new tokens).
  function sameCookies(got, want) {
    const g = parseSetCookies(got.headers);
    const w = parseSetCookies(want.headers);
    assert.deepEqual(Object.keys(g).sort(), Object.keys(w).sort(),
      `Better Auth set ${Object.keys(w)}, Vigil ${Object.keys(g)}`);
    for (const [name, wc] of Object.entries(w)) {
      const gc = g[name];
      for (const attr of ["httponly", "secure", "samesite", "path", "domain", "deleted"]) {
        assert.equal(gc[attr], wc[attr], `${name}: ${attr}`);
      }
      if (wc.maxAge > 0) {
        assert.ok(Math.abs(gc.maxAge - wc.maxAge) <= 1, `${name}: Max-Age ${gc.maxAge}, want ${wc.maxAge}`);
      } else if (!wc.deleted) {
        assert.equal(gc.maxAge, undefined, `${name} should be a browser-session cookie`);
        assert.equal(gc.expires, undefined, `${name} should be a browser-session cookie`);
      }
    }
  }

  for (const rememberMe of [undefined, false]) {
    it(`sets the same cookies on sign-up and sign-in (rememberMe ${rememberMe})`, async () => {
      const emails = { ba: uniqueEmail("cookie"), vigil: uniqueEmail("cookie") };
      const wantUp = await call("/sign-up/email",
        { body: { name: "C", email: emails.ba, password, rememberMe }, auth: ba.auth });
      const gotUp = await call("/sign-up/email",
        { body: { name: "C", email: emails.vigil, password, rememberMe } });
      assert.equal(gotUp.status, wantUp.status, gotUp.text);
      assert.deepEqual(Object.keys(gotUp.json).sort(), Object.keys(wantUp.json).sort());
      assert.deepEqual(Object.keys(gotUp.json.user).sort(), Object.keys(wantUp.json.user).sort());
      sameCookies(gotUp, wantUp);

      const wantIn = await call("/sign-in/email",
        { body: { email: emails.ba, password, rememberMe }, auth: ba.auth });
      const gotIn = await call("/sign-in/email", { body: { email: emails.vigil, password, rememberMe } });
      assert.equal(gotIn.status, wantIn.status, gotIn.text);
      assert.deepEqual(Object.keys(gotIn.json).sort(), Object.keys(wantIn.json).sort());
      sameCookies(gotIn, wantIn);
    });
  }

  it("answers get-session with the same fields and sign-out with the same cookies", async () => {
    const email = uniqueEmail("shape");
    const up = await call("/sign-up/email", { body: { name: "S", email, password } });
    const cookie = up.headers.getSetCookie()[0].split(";")[0];

    const want = await call("/get-session", { method: "GET", headers: { cookie }, auth: ba.auth });
    const got = await call("/get-session", { method: "GET", headers: { cookie } });
    assert.equal(got.status, want.status);
    assert.deepEqual(Object.keys(got.json.session).sort(), Object.keys(want.json.session).sort());
    assert.deepEqual(Object.keys(got.json.user).sort(), Object.keys(want.json.user).sort());
    assert.equal(got.json.session.id, want.json.session.id);
    assert.equal(got.json.user.id, want.json.user.id);

    const wantOut = await call("/sign-out", { headers: { cookie }, auth: ba.auth });
    const gotOut = await call("/sign-out", { headers: { cookie } });
    assert.equal(gotOut.status, wantOut.status, gotOut.text);
    assert.deepEqual(gotOut.json, wantOut.json);
    sameCookies(gotOut, wantOut);
  });

  it("signs out without a session as Better Auth does", async () => {
    const want = await call("/sign-out", { auth: ba.auth });
    const got = await call("/sign-out", {});
    assert.equal(got.status, want.status, `Better Auth: ${want.text}\nVigil: ${got.text}`);
    assert.deepEqual(got.json, want.json);
  });

  it("refuses a cookie-carrying request from an untrusted origin alike", async () => {
    const up = await call("/sign-up/email", { body: { name: "O", email: uniqueEmail("o"), password } });
    const headers = { cookie: up.headers.getSetCookie()[0].split(";")[0], origin: "http://evil.example" };
    const want = await call("/sign-out", { headers, auth: ba.auth });
    const got = await call("/sign-out", { headers });
    assert.equal(got.status, want.status);
    assert.equal(got.json?.code, want.json?.code);
  });
});
