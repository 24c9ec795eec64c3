// JetStream's life on the shards (see jetstream.h): each shard's streams and
// internal connections, the publish path into a stream, and the writes: a turn's appends go out as one batch of io_uring
// writes per stream, and their acks only after those writes completed (a
// kill -9 then loses nothing acknowledged).
#include "jetstream/jetstream.h"
#include "jetstream/json_get.h"
#include "jetstream/shard_state.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>


#include <charconv>
#include <cstring>
#include <filesystem>

#include "core/clock.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {


}  // namespace

JetStream::JetStream(Server& srv, const JetStreamOptions& opts)
    : srv_(srv), opts_(opts), clustered_(srv.opts().cluster.enabled), server_id_(srv.server_id()),
      nshards_(srv.nshards()) {
  // nats' root: -sd as given, else <tmp>/nats (or <tmp> when both limits
  // are set, another of its code paths); the store is its "jetstream".
  std::string root = opts.store_dir;
  if (root.empty()) {
    root = std::filesystem::temp_directory_path().string();
    if (!(opts.max_memory > 0 && opts.max_store > 0)) root += "/nats";
  }
  store_dir_ = root + "/jetstream";
  max_memory_ = opts.max_memory;
  if (max_memory_ < 0) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    max_memory_ = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page / 4 * 3 : int64_t(1) << 30;
  }
  max_store_ = opts.max_store;
  if (max_store_ < 0) {
    max_store_ = int64_t(1) << 40;
    std::error_code ec;
    std::filesystem::create_directories(store_dir_, ec);
    struct statvfs vs {};
    if (statvfs(store_dir_.c_str(), &vs) == 0) {
      int64_t avail = static_cast<int64_t>(vs.f_bavail) * static_cast<int64_t>(vs.f_frsize) / 4 * 3;
      if (avail > 0 && avail < max_store_) max_store_ = avail;
    }
  }
  for (int i = 0; i < nshards_; ++i) shards_.push_back(std::make_unique<ShardState>());
}

JetStream::~JetStream() = default;

bool JetStream::enabled_for(uint32_t account) const {
  const AccountTable& accounts = srv_.accounts();
  bool configured = false;
  for (uint32_t i = 0; i < accounts.size(); ++i)
    if (i != kGlobalAccount && i != accounts.system() && accounts.at(i).opts) configured = true;
  if (!configured) return account == kGlobalAccount;
  const Account& a = accounts.at(account);
  return a.opts && a.opts->jetstream;
}

int64_t JetStream::account_max_streams(uint32_t account) const {
  const Account& a = srv_.accounts().at(account);
  return a.opts ? a.opts->js_max_streams : -1;
}

int64_t JetStream::account_max_consumers(uint32_t account) const {
  const Account& a = srv_.accounts().at(account);
  return a.opts ? a.opts->js_max_consumers : -1;
}

JetStream::ShardState& JetStream::state(const Shard& s) { return *shards_[static_cast<size_t>(s.id())]; }

int JetStream::owner_of(std::string_view name) const {
  return static_cast<int>(name_hash(name) % static_cast<uint64_t>(nshards_));
}

std::string JetStream::stream_dir(uint32_t account, std::string_view name) const {
  return store_dir_ + "/" + srv_.accounts().at(account).name + "/streams/" + std::string(name);
}

Conn* JetStream::conn_for(Shard& s, uint32_t account) {
  ShardState& st = state(s);
  if (st.conns.size() <= account) st.conns.resize(account + 1, nullptr);
  if (!st.conns[account]) st.conns[account] = s.open_internal(account);
  return st.conns[account];
}

// --- streams on their shard --------------------------------------------------

