// The four natsload roles on libnats. Publishers stamp the first 8 payload
// bytes with the monotonic send time (as bench/pubsub does) and end with
// natsConnection_Flush, whose PONG proves the server has read every message;
// subscribers count in their callback, so delivered counts are exact.

#include "bench/natsload/clients.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "bench/client/net.h"

namespace ringnats::bench {

namespace {
constexpr int64_t kFlushTimeoutMs = 60000;
// The one request a requester makes before the run goes here; nobody
// subscribes, so the server answers "no responders" at once.
constexpr const char* kWarmupSubject = "_natsload.warmup";

std::string status_text(natsStatus s) {
  std::string t = natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last && *last) {
    t.append(": ");
    t.append(last);
  }
  return t;
}
}  // namespace

NatsClient::NatsClient(Shared& sh, const NatsOnly& n, ClientStats& st, std::string queue)
    : sh_(sh), nopt_(n), st_(st), queue_(std::move(queue)) {}

NatsClient::~NatsClient() { close(); }

void NatsClient::fail(const std::string& why) {
  if (!st_.failed.exchange(true)) st_.error = why;
}

bool NatsClient::connect(const std::string& url, std::string& err) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::string name = "natsload-";
  name.append(role_name(st_.role)).append("-").append(std::to_string(st_.id));
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, on_closed, this);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_async_error, this);
  // libnats' default hands every publish to a flusher thread that waits 1 ms
  // for more before it writes; a service that cares about latency sends its
  // replies at once.
  if (s == NATS_OK && st_.role == Role::Rep && !nopt_.lazy_reply) s = natsOptions_SetSendAsap(opts, true);
  if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    err = "cannot connect to " + url + ": " + status_text(s);
    return false;
  }
  const char* subj = st_.subject.c_str();
  switch (st_.role) {
    case Role::Sub:
    case Role::Rep: {
      natsMsgHandler cb = st_.role == Role::Sub ? on_msg : on_request;
      s = queue_.empty() ? natsConnection_Subscribe(&sub_, nc_, subj, cb, this)
                         : natsConnection_QueueSubscribe(&sub_, nc_, subj, queue_.c_str(), cb, this);
      // No pending limit: the tool itself must never drop a message.
      if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);
      if (s == NATS_OK) s = natsConnection_Flush(nc_);
      break;
    }
    case Role::Req: {
      natsMsg* reply = nullptr;
      s = natsConnection_Request(&reply, nc_, kWarmupSubject, "", 0, 1000);
      natsMsg_Destroy(reply);
      if (s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT) s = NATS_OK;
      break;
    }
    case Role::Pub:
      break;
  }
  if (s != NATS_OK) {
    err = std::string(role_name(st_.role)) + " " + std::to_string(st_.id) + ": " + status_text(s);
    return false;
  }
  st_.ready.store(true, std::memory_order_release);
  return true;
}

void NatsClient::run() {
  sh_.go.wait(false, std::memory_order_acquire);
  if (st_.role == Role::Pub) publish_loop();
  else if (st_.role == Role::Req) request_loop();
}

void NatsClient::publish_loop() {
  const Options& o = *sh_.opt;
  std::vector<char> payload = make_payload(o.size);
  const int size = static_cast<int>(o.size);
  const bool ts = o.latency && o.size >= 8;
  const uint64_t deadline = sh_.deadline_ns.load(std::memory_order_relaxed);
  const bool clock = ts || deadline != 0 || o.rate != 0;
  const char* subj = st_.subject.c_str();
  st_.first_ns = now_ns();
  uint64_t sent = 0;
  while (!sh_.stop.load(std::memory_order_relaxed)) {
    const uint64_t now = clock ? now_ns() : 0;
    if (deadline != 0 ? now >= deadline : sent >= st_.target) break;
    if (o.rate) {
      const uint64_t allowed = static_cast<uint64_t>(static_cast<double>(now - st_.first_ns) * static_cast<double>(o.rate) / 1e9) + 1;
      if (sent >= allowed) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
    }
    if (ts) stamp(payload.data(), now);
    if (natsStatus s = natsConnection_Publish(nc_, subj, payload.data(), size); s != NATS_OK) {
      fail("publish: " + status_text(s));
      break;
    }
    ++sent;
    store_relaxed(st_.msgs, sent);
    store_relaxed(st_.bytes, sent * o.size);
  }
  if (natsStatus s = natsConnection_FlushTimeout(nc_, kFlushTimeoutMs); s != NATS_OK) fail("flush: " + status_text(s));
  st_.last_ns = now_ns();
  st_.done.store(true, std::memory_order_release);
}

