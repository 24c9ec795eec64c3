// A consumer's delivery, acks and pull requests (see consumer.h). Formats
// are nats-server 2.9.10's: the $JS.ACK reply, the status messages of pull
// requests, heartbeats and flow control (see consumer.go there).
#include "jetstream/consumer.h"

#include <algorithm>
#include <charconv>

#include "jetstream/json_get.h"
#include "jetstream/stream.h"
#include "proto/subject.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr uint64_t kFlowWindow = (32u << 20) / 16;  // nats: 2 MiB, a request at half

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

uint64_t token_u64(std::string_view subject, int index) {
  int t = 0;
  size_t start = 0;
  for (;;) {
    size_t dot = subject.find('.', start);
    if (t == index) {
      std::string_view tok = subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      uint64_t v = 0;
      auto r = std::from_chars(tok.data(), tok.data() + tok.size(), v);
      return r.ec == std::errc() && r.ptr == tok.data() + tok.size() ? v : 0;
    }
    if (dot == std::string_view::npos) return 0;
    start = dot + 1;
    ++t;
  }
}

// Go's duration text ("1s", "1.5s", "500ms") as used in a -NAK delay.
bool go_duration(std::string_view s, int64_t& ns) {
  if (s.empty()) return false;
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return false;
    double v = std::strtod(std::string(s.substr(i, j - i)).c_str(), nullptr);
    size_t k = j;
    while (k < s.size() && !std::isdigit(static_cast<unsigned char>(s[k])) && s[k] != '.') ++k;
    std::string_view unit = s.substr(j, k - j);
    double mult = unit == "ns" ? 1 : unit == "us" || unit == "µs" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9
                  : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : -1;
    if (mult < 0) return false;
    total += v * mult;
    i = k;
  }
  ns = static_cast<int64_t>(total);
  return true;
}

}  // namespace

Consumer::Consumer(Stream& stream, std::string name, ConsumerConfig cfg, int64_t created_wall_ns, std::string dir)
    : stream_(stream), name_(std::move(name)), cfg_(std::move(cfg)), created_ns_(created_wall_ns),
      dir_(std::move(dir)) {}

bool Consumer::wants(std::string_view subject) const {
  return cfg_.filter_subject.empty() || proto::subject_matches(cfg_.filter_subject, subject);
}

uint64_t Consumer::count_pending() const {
  uint64_t n = last_per_subject_.size();
  StoredMsg m;
  Store& store = stream_.store();
  StoreState st0 = store.state();
  if (next_seq_ > st0.last_seq) return n;
  if (next_seq_ <= st0.first_seq) {
    // Everything the stream holds: its count, or its subjects' counts.
    if (cfg_.filter_subject.empty()) return n + st0.msgs;
    uint64_t sum = 0;
    store.for_each_subject(cfg_.filter_subject, [&](std::string_view, uint64_t k) { sum += k; });
    return n + sum;
  }
  if (cfg_.filter_subject.empty()) {
    StoreState st = store.state();
    if (st.msgs == 0 || next_seq_ > st.last_seq) return n;
    // Messages at or after next_seq_: all of them when it is before the first.
    if (next_seq_ <= st.first_seq) return n + st.msgs;
    uint64_t count = 0;
    for (uint64_t s = next_seq_; s <= st.last_seq && store.load_next({}, s, m); s = m.seq + 1) ++count;
    return n + count;
  }
  uint64_t count = 0;
  for (uint64_t s = next_seq_; store.load_next(cfg_.filter_subject, s, m); s = m.seq + 1) ++count;
  return n + count;
}

