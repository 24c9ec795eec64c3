// nats.js v3 (@nats-io/jetstream, @nats-io/kv) against one server: streams,
// acked publishes, a pull consumer, an ordered consumer, and a KV bucket
// with watch, keys and history. Prints one line per observation, nothing
// that differs between two correct servers (no times, no random names), so
// tests/jetstream/natsjs_js_test.cc can compare stock nats-server's lines
// with ringnats'.
//
//   node jetstream_client.mjs <port>
import { connect } from "@nats-io/transport-node";
import { jetstreamManager, jetstream, AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";

const port = process.argv[2];
const out = (...a) => console.log(a.join(" "));
const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
try {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const info = await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  out("stream", info.config.name, info.config.subjects.join(","), info.config.storage, info.state.messages);
  for (let i = 1; i <= 5; i++) {
    const pa = await js.publish(`orders.${i % 2 ? "odd" : "even"}`, `order ${i}`, { msgID: `o${i}` });
    out("ack", pa.stream, pa.seq, pa.duplicate);
  }
  const dup = await js.publish("orders.odd", "again", { msgID: "o1" });
  out("dup", dup.seq, dup.duplicate);
  try {
    await js.publish("orders.odd", "x", { expect: { lastSequence: 2 } });
  } catch (e) {
    out("expect-error", e.api_error?.err_code ?? e.code);
  }
  const si = await jsm.streams.info("ORDERS", { subjects_filter: ">" });
  out("state", si.state.messages, si.state.first_seq, si.state.last_seq, JSON.stringify(si.state.subjects));
  const m = await jsm.streams.getMessage("ORDERS", { last_by_subj: "orders.even" });
  out("last even", m.seq, m.string());

  // A durable pull consumer: fetch, ack, and its info.
  await jsm.consumers.add("ORDERS", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get("ORDERS", "worker");
  const batch = await c.fetch({ max_messages: 3, expires: 2000 });
  for await (const msg of batch) {
    out("fetched", msg.seq, msg.subject, msg.string(), msg.info.redeliveryCount);
    msg.ack();
  }
  // nats-server applies acks after it answers for them (a consumer's own
  // loop): ask until they are in, each ask a round trip (bounded).
  let ci = await c.info();
  for (let i = 0; i < 50 && ci.num_ack_pending > 0; i++) ci = await c.info();
  out("consumer", ci.name, ci.num_pending, ci.num_ack_pending, ci.delivered.stream_seq);
  const names = [];
  for await (const n of jsm.consumers.list("ORDERS")) names.push(n.name);
  out("consumers", names.sort().join(","));

  // An ordered consumer reads the stream from the start.
  const oc = await js.consumers.get("ORDERS", { deliver_policy: DeliverPolicy.All });
  const seen = [];
  const msgs = await oc.fetch({ max_messages: 5, expires: 2000 });
  for await (const msg of msgs) seen.push(msg.seq);
  out("ordered", seen.join(","));

  // KV.
  const kvm = new Kvm(nc);
  const kv = await kvm.create("CFG", { history: 3 });
  out("kv put", await kv.put("color", "red"), await kv.put("size", "L"), await kv.put("color", "blue"));
  const e = await kv.get("color");
  out("kv get", e.key, e.string(), e.revision, e.operation);
  try {
    await kv.update("color", "green", 1);
  } catch (err) {
    out("kv cas refused");
  }
  out("kv update", await kv.update("color", "green", 3));
  const keys = [];
  for await (const k of await kv.keys()) keys.push(k);
  out("kv keys", keys.sort().join(","));
  const hist = [];
  for await (const h of await kv.history({ key: "color" })) hist.push(`${h.revision}:${h.string()}`);
  out("kv history", hist.join(" "));
  const w = await kv.watch({ key: "size" });
  const got = [];
  await kv.put("size", "XL");
  for await (const ev of w) {
    got.push(`${ev.operation}:${ev.string()}`);
    if (got.length === 2) break;
  }
  out("kv watch", got.join(" "));
  await kv.delete("size");
  const gone = await kv.get("size");
  out("kv after delete", gone ? gone.operation : "null");
  await jsm.streams.delete("ORDERS");
  out("streams", (await jsm.streams.names().next()).length);
} catch (e) {
  out("error", e.message);
} finally {
  await nc.close();
}
