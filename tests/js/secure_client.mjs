// A nats.js client over TLS, logged in to an account, that prints what it
// sees, one line per event: tests/tls/natsjs_test.cc runs it against stock
// nats-server and ringnats with the same config and compares the lines.
// Usage: node secure_client.mjs <port> <ca.pem> <client-cert.pem> <client-key.pem>
import { connect, StringCodec } from "nats";

const [port, ca, cert, key] = process.argv.slice(2);
const sc = StringCodec();
const tls = { caFile: ca };
const out = (s) => console.log(s);

async function login(user, pass, withCert = false) {
  return connect({
    servers: `tls://127.0.0.1:${port}`,
    user,
    pass,
    tls: withCert ? { ...tls, certFile: cert, keyFile: key } : tls,
    reconnect: false,
    timeout: 5000,
  });
}

try {
  const a = await login("a", "pa");
  const b = await login("b", "pb");
  out(`connected tls_required=${a.info.tls_required} auth_required=${a.info.auth_required}`);

  // A stream crosses from A to B only through B's import (prefix "fromA").
  const seen = [];
  // (Inboxes are random: only their prefix is printed.)
  const name = (s) => (s.startsWith("_INBOX.") ? "_INBOX.*" : s);
  const subB = b.subscribe(">", { callback: (_e, m) => seen.push(`B got ${name(m.subject)} ${sc.decode(m.data)}`) });
  await b.flush();
  // A service in A answers B's requests through B's service import.
  const svc = a.subscribe("svc.echo", {
    callback: (_e, m) => m.respond(sc.encode(`echo:${sc.decode(m.data)}`)),
  });
  await a.flush();
  a.publish("pub.news", sc.encode("hello"));
  a.publish("secret.plans", sc.encode("secret"));
  await a.flush();
  const r = await b.request("echo", sc.encode("ping"), { timeout: 3000 });
  out(`B request echo -> ${sc.decode(r.data)}`);
  await b.flush();
  seen.sort().forEach(out);

  // Permissions: the limited user may not publish outside "pub.>".
  const limited = await login("limited", "pl");
  const errs = [];
  (async () => {
    for await (const s of limited.status()) if (s.type === "error") errs.push(String(s.data));
  })();
  limited.publish("admin.reset", sc.encode("x"));
  await limited.flush();
  await new Promise((res) => setTimeout(res, 200));
  out(`limited errors: ${errs.join(";") || "none"}`);

  // A wrong password is refused.
  try {
    await login("a", "wrong");
    out("wrong password: connected");
  } catch (e) {
    out(`wrong password: ${e.code}`);
  }
  subB.unsubscribe();
  svc.unsubscribe();
  await Promise.all([a.close(), b.close(), limited.close()]);
  out("done");
} catch (e) {
  out(`error: ${e.code || ""} ${e.message}`);
  process.exitCode = 1;
}