uint32_t JetStream::adopt(Shard& s, std::unique_ptr<Stream> stream, std::vector<std::unique_ptr<Consumer>> consumers) {
  ShardState& st = state(s);
  uint32_t index;
  if (!st.free.empty()) {
    index = st.free.back();
    st.free.pop_back();
  } else {
    index = static_cast<uint32_t>(st.slots.size());
    st.slots.push_back(std::make_unique<StreamSlot>());
  }
  StreamSlot& slot = *st.slots[index];
  uint32_t gen = slot.gen + 1;
  slot = StreamSlot{};
  slot.gen = gen & 0xfff;
  slot.index = index;
  slot.stream = std::move(stream);
  slot.durable_last = slot.writing_last = slot.stream->store().state().last_seq;
  slot.consumers = std::move(consumers);
  StreamSlot* sp = &slot;
  slot.stream->set_interest([sp](std::string_view subject) {
    for (auto& c : sp->consumers)
      if (c->wants(subject)) return true;
    return false;
  });
  const Stream& str = *slot.stream;
  st.by_name[reg_key(str.account(), str.config().name)] = index;
  {
    std::lock_guard<std::mutex> g(mu_);
    Registered& r = registry_[reg_key(str.account(), str.config().name)];
    r.owner = s.id();
    r.cfg = str.config();
    StoreState ss = slot.stream->store().state();
    (r.cfg.storage == Storage::Memory ? mem_used_ : file_used_)
        .fetch_add(static_cast<int64_t>(ss.bytes) - static_cast<int64_t>(r.bytes), std::memory_order_relaxed);
    r.msgs = ss.msgs;
    r.bytes = ss.bytes;
    r.consumers = static_cast<int>(slot.consumers.size());
    r.remote.clear();
    r.remote_info.clear();
  }
  subscribe_stream(s, slot, index);
  // Acks and flow-control answers for its consumers.
  Conn* c = conn_for(s, str.account());
  std::string tag = std::to_string(index) + "." + std::to_string(slot.gen);
  s.subscribe_internal(c, "$JS.ACK." + str.config().name + ".>", {}, "a" + tag, clustered_);
  s.subscribe_internal(c, "$JS.FC." + str.config().name + ".>", {}, "f" + tag, clustered_);
  subscribe_markers(s, slot, index);
  if (!slot.consumers.empty()) queue_pump(st, index);
  return index;
}

void JetStream::subscribe_stream(Shard& s, StreamSlot& slot, uint32_t index) {
  Conn* c = conn_for(s, slot.stream->account());
  const auto& subjects = slot.stream->config().subjects;
  for (uint32_t i = 0; i < subjects.size(); ++i) {
    std::string sid = std::to_string(index) + "." + std::to_string(slot.gen) + "." + std::to_string(slot.nsubs + i);
    s.subscribe_internal(c, subjects[i], {}, sid, clustered_);
  }
  slot.nsubs += static_cast<uint32_t>(subjects.size());
}

void JetStream::unsubscribe_stream(Shard& s, StreamSlot& slot, uint32_t index) {
  Conn* c = conn_for(s, slot.stream->account());
  for (uint32_t i = 0; i < slot.nsubs; ++i)
    s.unsubscribe_internal(c, std::to_string(index) + "." + std::to_string(slot.gen) + "." + std::to_string(i));
}

void JetStream::queue_pump(ShardState& st, uint32_t index) {
  StreamSlot& slot = *st.slots[index];
  if (slot.pump_queued) return;
  slot.pump_queued = true;
  st.to_pump.push_back(index);
}

JetStream::StreamSlot* JetStream::slot_of(ShardState& st, uint32_t account, std::string_view name) {
  auto it = st.by_name.find(reg_key(account, name));
  if (it == st.by_name.end()) return nullptr;
  StreamSlot* slot = st.slots[it->second].get();
  return slot->stream && !slot->doomed ? slot : nullptr;
}