void Consumer::start_position() {
  StoreState st = stream_.store().state();
  StoredMsg m;
  switch (cfg_.deliver_policy) {
    case DeliverPolicy::All:
      next_seq_ = std::max<uint64_t>(st.first_seq, 1);
      break;
    case DeliverPolicy::Last:
      next_seq_ = st.last_seq ? st.last_seq : 1;
      if (!cfg_.filter_subject.empty() && stream_.store().load_last(cfg_.filter_subject, m)) next_seq_ = m.seq;
      break;
    case DeliverPolicy::New:
      next_seq_ = st.last_seq + 1;
      break;
    case DeliverPolicy::ByStartSequence:
      next_seq_ = cfg_.opt_start_seq;
      break;
    case DeliverPolicy::ByStartTime: {
      next_seq_ = st.last_seq + 1;
      for (uint64_t s = std::max<uint64_t>(st.first_seq, 1); stream_.store().load_next({}, s, m); s = m.seq + 1)
        if (m.ts_ns >= cfg_.opt_start_time_ns) {
          next_seq_ = m.seq;
          break;
        }
      break;
    }
    case DeliverPolicy::LastPerSubject: {
      std::vector<uint64_t> seqs;
      stream_.store().for_each_subject(cfg_.filter_subject, [&](std::string_view subj, uint64_t) {
        StoredMsg last;
        if (stream_.store().load_last(subj, last)) seqs.push_back(last.seq);
      });
      std::sort(seqs.begin(), seqs.end());
      last_per_subject_.assign(seqs.begin(), seqs.end());
      next_seq_ = st.last_seq + 1;
      break;
    }
  }
  if (next_seq_ == 0) next_seq_ = 1;
  // nats reports the sequence before the start as delivered.
  delivered_sseq_ = last_per_subject_.empty() ? next_seq_ - 1 : last_per_subject_.front() - 1;
  floor_sseq_ = 0;
  num_pending_ = count_pending();
  changed_ = true;
}

void Consumer::restore(const ConsumerState& st) {
  delivered_cseq_ = st.delivered_consumer_seq;
  delivered_sseq_ = st.delivered_stream_seq;
  floor_cseq_ = st.ack_floor_consumer_seq;
  floor_sseq_ = st.ack_floor_stream_seq;
  next_seq_ = delivered_sseq_ + 1;
  int64_t now = 0;
  for (const auto& [seq, p] : st.pending) {
    Pending pe;
    pe.consumer_seq = p.consumer_seq;
    pe.delivered_ns = p.ts_ns;
    auto r = st.redelivered.find(seq);
    pe.deliveries = r == st.redelivered.end() ? 1 : r->second + 1;
    pe.redeliver_at = now;  // redelivered at once after a restart (at least once)
    pending_[seq] = pe;
    redeliver_.insert(seq);
  }
  num_pending_ = count_pending();
}

ConsumerState Consumer::state() const {
  ConsumerState st;
  st.delivered_consumer_seq = delivered_cseq_;
  st.delivered_stream_seq = delivered_sseq_;
  st.ack_floor_consumer_seq = floor_cseq_;
  st.ack_floor_stream_seq = floor_sseq_;
  for (const auto& [seq, p] : pending_) {
    st.pending[seq] = PendingAck{p.consumer_seq, p.delivered_ns};
    if (p.deliveries > 1) st.redelivered[seq] = p.deliveries - 1;
  }
  return st;
}

void Consumer::on_stored(uint64_t seq, std::string_view subject) {
  if (seq >= next_seq_ && wants(subject)) {
    ++num_pending_;
    wants_pump_ = true;
  }
}

