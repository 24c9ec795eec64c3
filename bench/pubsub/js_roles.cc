// pubsub's JetStream roles (see js_roles.h).
#include "bench/pubsub/js_roles.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "bench/client/net.h"

namespace ringnats::bench {

namespace {

std::string inbox_for(const ClientStats& st) {
  return "_INBOX.pubsub." + std::to_string(getpid()) + "." + std::to_string(st.id);
}

bool has_error(std::string_view json) { return json.find("\"error\"") != std::string_view::npos; }

// Client 0's stream or consumer create answered: the others may start, or
// the run fails with the server's error.
void setup_answered(const ServerEvent& ev, Shared& sh, ClientStats& st, const char* what) {
  if (has_error(ev.payload)) {
    st.error = std::string(what) + ": " + std::string(ev.payload);
    st.failed.store(true, std::memory_order_relaxed);
    return;
  }
  sh.js_ready.store(true, std::memory_order_release);
}

}  // namespace

// ---- acked publisher ----

JsPubConn::JsPubConn(int fd, Shared& sh, ClientStats& st) : BenchConn(fd, sh, st) {
  const Options& o = *sh.opt;
  inbox_ = inbox_for(st);
  header_ = "PUB " + st.subject + " " + inbox_ + " " + std::to_string(o.size) + "\r\n";
  payload_ = make_payload(o.size);
  sent_at_.assign(std::max<uint64_t>(1, o.js_window), 0);
  send_connect("pubsub-jspub-" + std::to_string(st.id));
  sub(inbox_, "", 1);
  if (st.id == 0) {
    // Created if missing; an existing stream of the same name is used as it is.
    std::string cfg = "{\"name\":\"" + o.js_stream + "\",\"subjects\":[\"" + st.subject + "\"],\"storage\":\"" +
                      o.js_storage + "\"}";
    pub("$JS.API.STREAM.CREATE." + o.js_stream, inbox_, cfg.data(), cfg.size());
    setting_up_ = true;
  }
  ping();
}

void JsPubConn::on_turn(uint64_t now) {
  if (setting_up_ || !sh_.js_ready.load(std::memory_order_acquire) || !check_ready()) return;
  if (!sh_.go.load(std::memory_order_acquire) || st_.done.load(std::memory_order_relaxed)) return;
  if (!started_) {
    started_ = true;
    st_.first_ns = now;
  }
  const Options& o = *sh_.opt;
  const uint64_t window = sent_at_.size();
  Buf& b = out();
  const size_t n = payload_.size();
  while (sent_ < st_.target && sent_ - acked_ < window && b.size() < o.batch) {
    char* p = b.tail(header_.size() + n + 2);
    memcpy(p, header_.data(), header_.size());
    memcpy(p + header_.size(), payload_.data(), n);
    p[header_.size() + n] = '\r';
    p[header_.size() + n + 1] = '\n';
    b.commit(header_.size() + n + 2);
    sent_at_[sent_ % window] = now;
    ++sent_;
  }
}

void JsPubConn::on_msg(const ServerEvent& ev) {
  const uint64_t now = now_ns();
  if (setting_up_) {
    setting_up_ = false;
    // nats' "stream name already in use" (10058) for another config is an error.
    return setup_answered(ev, sh_, st_, "stream create");
  }
  if (acked_ >= sent_) return;
  if (has_error(ev.payload) || !ev.headers.empty()) {
    if (st_.error.empty()) st_.error = "publish: " + std::string(ev.headers.empty() ? ev.payload : ev.headers);
    st_.failed.store(true, std::memory_order_relaxed);
  }
  // A stream acks one publisher's messages in the order it stored them.
  st_.hist.record(now - sent_at_[acked_ % sent_at_.size()]);
  ++acked_;
  store_relaxed(st_.msgs, acked_);
  store_relaxed(st_.bytes, acked_ * payload_.size());
  if (acked_ == st_.target) {
    st_.last_ns = now;
    st_.done.store(true, std::memory_order_release);
  }
}

// ---- pull consumer ----

JsFetchConn::JsFetchConn(int fd, Shared& sh, ClientStats& st) : BenchConn(fd, sh, st) {
  const Options& o = *sh.opt;
  inbox_ = inbox_for(st);
  next_subject_ = "$JS.API.CONSUMER.MSG.NEXT." + o.js_stream + "." + o.js_durable;
  // A bounded wait: an exhausted stream ends the request with a 408.
  next_body_ = "{\"batch\":" + std::to_string(o.js_fetch_batch) + ",\"expires\":1000000000}";
  send_connect("pubsub-jsfetch-" + std::to_string(st.id));
  sub(inbox_, "", 1);
  if (st.id == 0) {
    std::string cfg = "{\"stream_name\":\"" + o.js_stream + "\",\"config\":{\"durable_name\":\"" + o.js_durable +
                      "\",\"deliver_policy\":\"all\",\"ack_policy\":\"explicit\",\"max_ack_pending\":-1}}";
    pub("$JS.API.CONSUMER.DURABLE.CREATE." + o.js_stream + "." + o.js_durable, inbox_, cfg.data(), cfg.size());
    setting_up_ = true;
  }
  ping();
}

void JsFetchConn::request(uint64_t now) {
  in_request_ = 0;
  asked_at_ = now;
  pub(next_subject_, inbox_, next_body_.data(), next_body_.size());
}

void JsFetchConn::on_turn(uint64_t now) {
  if (setting_up_ || !sh_.js_ready.load(std::memory_order_acquire) || !check_ready()) return;
  if (!sh_.go.load(std::memory_order_acquire) || started_) return;
  started_ = true;
  st_.first_ns = now;
  request(now);
}

void JsFetchConn::on_msg(const ServerEvent& ev) {
  const uint64_t now = now_ns();
  if (setting_up_) {
    setting_up_ = false;
    return setup_answered(ev, sh_, st_, "consumer create");
  }
  if (finished_) return;
  const bool status = ev.reply.empty() && ev.headers.starts_with("NATS/1.0 ");
  if (status) {
    // 404/408: the request ended short. Nothing this time: the stream is drained.
    if (in_request_ == 0 || consumed_ >= st_.target) {
      finished_ = true;
      st_.last_ns = now;
      st_.done.store(true, std::memory_order_release);
      return;
    }
    request(now);
    return;
  }
  pub(ev.reply, "", "+ACK", 4);
  ++consumed_;
  ++in_request_;
  store_relaxed(st_.msgs, consumed_);
  store_relaxed(st_.bytes, st_.bytes.load(std::memory_order_relaxed) + ev.payload.size());
  if (consumed_ >= st_.target) {
    finished_ = true;
    st_.last_ns = now;
    st_.done.store(true, std::memory_order_release);
    return;
  }
  if (in_request_ == sh_.opt->js_fetch_batch) {
    st_.hist.record(now - asked_at_);  // a full batch's round trip
    request(now);
  }
}

}  // namespace ringnats::bench