void JetStream::drop_stream(Shard& s, uint32_t index) {
  ShardState& st = state(s);
  StreamSlot& slot = *st.slots[index];
  unsubscribe_stream(s, slot, index);
  unsubscribe_markers(s, slot, index);
  dir_gone(s, slot.stream->account(), slot.stream->config().name);
  {
    Conn* c = conn_for(s, slot.stream->account());
    std::string tag = std::to_string(index) + "." + std::to_string(slot.gen);
    s.unsubscribe_internal(c, "a" + tag);
    s.unsubscribe_internal(c, "f" + tag);
    DirectOutbox out(s, *this, slot.stream->account());
    for (auto& cons : slot.consumers) cons->deleting(out);
    slot.consumers.clear();
  }
  st.by_name.erase(reg_key(slot.stream->account(), slot.stream->config().name));
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = registry_.find(reg_key(slot.stream->account(), slot.stream->config().name));
    if (it != registry_.end()) {
      (it->second.cfg.storage == Storage::Memory ? mem_used_ : file_used_)
          .fetch_sub(static_cast<int64_t>(it->second.bytes), std::memory_order_relaxed);
      registry_.erase(it);
    }
  }
  slot.doomed = true;
  slot.waiting.clear();
  // Its directory leaves the name at once (a stream created again under the
  // same name must not open it); it is removed once no write is in flight.
  if (slot.stream->config().storage == Storage::File) {
    slot.tombstone = slot.stream->dir() + ".deleted." + std::to_string(index) + "." + std::to_string(slot.gen);
    std::error_code ec;
    std::filesystem::rename(slot.stream->dir(), slot.tombstone, ec);
    if (ec) slot.tombstone = slot.stream->dir();
  }
  if (slot.inflight == 0) free_doomed(st, index);
}

void JetStream::free_doomed(ShardState& st, uint32_t index) {
  StreamSlot& slot = *st.slots[index];
  slot.stream.reset();  // closes its files; writes nothing
  if (!slot.tombstone.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(slot.tombstone, ec);
    slot.tombstone.clear();
  }
  st.free.push_back(index);
}

// --- the message path ----------------------------------------------------------

void JetStream::internal_msg(Shard& s, Conn* c, const Sub& sub, const proto::MsgArgs& m, std::string_view payload) {
  ShardState& st = state(s);
  size_t hdr = m.hdr > 0 ? static_cast<size_t>(m.hdr) : 0;
  if (sub.sid == kApiSid) {
    st.api.push_back(ApiRequest{c->account, std::string(m.subject), std::string(m.reply),
                                std::string(payload.substr(hdr))});
    return;
  }
  if (sub.sid == kDirSid) return dir_received(s, payload.substr(hdr));
  if (sub.sid == kPlaceSid) return placed_msg(s, c, m, payload.substr(hdr));
  if (sub.sid == kRelaySid) return relayed_msg(s, c, m, payload);
  if (!sub.sid.empty() && sub.sid[0] == 'm') return marker_msg(s, c, sub, m, payload.substr(hdr));
  // Stream subjects: "<slot>.<gen>.<n>"; its acks "a<slot>.<gen>"; flow
  // control answers "f<slot>.<gen>".
  char kind = sub.sid.empty() ? 0 : sub.sid[0];
  size_t skip = kind == 'a' || kind == 'f' ? 1 : 0;
  uint32_t index = 0, gen = 0;
  const char* p = sub.sid.data() + skip;
  const char* end = sub.sid.data() + sub.sid.size();
  auto r1 = std::from_chars(p, end, index);
  if (r1.ec != std::errc() || r1.ptr == end) return;
  auto r2 = std::from_chars(r1.ptr + 1, end, gen);
  if (r2.ec != std::errc() || index >= st.slots.size()) return;
  StreamSlot& slot = *st.slots[index];
  if (!slot.stream || slot.doomed || slot.gen != gen) return;
  if (skip) {
    // $JS.ACK.<stream>.<consumer>... / $JS.FC.<stream>.<consumer>...
    std::string_view rest = m.subject.substr(kind == 'a' ? 8 : 7);
    rest = rest.substr(std::min(rest.size(), slot.stream->config().name.size() + 1));
    Consumer* cons = slot.consumer(rest.substr(0, rest.find('.')));
    if (!cons) return;
    if (kind == 'f') {
      cons->flow_control_reply(m.subject);
    } else {
      QueuedOutbox out(s, st, slot.stream->account());
      std::vector<uint64_t> acked;
      cons->ack(m.subject, payload.substr(hdr), m.reply, wall_ns(), out, acked);
      if (!acked.empty()) retire_acked(st, slot, acked);
    }
    queue_pump(st, index);
    return;
  }
  std::string ack;
  // The server's max_memory_store / max_file_store (usage as of the last
  // turn: a turn's appends may pass it by what one turn stores).
  const bool in_memory = slot.stream->config().storage == Storage::Memory;
  if ((in_memory ? mem_used_ : file_used_).load(std::memory_order_relaxed) + static_cast<int64_t>(payload.size()) >
      (in_memory ? max_memory_ : max_store_)) {
    if (!m.reply.empty()) {
      const ErrInfo& e = err_info(Err::InsufficientResources);
      slot.waiting.push_back(Outgoing{std::string(m.reply),
                                      "{\"error\":{\"code\":" + std::to_string(e.code) + ",\"err_code\":" +
                                          std::to_string(e.err_code) + ",\"description\":\"" +
                                          std::string(e.description) + "\"},\"stream\":" +
                                          go_json(ordered_json(slot.stream->config().name)) + ",\"seq\":0}"});
      mark_dirty(st, index);
    }
    return;
  }
  const StoreState was = slot.stream->store().state();
  const uint64_t before = was.last_seq;
  bool stored = slot.stream->on_publish(m.subject, payload.substr(0, hdr), payload.substr(hdr), !m.reply.empty(),
                                        wall_ns(), ack);
  if (stored) {
    slot.changed = true;
    StoreState now_st = slot.stream->store().state();
    uint64_t seq = now_st.last_seq;
    if (seq > before)
      for (auto& cons : slot.consumers) cons->on_stored(seq, m.subject);
    if (now_st.first_seq > was.first_seq)  // limits took old messages
      for (auto& cons : slot.consumers) cons->on_first_moved(now_st.first_seq);
  }
  bool has_ack = !ack.empty();
  if (has_ack) slot.waiting.push_back(Outgoing{std::string(m.reply), std::move(ack)});
  if (!slot.dirty && (stored || has_ack)) {
    slot.dirty = true;
    st.dirty.push_back(index);
  }
}