void Consumer::on_removed() {
  StoreState st = stream_.store().state();
  if (next_seq_ < st.first_seq) next_seq_ = st.first_seq;
  // Pending messages that are gone are not redelivered.
  for (auto it = pending_.begin(); it != pending_.end();) {
    StoredMsg m;
    if (!stream_.store().load(it->first, m)) {
      redeliver_.erase(it->first);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  num_pending_ = count_pending();
  update_ack_floor();
  changed_ = wants_pump_ = true;
}

void Consumer::on_deleted(uint64_t seq, std::string_view subject) {
  if (pending_.erase(seq)) redeliver_.erase(seq);
  else if (seq >= next_seq_ && wants(subject) && num_pending_) --num_pending_;
  changed_ = wants_pump_ = true;
}

void Consumer::on_first_moved(uint64_t first) {
  // What limits removed is not delivered again, nor held as pending (it
  // would count against max_ack_pending for ever).
  while (!pending_.empty() && pending_.begin()->first < first) {
    redeliver_.erase(pending_.begin()->first);
    pending_.erase(pending_.begin());
    changed_ = true;
  }
  if (next_seq_ < first) {
    next_seq_ = first;
    num_pending_ = count_pending();
  }
  while (!last_per_subject_.empty() && last_per_subject_.front() < first) last_per_subject_.pop_front();
  wants_pump_ = true;
}

int64_t Consumer::ack_wait_for(uint64_t deliveries) const {
  if (!cfg_.backoff_ns.empty()) {
    size_t i = std::min<size_t>(deliveries ? deliveries - 1 : 0, cfg_.backoff_ns.size() - 1);
    return cfg_.backoff_ns[i];
  }
  return cfg_.ack_wait_ns > 0 ? cfg_.ack_wait_ns : 30'000'000'000LL;
}

void Consumer::status(std::string_view subject, std::string_view line, Outbox& out, std::string_view extra) {
  std::string h = "NATS/1.0 ";
  h.append(line).append("\r\n").append(extra).append("\r\n");
  out.send(subject, {}, {}, static_cast<int64_t>(h.size()), h);
}

void Consumer::pull_timeout(PullRequest& r, Outbox& out, std::string_view line) {
  std::string extra = "Nats-Pending-Messages: " + std::to_string(r.batch) +
                      "\r\nNats-Pending-Bytes: " + std::to_string(r.max_bytes > 0 ? r.max_bytes - r.bytes : 0) + "\r\n";
  status(r.reply, line, out, extra);
}

void Consumer::pull(std::string_view reply, std::string_view body, int64_t now, Outbox& out) {
  if (reply.empty()) return;
  last_active_ns_ = now;
  if (cfg_.push()) return status(reply, "409 Consumer is push based", out);
  PullRequest r;
  r.reply.assign(reply);
  std::string_view b = trim(body);
  if (!b.empty() && b.front() == '{') {
    json j = json::parse(b.begin(), b.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return status(reply, "400 Bad Request - invalid character in request", out);
    bool ok = true;
    r.batch = json_i64(j, "batch", 1, ok);
    int64_t expires = json_i64(j, "expires", 0, ok);
    r.max_bytes = json_i64(j, "max_bytes", 0, ok);
    r.no_wait = json_bool(j, "no_wait", false, ok);
    r.heartbeat_ns = json_i64(j, "idle_heartbeat", 0, ok);
    if (!ok) return status(reply, "400 Bad Request - cannot unmarshal request", out);
    if (r.heartbeat_ns > 0 && r.heartbeat_ns * 2 > expires)
      return status(reply, "400 Bad Request - heartbeat value too large", out);
    if (expires > 0) r.expires_at = now + expires;
    if (cfg_.max_expires_ns > 0 && expires > cfg_.max_expires_ns)
      return status(reply, "409 Exceeded MaxRequestExpires of " + std::to_string(cfg_.max_expires_ns / 1'000'000'000) + "s", out);
  } else if (!b.empty()) {
    int64_t n = 0;
    auto res = std::from_chars(b.data(), b.data() + b.size(), n);
    if (res.ec == std::errc() && res.ptr == b.data() + b.size()) r.batch = n;
  }
  if (r.batch <= 0) r.batch = 1;
  if (cfg_.max_batch > 0 && r.batch > cfg_.max_batch)
    return status(reply, "409 Exceeded MaxRequestBatch of " + std::to_string(cfg_.max_batch), out);
  if (cfg_.max_bytes > 0 && r.max_bytes > cfg_.max_bytes)
    return status(reply, "409 Exceeded MaxRequestMaxBytes of " + std::to_string(cfg_.max_bytes), out);
  if (r.no_wait && num_pending_ + redeliver_.size() == 0 && r.expires_at == 0)
    return status(reply, "404 No Messages", out);
  if (static_cast<int64_t>(waiting_.size()) >= cfg_.max_waiting && cfg_.max_waiting > 0)
    std::erase_if(waiting_, [&](const PullRequest& w) { return !out.has_interest(w.reply); });
  if (static_cast<int64_t>(waiting_.size()) >= cfg_.max_waiting && cfg_.max_waiting > 0)
    return status(reply, "409 Exceeded MaxWaiting", out);
  if (r.heartbeat_ns > 0) r.next_heartbeat = now + r.heartbeat_ns;
  waiting_.push_back(std::move(r));
  wants_pump_ = true;
}

Consumer::Sent Consumer::deliver(uint64_t seq, bool redelivery, int64_t now, Outbox& out, PullRequest* req) {
  StoredMsg m;
  if (!stream_.store().load(seq, m)) {
    if (redelivery && pending_.erase(seq)) changed_ = true;
    return Sent::Gone;
  }
  uint64_t size = m.subject.size() + m.hdr.size() + m.data.size();
  if (req && req->max_bytes > 0 && req->bytes + static_cast<int64_t>(size) > req->max_bytes) {
    pull_timeout(*req, out, "409 Message Size Exceeds MaxBytes");
    req->batch = 0;
    return Sent::TooBig;
  }
  uint64_t deliveries = 1;
  if (redelivery) {
    auto it = pending_.find(seq);
    if (it == pending_.end()) return Sent::Gone;
    // Out of deliveries (a -NAK brings it back as a timeout does): nats
    // drops it from pending.
    if (cfg_.max_deliver > 0 && static_cast<int64_t>(it->second.deliveries) >= cfg_.max_deliver) {
      pending_.erase(it);
      changed_ = true;
      return Sent::Gone;
    }
    deliveries = ++it->second.deliveries;
  }
  ++delivered_cseq_;
  if (!redelivery) {
    delivered_sseq_ = std::max(delivered_sseq_, seq);
    if (num_pending_) --num_pending_;
  }
  std::string reply = "$JS.ACK." + stream_.config().name + "." + name_ + "." + std::to_string(deliveries) + "." +
                      std::to_string(seq) + "." + std::to_string(delivered_cseq_) + "." + std::to_string(m.ts_ns) +
                      "." + std::to_string(num_pending_);
  std::string payload;
  int64_t hdr = -1;
  if (cfg_.headers_only) {
    std::string h = m.hdr.empty() ? std::string("NATS/1.0\r\n\r\n") : m.hdr;
    h.resize(h.size() - 2);
    h += "Nats-Msg-Size: " + std::to_string(m.data.size()) + "\r\n\r\n";
    hdr = static_cast<int64_t>(h.size());
    payload = std::move(h);
  } else if (!m.hdr.empty()) {
    hdr = static_cast<int64_t>(m.hdr.size());
    payload = m.hdr + m.data;
  } else {
    payload = std::move(m.data);
  }
  const std::string& target = req ? req->reply : cfg_.deliver_subject;
  // The ack subject goes out even for ack none: clients read the message's
  // metadata (sequences, pending) from it.
  out.send(target, m.subject, reply, hdr, payload);
  last_delivered_ns_ = last_active_ns_ = now;
  if (cfg_.ack_policy == AckPolicy::None) {
    floor_cseq_ = delivered_cseq_;
    floor_sseq_ = delivered_sseq_;
  } else {
    Pending& p = pending_[seq];
    p.consumer_seq = delivered_cseq_;
    p.delivered_ns = now;
    p.deliveries = deliveries;
    p.redeliver_at = now + ack_wait_for(deliveries);
  }
  if (req) {
    --req->batch;
    ++req->delivered;
    req->bytes += static_cast<int64_t>(size);
  }
  if (cfg_.flow_control) fc_bytes_ += size;
  changed_ = true;
  return Sent::Yes;
}

void Consumer::pump(uint64_t durable_last, int64_t now, Outbox& out) {
  // Nobody on the deliver subject yet: look again at the next timer tick
  // (a subscriber binding to it is not announced to us).
  wants_pump_ = cfg_.push() && !out.has_interest(cfg_.deliver_subject);
  if (wants_pump_) return;
  for (;;) {
    // Push flow control: a request at half the window, a stall past it.
    if (cfg_.flow_control && fc_bytes_ >= kFlowWindow / 2 && fc_subject_.empty()) {
      static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      uint32_t r = ++fc_counter_ * 2654435761u;
      fc_subject_ = "$JS.FC." + stream_.config().name + "." + name_ + ".";
      for (int i = 0; i < 4; ++i, r /= 62) fc_subject_ += kDigits[r % 62];
      std::string h = "NATS/1.0 100 FlowControl Request\r\n\r\n";
      out.send(cfg_.deliver_subject, {}, fc_subject_, static_cast<int64_t>(h.size()), h);
    }
    if (cfg_.flow_control && fc_bytes_ >= kFlowWindow) return;
    PullRequest* req = nullptr;
    if (!cfg_.push()) {
      // Requests that ended, or whose inbox nobody listens on any more
      // (nats drops those rather than deliver into the void).
      while (!waiting_.empty() && (waiting_.front().batch <= 0 || !out.has_interest(waiting_.front().reply)))
        waiting_.pop_front();
      if (waiting_.empty()) return;
      req = &waiting_.front();
    }
    // Redeliveries first, in stream order; then new messages.
    Sent sent = Sent::Gone;
    while (!redeliver_.empty() && sent == Sent::Gone) {
      uint64_t seq = *redeliver_.begin();
      redeliver_.erase(redeliver_.begin());
      sent = deliver(seq, true, now, out, req);
      if (sent == Sent::TooBig) redeliver_.insert(seq);  // the next request takes it
    }
    if (sent == Sent::Gone) {
      if (cfg_.ack_policy != AckPolicy::None && cfg_.max_ack_pending > 0 &&
          static_cast<int64_t>(pending_.size()) >= cfg_.max_ack_pending)
        break;
      uint64_t seq = 0;
      const bool lps = !last_per_subject_.empty();
      if (lps) {
        seq = last_per_subject_.front();
        if (seq > durable_last) break;
      } else {
        StoredMsg m;
        if (next_seq_ > durable_last || !stream_.store().load_next(cfg_.filter_subject, next_seq_, m) ||
            m.seq > durable_last) {
          next_seq_ = std::max(next_seq_, std::min(durable_last, stream_.store().state().last_seq) + 1);
          break;
        }
        seq = m.seq;
      }
      sent = deliver(seq, false, now, out, req);
      // Too big for this request: it stays the next message for the next one.
      if (sent != Sent::TooBig) {
        if (lps) last_per_subject_.pop_front();
        else next_seq_ = seq + 1;
      }
    }
    if (req && req->batch <= 0) waiting_.pop_front();
  }
  // no_wait requests end when nothing more is there now.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->no_wait && it->expires_at == 0) {
      if (it->delivered == 0) status(it->reply, "404 No Messages", out);
      else pull_timeout(*it, out, "408 Request Timeout");
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void Consumer::update_ack_floor() {
  if (cfg_.ack_policy == AckPolicy::None || !pending_.empty()) return;
  floor_cseq_ = delivered_cseq_;
  floor_sseq_ = delivered_sseq_;
}

void Consumer::acked_one(uint64_t seq, std::vector<uint64_t>& acked) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  uint64_t cseq = it->second.consumer_seq;
  pending_.erase(it);
  redeliver_.erase(seq);
  acked.push_back(seq);
  // nats: with nothing pending the floor is what was delivered; an ack of
  // the delivery right above the floor moves it up to the next one pending.
  if (pending_.empty()) {
    floor_cseq_ = delivered_cseq_;
    floor_sseq_ = delivered_sseq_;
  } else if (cseq == floor_cseq_ + 1) {
    floor_cseq_ = cseq;
    floor_sseq_ = seq;
    auto next = pending_.upper_bound(seq);
    if (next != pending_.end()) {
      floor_cseq_ = next->second.consumer_seq - 1;
      floor_sseq_ = next->first - 1;
    }
  }
}

void Consumer::ack(std::string_view subject, std::string_view body, std::string_view reply, int64_t now, Outbox& out,
                   std::vector<uint64_t>& acked) {
  // $JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<consumer seq>.<ts>.<pending>
  uint64_t sseq = token_u64(subject, 5);
  if (sseq == 0) return;
  last_active_ns_ = now;
  std::string_view b = body;
  bool confirm = !reply.empty();
  if (b.empty() || b == "+ACK" || b == "+OK" || b == "+TERM") {
    if (cfg_.ack_policy == AckPolicy::All) {
      uint64_t cseq = token_u64(subject, 6);
      while (!pending_.empty() && pending_.begin()->first <= sseq) acked_one(pending_.begin()->first, acked);
      if (cseq > floor_cseq_) {
        floor_cseq_ = cseq;
        floor_sseq_ = sseq;
      }
    } else {
      acked_one(sseq, acked);
    }
    last_acked_ns_ = now;
  } else if (b.starts_with("-NAK")) {
    auto it = pending_.find(sseq);
    if (it != pending_.end()) {
      int64_t delay = 0;
      std::string_view rest = trim(b.substr(4));
      if (!rest.empty()) {
        if (rest.front() == '{') {
          json j = json::parse(rest.begin(), rest.end(), nullptr, false);
          bool ok = true;
          if (!j.is_discarded() && j.is_object()) delay = json_i64(j, "delay", 0, ok);
        } else {
          go_duration(rest, delay);
        }
      }
      if (delay > 0) {
        it->second.redeliver_at = now + delay;
      } else {
        it->second.redeliver_at = now;
        redeliver_.insert(sseq);
      }
    }
  } else if (b == "+WPI") {
    auto it = pending_.find(sseq);
    if (it != pending_.end()) it->second.redeliver_at = now + ack_wait_for(it->second.deliveries);
  } else if (b.starts_with("+NXT")) {
    acked_one(sseq, acked);
    confirm = false;
    if (!reply.empty()) pull(reply, b.substr(4), now, out);
  }
  changed_ = wants_pump_ = true;
  if (confirm) out.send(reply, {}, {}, -1, {});
}

void Consumer::flow_control_reply(std::string_view subject) {
  if (subject == fc_subject_) {
    fc_subject_.clear();
    fc_bytes_ = 0;
    wants_pump_ = true;
  }
}

void Consumer::timer(int64_t now, Outbox& out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (p.redeliver_at > now || redeliver_.count(it->first)) {
      ++it;
      continue;
    }
    if (cfg_.max_deliver > 0 && static_cast<int64_t>(p.deliveries) >= cfg_.max_deliver) {
      // Out of deliveries: nats drops it from pending.
      it = pending_.erase(it);
      changed_ = true;
      continue;
    }
    redeliver_.insert(it->first);
    wants_pump_ = true;
    ++it;
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->expires_at > 0 && it->expires_at <= now) {
      pull_timeout(*it, out, "408 Request Timeout");
      it = waiting_.erase(it);
      continue;
    }
    if (it->heartbeat_ns > 0 && it->next_heartbeat <= now) {
      it->next_heartbeat = now + it->heartbeat_ns;
      status(it->reply, "100 Idle Heartbeat", out,
             "Nats-Last-Consumer: " + std::to_string(delivered_cseq_) + "\r\nNats-Last-Stream: " +
                 std::to_string(next_seq_ - 1) + "\r\n");
    }
    ++it;
  }
  if (cfg_.push() && cfg_.idle_heartbeat_ns > 0 && now - last_delivered_ns_ >= cfg_.idle_heartbeat_ns &&
      out.has_interest(cfg_.deliver_subject)) {
    last_delivered_ns_ = now;
    std::string extra = "Nats-Last-Consumer: " + std::to_string(delivered_cseq_) + "\r\nNats-Last-Stream: " +
                        std::to_string(next_seq_ - 1) + "\r\n";
    if (!fc_subject_.empty()) extra += "Nats-Consumer-Stalled: " + fc_subject_ + "\r\n";
    status(cfg_.deliver_subject, "100 Idle Heartbeat", out, extra);
  }
}

bool Consumer::expired(int64_t now, Outbox& out) {
  if (cfg_.inactive_threshold_ns <= 0) return false;
  std::erase_if(waiting_, [&](const PullRequest& w) { return !out.has_interest(w.reply); });
  if (cfg_.push() ? out.has_interest(cfg_.deliver_subject) : !waiting_.empty()) {
    last_active_ns_ = now;
    return false;
  }
  if (last_active_ns_ == 0) last_active_ns_ = now;
  return now - last_active_ns_ >= cfg_.inactive_threshold_ns;
}

void Consumer::deleting(Outbox& out) {
  for (PullRequest& r : waiting_) status(r.reply, "409 Consumer Deleted", out);
  waiting_.clear();
}

bool Consumer::done_with(uint64_t seq) const {
  if (pending_.count(seq)) return false;
  if (cfg_.ack_policy == AckPolicy::None) return seq < next_seq_;
  return seq <= delivered_sseq_ && seq < next_seq_;
}

ordered_json Consumer::info(int64_t now) const {
  (void)now;
  ordered_json j;
  j["stream_name"] = stream_.config().name;
  j["name"] = name_;
  j["created"] = go_time(created_ns_);
  j["config"] = to_json(cfg_);
  ordered_json d;
  d["consumer_seq"] = delivered_cseq_;
  d["stream_seq"] = delivered_sseq_;
  if (last_delivered_ns_) d["last_active"] = go_time(last_delivered_ns_);
  j["delivered"] = d;
  ordered_json f;
  f["consumer_seq"] = floor_cseq_;
  f["stream_seq"] = floor_sseq_;
  if (last_acked_ns_ && cfg_.ack_policy != AckPolicy::None) f["last_active"] = go_time(last_acked_ns_);
  j["ack_floor"] = f;
  j["num_ack_pending"] = pending_.size();
  uint64_t redelivered = 0;
  for (const auto& [seq, p] : pending_) redelivered += p.deliveries > 1;
  j["num_redelivered"] = redelivered;
  j["num_waiting"] = waiting_.size();
  j["num_pending"] = num_pending_;
  return j;
}

}  // namespace ringnats::js
