// Behaviour of each benchmark role. Publishers fill up to --batch bytes per
// loop turn (one flush per turn), stamp the first 8 payload bytes with the
// monotonic send time, and end with a PING/PONG so every message has reached
// the server before they report done.

#include "bench/pubsub/roles.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bench/client/net.h"

namespace ringnats::bench {

void BenchConn::on_err(std::string_view text) {
  if (st_.error.empty()) st_.error = "-ERR '" + std::string(text) + "'";
}

void BenchConn::on_closed(int err) {
  if (st_.error.empty()) st_.error = err == 0 ? "connection closed by server" : "connection error: " + std::string(strerror(-err));
  st_.failed.store(true, std::memory_order_relaxed);
}

bool BenchConn::check_ready() {
  if (st_.ready.load(std::memory_order_relaxed)) return true;
  if (synced()) st_.ready.store(true, std::memory_order_release);
  return false;
}

// ---- publisher ----

PubConn::PubConn(int fd, Shared& sh, ClientStats& st) : BenchConn(fd, sh, st) {
  const size_t n = sh.opt->size;
  header_ = "PUB " + st.subject + " " + std::to_string(n) + "\r\n";
  payload_ = make_payload(n);
  send_connect("pubsub-pub-" + std::to_string(st.id));
}

void PubConn::on_turn(uint64_t now) {
  if (!check_ready() || !sh_.go.load(std::memory_order_acquire) || finishing_) return;
  if (!started_) {
    started_ = true;
    st_.first_ns = now;
  }
  const Options& o = *sh_.opt;
  const uint64_t deadline = sh_.deadline_ns.load(std::memory_order_relaxed);
  const bool time_up = deadline != 0 ? now >= deadline : sent_ >= st_.target;
  if (time_up || sh_.stop.load(std::memory_order_relaxed)) {
    finishing_ = true;
    ping();  // its PONG proves the server has read every message
    return;
  }
  uint64_t budget = deadline != 0 ? UINT64_MAX : st_.target - sent_;
  if (o.rate) {
    const uint64_t elapsed = now - st_.first_ns;
    const uint64_t allowed = static_cast<uint64_t>(static_cast<double>(elapsed) * static_cast<double>(o.rate) / 1e9) + 1;
    budget = allowed > sent_ ? std::min(budget, allowed - sent_) : 0;
  }
  const size_t n = payload_.size();
  const size_t rec = header_.size() + n + 2;
  const bool ts = o.latency && n >= 8;
  Buf& b = out();
  uint64_t made = 0;
  while (budget > 0 && b.size() < o.batch) {
    // Fill as many whole records as fit in the batch in one reservation.
    uint64_t k = std::max<uint64_t>(1, (o.batch - b.size()) / rec);
    k = std::min(k, budget);
    char* p = b.tail(static_cast<size_t>(k) * rec);
    for (uint64_t i = 0; i < k; ++i) {
      memcpy(p, header_.data(), header_.size());
      p += header_.size();
      memcpy(p, payload_.data(), n);
      if (ts) stamp(p, now);
      p += n;
      *p++ = '\r';
      *p++ = '\n';
    }
    b.commit(static_cast<size_t>(k) * rec);
    budget -= k;
    made += k;
  }
  sent_ += made;
  store_relaxed(st_.msgs, sent_);
  store_relaxed(st_.bytes, sent_ * n);
}

void PubConn::on_pong() {
  if (finishing_ && synced()) {
    st_.last_ns = now_ns();
    st_.done.store(true, std::memory_order_release);
  }
}

// ---- subscriber ----

SubConn::SubConn(int fd, Shared& sh, ClientStats& st, const std::string& queue) : BenchConn(fd, sh, st) {
  send_connect("pubsub-sub-" + std::to_string(st.id));
  sub(st.subject, queue, 1);
  ping();
}

void SubConn::on_turn(uint64_t) { check_ready(); }

void SubConn::on_msg(const ServerEvent& ev) {
  const uint64_t now = now_ns();
  if (n_ == 0) st_.first_ns = now;
  st_.last_ns = now;
  ++n_;
  bytes_ += ev.payload.size();
  if (sh_.opt->latency && ev.payload.size() >= 8) {
    const uint64_t t = unstamp(ev.payload.data());
    if (t <= now && now - t < kMaxPlausibleNs) st_.hist.record(now - t);
  }
  store_relaxed(st_.msgs, n_);
  store_relaxed(st_.bytes, bytes_);
}

// ---- requester ----

ReqConn::ReqConn(int fd, Shared& sh, ClientStats& st) : BenchConn(fd, sh, st) {
  inbox_ = "_INBOX.pubsub." + std::to_string(getpid()) + "." + std::to_string(st.id);
  payload_ = make_payload(sh.opt->size);
  send_connect("pubsub-req-" + std::to_string(st.id));
  sub(inbox_, "", 1);
  ping();
}

void ReqConn::send_one(uint64_t now) {
  t0_ = now;
  waiting_ = true;
  pub(st_.subject, inbox_, payload_.data(), payload_.size());
}

void ReqConn::on_turn(uint64_t now) {
  if (!check_ready() || !sh_.go.load(std::memory_order_acquire) || started_) return;
  started_ = true;
  st_.first_ns = now;
  send_one(now_ns());
}

void ReqConn::on_msg(const ServerEvent& ev) {
  if (!waiting_) return;
  const uint64_t now = now_ns();
  waiting_ = false;
  if (!ev.headers.empty() && ev.headers.substr(0, 12) == "NATS/1.0 503") {
    if (st_.error.empty()) st_.error = "no responders";
    st_.failed.store(true, std::memory_order_relaxed);
    st_.last_ns = now;
    st_.done.store(true, std::memory_order_release);
    return;
  }
  st_.hist.record(now - t0_);
  ++sent_;
  store_relaxed(st_.msgs, sent_);
  store_relaxed(st_.bytes, sent_ * payload_.size());
  const uint64_t deadline = sh_.deadline_ns.load(std::memory_order_relaxed);
  const bool more = deadline != 0 ? now < deadline : sent_ < st_.target;
  if (more && !sh_.stop.load(std::memory_order_relaxed)) {
    send_one(now);
  } else {
    st_.last_ns = now;
    st_.done.store(true, std::memory_order_release);
  }
}

// ---- replier ----

RepConn::RepConn(int fd, Shared& sh, ClientStats& st, const std::string& queue) : BenchConn(fd, sh, st) {
  send_connect("pubsub-rep-" + std::to_string(st.id));
  sub(st.subject, queue, 1);
  ping();
}

void RepConn::on_turn(uint64_t) { check_ready(); }

void RepConn::on_msg(const ServerEvent& ev) {
  if (ev.reply.empty()) return;
  pub(ev.reply, "", ev.payload.data(), ev.payload.size());
  ++n_;
  st_.last_ns = now_ns();
  store_relaxed(st_.msgs, n_);
  store_relaxed(st_.bytes, st_.bytes.load(std::memory_order_relaxed) + ev.payload.size());
}

}  // namespace ringnats::bench