void JetStream::flush_slot(Shard& s, uint32_t index) {
  StreamSlot& slot = *state(s).slots[index];
  if (!slot.stream || slot.inflight > 0) return;
  slot.ops.clear();
  slot.stream->store().take_writes(slot.ops);
  if (slot.ops.empty()) {
    slot.durable_last = slot.stream->store().state().last_seq;
    std::vector<Outgoing> acks;
    acks.swap(slot.waiting);
    publish_outgoing(s, slot.stream->account(), acks, acks.size());
    if (!slot.consumers.empty()) pump_consumers(s, slot);
    return;
  }
  slot.writing_last = slot.stream->store().state().last_seq;
  slot.writing.swap(slot.waiting);
  slot.waiting.clear();
  slot.write_failed = false;
  slot.inflight = static_cast<int>(slot.ops.size());
  uint32_t tag = (index << 12) | slot.gen;
  for (uint32_t i = 0; i < slot.ops.size(); ++i) {
    const WriteOp& op = slot.ops[i];
    s.submit_write(op.fd, op.data, op.len, op.offset, tag, i);
  }
}

void JetStream::write_done(Shard& s, uint32_t tag, uint32_t op, int res) {
  ShardState& st = state(s);
  uint32_t index = tag >> 12, gen = tag & 0xfff;
  if (index >= st.slots.size()) return;
  StreamSlot& slot = *st.slots[index];
  if (!slot.stream || slot.gen != gen || slot.inflight == 0) return;
  // A short write is a failed one (a full disk ends a write part-way).
  if (res < 0 || op >= slot.ops.size() || static_cast<size_t>(res) != slot.ops[op].len) {
    slot.write_failed = true;
    log::error("JetStream failed to write stream '%s > %s': %s", srv_.accounts().at(slot.stream->account()).name.c_str(),
               slot.stream->config().name.c_str(), res < 0 ? strerror(-res) : "short write");
  }
  if (--slot.inflight > 0) return;
  slot.stream->store().writes_done(!slot.write_failed);
  if (slot.doomed) {
    slot.writing.clear();
    free_doomed(st, index);
    return;
  }
  if (opts_.sync_always && !slot.write_failed) slot.stream->store().sync();
  else slot.unsynced = true;
  std::vector<Outgoing> acks;
  acks.swap(slot.writing);
  if (slot.write_failed) {
    const ErrInfo& e = err_info(Err::StreamStoreFailedF);
    for (Outgoing& o : acks) {
      if (!o.fail_type.empty()) {
        o.body = "{\"type\":\"io.nats.jetstream.api.v1." + o.fail_type + "\",\"error\":{\"code\":" +
                 std::to_string(e.code) + ",\"err_code\":" + std::to_string(e.err_code) +
                 ",\"description\":\"write failed\"}}";
      } else if (o.body.find("\"error\"") == std::string::npos) {
        o.body = "{\"error\":{\"code\":" + std::to_string(e.code) + ",\"err_code\":" + std::to_string(e.err_code) +
                 ",\"description\":\"write failed\"},\"stream\":" + go_json(ordered_json(slot.stream->config().name)) +
                 ",\"seq\":0}";
      }
    }
  }
  uint32_t account = slot.stream->account();
  if (!slot.write_failed) slot.durable_last = std::max(slot.durable_last, slot.writing_last);
  if (!slot.waiting.empty()) flush_slot(s, index);
  publish_outgoing(s, account, acks, acks.size());
  if (!slot.consumers.empty()) pump_consumers(s, slot);
}