void NatsClient::request_loop() {
  const Options& o = *sh_.opt;
  std::vector<char> payload = make_payload(o.size);
  const int size = static_cast<int>(o.size);
  const uint64_t deadline = sh_.deadline_ns.load(std::memory_order_relaxed);
  const int64_t timeout_ms = static_cast<int64_t>(nopt_.request_timeout_s * 1000);
  const char* subj = st_.subject.c_str();
  st_.first_ns = now_ns();
  uint64_t sent = 0;
  while (!sh_.stop.load(std::memory_order_relaxed)) {
    const uint64_t t0 = now_ns();
    if (deadline != 0 ? t0 >= deadline : sent >= st_.target) break;
    natsMsg* reply = nullptr;
    const natsStatus s = natsConnection_Request(&reply, nc_, subj, payload.data(), size, timeout_ms);
    const uint64_t t1 = now_ns();
    natsMsg_Destroy(reply);
    if (s != NATS_OK) {
      fail(s == NATS_NO_RESPONDERS ? std::string("no responders")
           : s == NATS_TIMEOUT    ? std::string("request timed out")
                                  : "request: " + status_text(s));
      break;
    }
    st_.hist.record(t1 - t0);
    ++sent;
    store_relaxed(st_.msgs, sent);
    store_relaxed(st_.bytes, sent * o.size);
  }
  st_.last_ns = now_ns();
  st_.done.store(true, std::memory_order_release);
}

void NatsClient::on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  NatsClient& c = *static_cast<NatsClient*>(closure);
  ClientStats& st = c.st_;
  const uint64_t now = now_ns();
  const int len = natsMsg_GetDataLength(msg);
  if (c.n_ == 0) st.first_ns = now;
  st.last_ns = now;
  ++c.n_;
  c.bytes_ += static_cast<uint64_t>(len);
  if (c.sh_.opt->latency && len >= 8) {
    const uint64_t t = unstamp(natsMsg_GetData(msg));
    if (t <= now && now - t < kMaxPlausibleNs) st.hist.record(now - t);
  }
  store_relaxed(st.msgs, c.n_);
  store_relaxed(st.bytes, c.bytes_);
  natsMsg_Destroy(msg);
}

void NatsClient::on_request(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  NatsClient& c = *static_cast<NatsClient*>(closure);
  if (const char* reply = natsMsg_GetReply(msg); reply && *reply) {
    const int len = natsMsg_GetDataLength(msg);
    if (natsStatus s = natsConnection_Publish(nc, reply, natsMsg_GetData(msg), len); s != NATS_OK) {
      c.fail("reply: " + status_text(s));
    } else {
      ++c.n_;
      c.bytes_ += static_cast<uint64_t>(len);
      c.st_.last_ns = now_ns();
      store_relaxed(c.st_.msgs, c.n_);
      store_relaxed(c.st_.bytes, c.bytes_);
    }
  }
  natsMsg_Destroy(msg);
}

void NatsClient::on_closed(natsConnection* nc, void* closure) {
  NatsClient& c = *static_cast<NatsClient*>(closure);
  if (c.sh_.stop.load()) return;  // our own close at the end of the run
  std::string why = "connection closed by server";
  const char* text = nullptr;
  if (natsConnection_GetLastError(nc, &text) != NATS_OK && text && *text) why.append(": ").append(text);
  c.fail(why);
}

void NatsClient::on_async_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  static_cast<NatsClient*>(closure)->fail("libnats: " + std::string(natsStatus_GetText(err)));
}

void NatsClient::close() {
  if (sub_) {
    int64_t dropped = 0;
    if (natsSubscription_GetDropped(sub_, &dropped) == NATS_OK && dropped > 0)
      fail("libnats dropped " + std::to_string(dropped) + " messages");
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
  if (nc_) {
    natsConnection_Destroy(nc_);
    nc_ = nullptr;
  }
}

}  // namespace ringnats::bench
