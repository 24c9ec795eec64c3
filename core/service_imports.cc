// Service imports: requests across accounts and their responses.
// Each service import has a permanent entry in the importer's index on its
// local subject; a publish that matches it is published again into the
// exporter on the exported subject, with the reply replaced by a response
// subject "_R_.<server>.<shard>.<seq>" that only this server makes. The
// exporter's index holds one entry on "_R_.<server>.>" per exporter; a
// response that matches it goes to the shard named in its subject, which
// looks the request up and publishes the response into the importer on the
// requester's reply subject (once for a singleton, until the threshold for
// streamed and chunked). The pending requests of a shard are its own: no
// lock; a response that lands on another shard crosses once, in order.
#include <charconv>

#include "proto/json.h"

#include "core/fanout.h"
#include "core/subject_match.h"
#include "core/server.h"
#include "core/sub_table.h"

namespace ringnats {

using proto::MsgArgs;

void SubTable::install_account_entries() {
  const AccountTable& accounts = srv_.accounts();
  auto mine = [&](std::string_view subject) {
    return partition_of(subject, nshards_) == id_;
  };
  for (uint32_t id = 0; id < accounts.service_imports(); ++id) {
    const ServiceImportRt& si = accounts.service_import(id);
    if (!mine(si.from)) continue;
    SubRef ref;
    ref.shard = static_cast<uint16_t>(id_);
    ref.slot = id;
    ref.flags = kSubService | kSubHeaders;
    ref.import = id;
    // Not announced to routes: every server of the cluster has the same
    // import and serves its own clients' requests.
    partitions_[si.importer]->insert(si.from, {}, ref);
  }
  const std::string& pattern = accounts.response_pattern();
  if (!mine(pattern)) return;
  for (const Account& a : accounts.all()) {
    if (!a.serves_imports) continue;
    SubRef ref;
    ref.shard = static_cast<uint16_t>(id_);
    ref.slot = a.id;
    ref.flags = kSubResponse | kSubHeaders;
    interest_changed(a.id, pattern, {}, partitions_[a.id]->insert(pattern, {}, ref));
  }
}

void SubTable::announce_account_entries() {
  const AccountTable& accounts = srv_.accounts();
  const std::string& pattern = accounts.response_pattern();
  if (partition_of(pattern, nshards_) != id_) return;
  for (const Account& a : accounts.all())
    if (a.serves_imports) interest_changed(a.id, pattern, {}, InterestChange{0, 1});
}

void Fanout::run_deferred(const MsgArgs& m, std::string_view payload, Block* storage) {
  if (deferred_depth_ >= kMaxServiceDepth) return;  // a loop of imports
  // The refs stay valid for the turn (QSBR); the list is this depth's own,
  // so the publishes below may defer at the next depth.
  std::vector<const SubRef*>& todo = deferred_[deferred_depth_];
  ++deferred_depth_;
  Conn* saved_src = cur_src_;
  void* saved_tag = cur_pub_tag_;
  const uint32_t saved_account = cur_account_;
  const bool saved_stall = stall_src_;
  for (size_t i = 0; i < todo.size(); ++i) {
    const SubRef& r = *todo[i];
    if (r.flags & kSubService) serve_request(r, m, payload, storage, saved_src);
    else answer_response(saved_account, m, payload, storage);
  }
  todo.clear();
  --deferred_depth_;
  cur_src_ = saved_src;
  cur_pub_tag_ = saved_tag;
  cur_account_ = saved_account;
  stall_src_ = saved_stall || stall_src_;
}

void Fanout::serve_request(const SubRef& r, const MsgArgs& m, std::string_view payload, Block* storage,
                           const Conn* requester) {
  const ServiceImportRt& si = srv_.accounts().service_import(r.import);
  const int d = deferred_depth_;
  MsgArgs& req = service_args_[d];
  req = m;
  if (si.literal_to) req.subject = si.to;

  // nats stamps a request that crosses into a service's account with who
  // asked ("Nats-Request-Info"), in the headers of a copy of the message.
  std::string& info = service_info_[d];
  const size_t old_hdr = m.hdr > 0 ? static_cast<size_t>(m.hdr) : 0;
  std::string_view body = payload.substr(old_hdr);
  std::string_view head = old_hdr ? payload.substr(0, old_hdr - 2) : std::string_view("NATS/1.0\r\n");
  // A request that came through an import already carries the original
  // requester's info: nats keeps it and names this importer as "svc".
  constexpr std::string_view kInfo = "\r\nNats-Request-Info: ";
  const size_t at = requester == &internal_ ? head.find(kInfo) : std::string_view::npos;
  if (at != std::string_view::npos) {
    const size_t start = at + kInfo.size();
    const size_t eol = head.find("\r\n", start);
    std::string_view value = head.substr(start, eol - start);  // {"acc":"C",...}
    const size_t after_acc = value.find("\",", 7);             // past {"acc":"<name>"
    info.assign("Nats-Request-Info: ");
    if (value.rfind("{\"acc\":\"", 0) == 0 && after_acc != std::string_view::npos) {
      info.append(value.substr(0, after_acc + 1)).append(",\"svc\":");
      proto::json_append_string(info, srv_.accounts().at(si.importer).name);
      info.append(value.substr(after_acc + 1));
    } else {
      info.append(value);
    }
    info.append("\r\n");
    stamped_head_.assign(head.substr(0, at + 2)).append(head.substr(eol + 2 < head.size() ? eol + 2 : head.size()));
    head = stamped_head_;
  } else {
    info.assign("Nats-Request-Info: {\"acc\":");
    proto::json_append_string(info, srv_.accounts().at(si.importer).name);
    if (requester && requester != &internal_ && requester->rtt_ns > 0)
      info.append(",\"rtt\":").append(std::to_string(requester->rtt_ns));
    info.append("}\r\n");
  }
  const size_t hdr = head.size() + info.size() + 2;
  Block* stamped = Block::make(hdr + body.size() + 2);
  stamped->put(head.data(), head.size());
  stamped->put(info.data(), info.size());
  stamped->put("\r\n", 2);
  stamped->put(body.data(), body.size());
  stamped->put("\r\n", 2);
  service_digits_[d][0] = std::to_string(hdr);
  service_digits_[d][1] = std::to_string(hdr + body.size());
  req.op = proto::Op::Hpub;
  req.hdr = static_cast<int64_t>(hdr);
  req.size = static_cast<int64_t>(hdr + body.size());
  req.hdr_text = service_digits_[d][0];
  req.size_text = service_digits_[d][1];
  (void)storage;

  std::string& reply = service_reply_[d];
  uint64_t seq = 0;
  if (!m.reply.empty()) {
    // An unguessable key: only the exporter's responders ever see it.
    do seq = token_rng_(); while (seq == 0 || pending_.contains(seq));
    PendingResponse p;
    p.importer = si.importer;
    p.exporter = si.exporter;
    p.reply.assign(m.reply);
    p.singleton = si.response_type == ResponseType::Singleton;
    p.threshold_ns = si.threshold_ns > 0 ? si.threshold_ns : kDefaultResponseThresholdNs;
    p.expires_ns = now_ + p.threshold_ns;
    pending_.emplace(seq, std::move(p));
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
    (void)ec;
    reply.assign(srv_.accounts().response_prefix()).append(std::to_string(id_)).append(".");
    reply.append(digits, static_cast<size_t>(end - digits));
    req.reply = reply;
  }
  publish(&internal_, si.exporter, req, std::string_view(stamped->data, hdr + body.size()), stamped);
  stamped->unref();
  // Nobody in the exporter took it: no response will come.
  if (seq && !last_delivered_) pending_.erase(seq);
}

void Fanout::answer_response(uint32_t account, const MsgArgs& m, std::string_view payload, Block* storage) {
  if (!m.subject.starts_with(srv_.accounts().response_prefix())) return;
  // "_R_.<server>.<shard>.<seq>"
  std::string_view rest = m.subject.substr(srv_.accounts().response_prefix().size());
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return;
  int shard = -1;
  uint64_t seq = 0;
  auto r1 = std::from_chars(rest.data(), rest.data() + dot, shard);
  auto r2 = std::from_chars(rest.data() + dot + 1, rest.data() + rest.size(), seq);
  if (r1.ec != std::errc() || r1.ptr != rest.data() + dot || r2.ec != std::errc() ||
      r2.ptr != rest.data() + rest.size() || shard < 0 || shard >= nshards_)
    return;
  if (shard == id_) {
    deliver_response(seq, account, m, payload, storage);
    return;
  }
  // The request is the other shard's: the response crosses once, with its
  // own copy (this path is taken only by responses across shards). The copy
  // keeps the CRLF after the payload, as a receive buffer does: whoever
  // forwards it (a route) sends size + 2 bytes.
  std::string bytes(payload);
  bytes.append("\r\n");
  const int64_t hdr = m.hdr;
  srv_.shard(id_).push_fn(shard, [seq, account, bytes = std::move(bytes), hdr](Shard& s) {
    MsgArgs resp;
    resp.op = hdr >= 0 ? proto::Op::Hpub : proto::Op::Pub;
    resp.hdr = hdr;
    resp.size = static_cast<int64_t>(bytes.size() - 2);
    const std::string hdr_digits = hdr >= 0 ? std::to_string(hdr) : std::string();
    const std::string size_digits = std::to_string(bytes.size() - 2);
    resp.hdr_text = hdr_digits;
    resp.size_text = size_digits;
    s.relay_response(seq, account, resp, std::string_view(bytes.data(), bytes.size() - 2));
  });
}

void Fanout::deliver_response(uint64_t seq, uint32_t account, const MsgArgs& m, std::string_view payload,
                              Block* storage) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;  // answered (singleton), expired, or forged
  // Only the account the request went to may answer it: another account's
  // catch-all on the same prefix must not reach this requester.
  if (it->second.exporter != account) return;
  PendingResponse& p = it->second;
  MsgArgs& resp = service_args_[deferred_depth_];
  resp = m;
  resp.subject = p.reply;
  resp.reply = {};
  publish(&internal_, p.importer, resp, payload, storage);
  // A singleton is answered; a stream ends with an empty message or when
  // nobody takes its responses any more. (`it` is still valid: nothing above
  // touches this shard's table but a nested request, which only adds.)
  it = pending_.find(seq);
  if (it != pending_.end() && (it->second.singleton || m.size == 0 || !last_delivered_)) pending_.erase(it);
  else if (it != pending_.end()) it->second.expires_ns = now_ + it->second.threshold_ns;
}

void Fanout::relay_response(uint64_t seq, uint32_t account, const MsgArgs& m, std::string_view payload) {
  ++deferred_depth_;  // so a publish inside defers at its own depth
  if (deferred_depth_ <= kMaxServiceDepth) deliver_response(seq, account, m, payload, nullptr);
  --deferred_depth_;
}

void Fanout::expire_responses() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.expires_ns <= now_) pending_.erase(it++);
    else ++it;
  }
}

}  // namespace ringnats