void JetStream::publish_outgoing(Shard& s, uint32_t account, std::vector<Outgoing>& out, size_t n) {
  Conn* c = conn_for(s, account);
  for (size_t i = 0; i < n; ++i)
    s.publish_internal_as(c, out[i].subject, out[i].shown, out[i].reply, out[i].hdr, out[i].body);
}

void JetStream::queue(ShardState& st, uint32_t account, std::string_view subject, std::string body, int64_t hdr) {
  if (subject.empty()) return;
  st.replies.emplace_back(account, Outgoing{std::string(subject), std::move(body), hdr});
}

void JetStream::queue_after_subs(Shard& s, uint32_t account, std::string_view subject, std::string body,
                                 uint32_t publish_as) {
  ShardState& st = state(s);
  Conn* c = conn_for(s, account);
  const uint32_t sender = publish_as == UINT32_MAX ? account : publish_as;
  if (c->pending_acks > 0)
    st.after_subs.emplace_back(account, std::make_pair(sender, Outgoing{std::string(subject), std::move(body)}));
  else queue(st, sender, subject, std::move(body));
}

void JetStream::internal_subs_ready(Shard& s, Conn* c) {
  ShardState& st = state(s);
  std::vector<std::pair<uint32_t, Outgoing>> ready;
  for (auto& e : st.after_subs) {
    if (e.first == c->account) ready.push_back(std::move(e.second));
  }
  std::erase_if(st.after_subs, [&](const auto& e) { return e.first == c->account; });
  if (ready.empty()) return;
  if (!clustered_) {
    for (auto& e : ready) st.replies.push_back(std::move(e));
    return;  // published at the end of this turn (we may be inside a ring drain)
  }
  // In a cluster the answer must reach a peer after the subscriptions' RS+,
  // which each partition's shard sent its route shards on its own link: a
  // fence down every (partition, route) link, in their order, then back.
  auto answers = std::make_shared<std::vector<std::pair<uint32_t, Outgoing>>>(std::move(ready));
  auto left = std::make_shared<int>(nshards_ * nshards_);
  const int owner = s.id();
  for (int p = 0; p < nshards_; ++p) {
    s.push_fn(p, [this, answers, left, owner](Shard& ps) {
      for (int r = 0; r < nshards_; ++r) {
        ps.push_fn(r, [this, answers, left, owner](Shard& rs) {
          rs.push_fn(owner, [this, answers, left](Shard& os) {
            if (--*left > 0) return;
            for (auto& e : *answers) state(os).replies.push_back(std::move(e));
          });
        });
      }
    });
  }
}

