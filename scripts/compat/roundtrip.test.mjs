// Accounts move both ways between Better Auth and Vigil on one database:
// a user made by either signs in on the other, and a session made by either
// is accepted, and revoked, by the other.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, password, sessionCookie, startBetterAuth, uniqueEmail } from "./setup.mjs";

describe("Better Auth and Vigil share accounts and sessions", () => {
  let ba;
  before(() => {
    ba = startBetterAuth();
  });
  after(() => ba.close());

  it("signs in on Vigil as a user Better Auth signed up", async () => {
    const email = uniqueEmail("ba-made");
    const made = await ba.auth.api.signUpEmail({ body: { name: "Made By BA", email, password } });
    assert.equal(made.user.email, email);

    const wrong = await call("/sign-in/email", { body: { email, password: `${password}!` } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, "INVALID_EMAIL_OR_PASSWORD");

    const res = await call("/sign-in/email", { body: { email: email.toUpperCase(), password } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.id, made.user.id);
    assert.equal(res.json.user.email, email);
    assert.equal(res.json.user.name, "Made By BA");
    assert.match(res.json.token, /^[A-Za-z0-9]{32}$/);

    const me = await call("/get-session", { method: "GET", headers: { cookie: sessionCookie(res) } });
    assert.equal(me.json.user.id, made.user.id);
    assert.equal(me.json.session.token, res.json.token);
  });

  it("signs in through Better Auth as a user Vigil signed up", async () => {
    const email = uniqueEmail("vigil-made");
    const made = await call("/sign-up/email", { body: { name: "Made By Vigil", email, password } });
    assert.equal(made.status, 200, made.text);

    await assert.rejects(
      ba.auth.api.signInEmail({ body: { email, password: `${password}!` } }),
      (err) => err.body?.code === "INVALID_EMAIL_OR_PASSWORD",
    );
    const res = await ba.auth.api.signInEmail({ body: { email, password } });
    assert.equal(res.user.id, made.json.user.id);
    assert.equal(res.user.email, email);
    assert.equal(res.user.name, "Made By Vigil");
    assert.equal(res.user.emailVerified, false);
  });

  it("lets Better Auth read, and revoke, a session Vigil issued", async () => {
    const email = uniqueEmail("vigil-session");
    const made = await call("/sign-up/email", { body: { name: "V", email, password } });
    const cookie = sessionCookie(made);

    const seen = await ba.auth.api.getSession({ headers: new Headers({ cookie }) });
    assert.ok(seen, "Better Auth did not accept Vigil's signed session cookie");
    assert.equal(seen.user.id, made.json.user.id);
    assert.equal(seen.session.token, made.json.token);
    assert.equal(seen.session.userId, made.json.user.id);

    await ba.auth.api.signOut({ headers: new Headers({ cookie }) });
    const gone = await call("/get-session", { method: "GET", headers: { cookie } });
    assert.equal(gone.status, 200);
    assert.equal(gone.json, null, "Vigil still honours a session Better Auth revoked");
  });

  it("lets Vigil read, and revoke, a session Better Auth issued", async () => {
    const email = uniqueEmail("ba-session");
    await ba.auth.api.signUpEmail({ body: { name: "B", email, password } });
    const { headers, response } = await ba.auth.api.signInEmail({
      body: { email, password },
      returnHeaders: true,
    });
    const cookie = sessionCookie({ headers });

    const seen = await call("/get-session", { method: "GET", headers: { cookie } });
    assert.equal(seen.status, 200, seen.text);
    assert.ok(seen.json, "Vigil did not accept Better Auth's signed session cookie");
    assert.equal(seen.json.user.id, response.user.id);
    assert.equal(seen.json.session.token, response.token);

    const bearer = await call("/get-session", {
      method: "GET",
      headers: { authorization: `Bearer ${response.token}` },
    });
    assert.equal(bearer.json?.user.id, response.user.id);

    const out = await call("/sign-out", { headers: { cookie } });
    assert.equal(out.status, 200, out.text);
    assert.deepEqual(out.json, { success: true });
    const gone = await ba.auth.api.getSession({ headers: new Headers({ cookie }) });
    assert.equal(gone, null, "Better Auth still honours a session Vigil revoked");
  });
});