// Streams flushed this turn (the only ones whose state can have changed)
// tell the registry their size; the server-wide usage follows.
void JetStream::update_registry(Shard& s, const std::vector<uint32_t>& flushed) {
  ShardState& st = state(s);
  if (flushed.empty()) return;
  std::lock_guard<std::mutex> g(mu_);
  for (uint32_t i : flushed) {
    StreamSlot& slot = *st.slots[i];
    if (!slot.stream || !slot.changed) continue;
    slot.changed = false;
    auto it = registry_.find(reg_key(slot.stream->account(), slot.stream->config().name));
    if (it == registry_.end()) continue;
    StoreState ss = slot.stream->store().state();
    int64_t delta = static_cast<int64_t>(ss.bytes) - static_cast<int64_t>(it->second.bytes);
    (it->second.cfg.storage == Storage::Memory ? mem_used_ : file_used_).fetch_add(delta, std::memory_order_relaxed);
    it->second.msgs = ss.msgs;
    it->second.bytes = ss.bytes;
  }
}

void JetStream::end_turn(Shard& s) {
  ShardState& st = state(s);
  dir_tick(s);
  if (!st.api.empty()) {
    std::vector<ApiRequest> reqs;
    reqs.swap(st.api);
    for (ApiRequest& r : reqs) api_request(s, r);
  }
  if (!st.stream_ops.empty()) {
    std::vector<ApiRequest> reqs;
    reqs.swap(st.stream_ops);
    for (ApiRequest& r : reqs) stream_request(s, r);
  }
  std::vector<uint32_t> flushed;
  if (!st.dirty.empty()) {
    flushed.swap(st.dirty);
    for (uint32_t i : flushed) {
      st.slots[i]->dirty = false;
      flush_slot(s, i);
    }
  }
  // Answers may land on this shard's own streams (internal_msg appends to
  // st.replies' neighbours, never to the list being sent).
  while (!st.replies.empty()) {
    std::vector<std::pair<uint32_t, Outgoing>> out;
    out.swap(st.replies);
    for (auto& [account, o] : out)
      s.publish_internal_as(conn_for(s, account), o.subject, o.shown, o.reply, o.hdr, o.body);
  }
  if (!st.to_pump.empty()) {
    std::vector<uint32_t> pump;
    pump.swap(st.to_pump);
    for (uint32_t i : pump) {
      StreamSlot& slot = *st.slots[i];
      slot.pump_queued = false;
      if (slot.stream && !slot.doomed) pump_consumers(s, slot);
    }
  }
  update_registry(s, flushed);
}

void JetStream::sync_stores(Shard& s, bool force) {
  ShardState& st = state(s);
  int64_t now = s.now_ns();
  if (!force && now < st.next_sync_ns) return;
  st.next_sync_ns = now + opts_.sync_interval_ns;
  for (auto& slot : st.slots)
    if (slot->stream && !slot->doomed && slot->unsynced) {
      slot->stream->store().sync();
      slot->unsynced = false;
    }
}

void JetStream::shard_timer(Shard& s) {
  ShardState& st = state(s);
  int64_t now = wall_ns();
  for (size_t i = 0; i < st.slots.size(); ++i) {
    StreamSlot& slot = *st.slots[i];
    if (!slot.stream || slot.doomed) continue;
    uint64_t before = slot.stream->store().state().msgs;
    slot.stream->expire(now);
    if (slot.stream->store().state().msgs != before) {
      uint64_t first = slot.stream->store().state().first_seq;
      for (auto& cons : slot.consumers) cons->on_first_moved(first);
      slot.changed = true;
      if (!slot.dirty) {
        slot.dirty = true;
        st.dirty.push_back(static_cast<uint32_t>(i));
      }
    }
  }
  for (auto& slot : st.slots)
    if (slot->stream && !slot->doomed && !slot->consumers.empty()) consumer_timers(s, *slot, now);
  if (s.now_ns() >= st.next_state_save_ns) {
    st.next_state_save_ns = s.now_ns() + 1'000'000'000;
    for (auto& slot : st.slots)
      if (slot->stream && !slot->doomed) save_consumers(*slot, false);
  }
  if (st.next_sync_ns == 0) st.next_sync_ns = s.now_ns() + opts_.sync_interval_ns;
  sync_stores(s, false);
}

void JetStream::shard_stopping(Shard& s) {
  ShardState& st = state(s);
  for (auto& slot : st.slots)
    if (slot->stream && !slot->doomed) {
      if (slot->inflight == 0) {
        slot->stream->store().flush_blocking();
        slot->stream->store().sync();
      }
      save_consumers(*slot, true);
    }
}

}  // namespace ringnats::js
