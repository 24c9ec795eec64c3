// JetStream in a cluster of ringnats nodes. A stream lives on the node that
// took its create request (R1) and is served from there: its subjects, its
// acks and its API requests are subscribed cluster-wide, so the routes bring
// them to it from any node. $JS.API.> is one queue group across the
// JetStream nodes; the member a request reaches sends one about a stream
// another node holds on to it, and relays its answer. A directory (each
// node's streams, sent on every change and every 2 s) lets any node name and
// list them, count them and refuse overlapping subjects. It travels in the
// system account. Its entries are by server name (stable across a restart):
// a node that is away keeps its streams there, answered with nats' 10008
// until it is back; a node restarted under the same name replaces them with
// what it holds now.
// Threads: markers run on the stream's owner shard; the directory on shard 0.
#include <algorithm>
#include <charconv>
#include <type_traits>
#include <memory>
#include <string>

#include "core/accounts.h"
#include "core/server.h"
#include "core/shard.h"
#include "jetstream/jetstream.h"
#include "jetstream/json_get.h"
#include "jetstream/shard_state.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kApiPrefix = "$JS.API.";
constexpr char kDirSubjects[] = "$JSC.RINGNATS.DIR.*";
constexpr std::string_view kDirPrefix = "$JSC.RINGNATS.DIR.";
constexpr int64_t kDirEveryNs = 2'000'000'000;
// Until a peer has spoken (a node starting, its routes not up yet), more often.
constexpr int64_t kDirAloneEveryNs = 250'000'000;
// A peer silent this long was away: when it speaks again, it hears ours at once.
constexpr int64_t kDirAwayNs = 5'000'000'000;

constexpr std::string_view kPlacePrefix = "$JSC.RINGNATS.API.";
// A stream's requests, forwarded by whichever node's $JS.API member took
// them: "$JSC.RINGNATS.S.<stream>.<what follows $JS.API.>". Its holder
// subscribes to "<prefix><stream>.>" cluster-wide; a route that announced
// exactly that pattern is how a peer says it holds the stream.
constexpr std::string_view kStreamPrefix = "$JSC.RINGNATS.S.";
std::string stream_pattern(std::string_view name) { return std::string(kStreamPrefix).append(name).append(".>"); }

// The answer to a request sent on to another node comes back through this
// one: "$JSC.RINGNATS.R.<our id>.<token>". Sent to the client's own reply it
// could be lost: the client's interest reaches the holder by the route from
// the client's node, the request by another path (through this node, and
// this node's shard 0), and nothing orders the two. Our relay subscription
// is known to every peer long before, and our answer to the client follows
// the path the request came by, after the interest that preceded it.
constexpr std::string_view kRelayPrefix = "$JSC.RINGNATS.R.";
// A holder that has not answered by then never will (it went away).
constexpr int64_t kRelayForNs = 30'000'000'000;
constexpr int64_t kRelaySweepEveryNs = 1'000'000'000;
// Beyond this many waiting, a request carries the client's own reply.
constexpr size_t kMaxRelays = 100'000;

std::string marker_sid(uint32_t index, uint32_t gen) {
  std::string sid = "m";
  sid.append(std::to_string(index)).append(".").append(std::to_string(gen));
  return sid;
}

bool one_token(std::string_view s) { return !s.empty() && s.find('.') == std::string_view::npos; }

}  // namespace

bool stream_of_request(std::string_view op, int& marker, std::string_view& stream) {
  std::string_view rest;
  auto after = [&](std::string_view prefix) {
    if (!op.starts_with(prefix)) return false;
    rest = op.substr(prefix.size());
    return true;
  };
  if (after("STREAM.MSG.GET.") || after("STREAM.MSG.DELETE.")) {
    marker = 1;
    stream = rest;
    return one_token(rest);
  }
  for (std::string_view p : {"STREAM.CREATE.", "STREAM.UPDATE.", "STREAM.INFO.", "STREAM.DELETE.", "STREAM.PURGE."})
    if (after(p)) {
      marker = 0;
      stream = rest;
      return one_token(rest);
    }
  if (after("DIRECT.GET.")) {
    size_t dot = rest.find('.');
    marker = dot == std::string_view::npos ? 5 : 6;
    stream = rest.substr(0, dot);
    return !stream.empty() && (dot == std::string_view::npos || dot + 1 < rest.size());
  }
  if (after("CONSUMER.DURABLE.CREATE.") || after("CONSUMER.MSG.NEXT.")) {
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot + 1 >= rest.size()) return false;
    marker = 4;
    stream = rest.substr(0, dot);
    return !stream.empty();
  }
  if (after("CONSUMER.") && !rest.starts_with("LEADER.")) {
    size_t op_end = rest.find('.');
    if (op_end == std::string_view::npos) return false;
    std::string_view tail = rest.substr(op_end + 1);
    size_t dot = tail.find('.');
    marker = dot == std::string_view::npos ? 2 : 3;
    stream = tail.substr(0, dot);
    return !stream.empty() && (dot == std::string_view::npos || dot + 1 < tail.size());
  }
  return false;
}

// --- a stream's request subscriptions (on its owner shard) ---------------------

void JetStream::subscribe_markers(Shard& s, StreamSlot& slot, uint32_t index) {
  if (!clustered_) return;
  s.subscribe_internal(conn_for(s, slot.stream->account()), stream_pattern(slot.stream->config().name), {},
                       marker_sid(index, slot.gen), true);
}

void JetStream::unsubscribe_markers(Shard& s, StreamSlot& slot, uint32_t index) {
  if (!clustered_) return;
  s.unsubscribe_internal(conn_for(s, slot.stream->account()), marker_sid(index, slot.gen));
}

void JetStream::marker_msg(Shard& s, Conn* c, const Sub& sub, const proto::MsgArgs& m, std::string_view body) {
  // "m<index>.<gen>"
  uint32_t index = 0, gen = 0;
  const char* end = sub.sid.data() + sub.sid.size();
  auto r1 = std::from_chars(sub.sid.data() + 1, end, index);
  if (r1.ec != std::errc() || r1.ptr == end) return;
  auto r2 = std::from_chars(r1.ptr + 1, end, gen);
  ShardState& st = state(s);
  if (r2.ec != std::errc() || index >= st.slots.size()) return;
  StreamSlot& slot = *st.slots[index];
  if (!slot.stream || slot.doomed || slot.gen != gen) return;
  // "$JSC.RINGNATS.S.<stream>.<op>": a request for this stream, as $JS.API.<op>.
  std::string_view rest = m.subject.substr(std::min(m.subject.size(), kStreamPrefix.size()));
  const std::string& name = slot.stream->config().name;
  if (!rest.starts_with(name) || rest.size() <= name.size() + 1 || rest[name.size()] != '.') return;
  ApiRequest r{c->account, std::string(kApiPrefix) + std::string(rest.substr(name.size() + 1)), std::string(m.reply),
               std::string(body)};
  int kind = -1;
  std::string_view about;
  if (!stream_of_request(std::string_view(r.subject).substr(kApiPrefix.size()), kind, about) || about != name) return;
  r.at_owner = true;
  st.api.push_back(std::move(r));
}

void JetStream::forward_to_holder(Shard& s, ApiRequest& r, std::string_view stream) {
  std::string subject = std::string(kStreamPrefix).append(stream).append(".").append(r.subject.substr(kApiPrefix.size()));
  std::string reply = relay_reply(s, r);
  state(s).replies.emplace_back(r.account, Outgoing{std::move(subject), std::move(r.body), -1, std::move(reply)});
}

std::string JetStream::relay_reply(Shard& s, ApiRequest& r) {
  // A pull request's messages come to its reply over time, from the holder.
  if (r.reply.empty() || std::string_view(r.subject).starts_with("$JS.API.CONSUMER.MSG.NEXT.")) return std::move(r.reply);
  ShardState& st = state(s);
  if (st.relays.size() >= kMaxRelays) return std::move(r.reply);
  uint64_t token = ++st.next_relay;
  st.relays.emplace(token, ShardState::Relay{r.account, std::move(r.reply), s.now_ns() + kRelayForNs});
  return std::string(kRelayPrefix).append(server_id_).append(".").append(std::to_string(token));
}

void JetStream::relayed_msg(Shard& s, Conn* c, const proto::MsgArgs& m, std::string_view payload) {
  // "$JSC.RINGNATS.R.<our id>.<token>"
  std::string_view rest = m.subject.substr(std::min(m.subject.size(), kRelayPrefix.size()));
  if (!rest.starts_with(server_id_) || rest.size() <= server_id_.size() + 1 || rest[server_id_.size()] != '.') return;
  rest.remove_prefix(server_id_.size() + 1);
  uint64_t token = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), token);
  if (ec != std::errc() || end != rest.data() + rest.size()) return;
  ShardState& st = state(s);
  auto it = st.relays.find(token);
  if (it == st.relays.end() || it->second.account != c->account) return;
  st.replies.emplace_back(it->second.account,
                          Outgoing{std::move(it->second.reply), std::string(payload), m.hdr > 0 ? m.hdr : -1});
  st.relays.erase(it);
}

void JetStream::expire_relays(Shard& s) {
  ShardState& st = state(s);
  int64_t now = s.now_ns();
  if (st.relays.empty() || now < st.next_relay_sweep_ns) return;
  st.next_relay_sweep_ns = now + kRelaySweepEveryNs;
  for (auto it = st.relays.begin(); it != st.relays.end();) {
    if (it->second.expires_ns <= now) st.relays.erase(it++);
    else ++it;
  }
}

// --- the directory ---------------------------------------------------------------

// A directory message's first fields: who says it, in which life, and its number.
std::string JetStream::dir_header(uint64_t seq) const {
  return "{\"server\":" + json(srv_.server_name()).dump() + ",\"id\":" + json(server_id_).dump() +
         ",\"seq\":" + std::to_string(seq);
}

std::string JetStream::dir_entry(const StreamSlot& slot) const {
  const Stream& st = *slot.stream;
  ordered_json info;
  info["config"] = to_json(st.config());
  info["created"] = go_time(st.created_wall_ns());
  info["state"] = st.state_json(static_cast<int>(slot.consumers.size()));
  ordered_json e;
  e["account"] = srv_.accounts().at(st.account()).name;
  e["name"] = st.config().name;
  e["info"] = std::move(info);
  return e.dump();
}

void JetStream::dir_added(Shard& s, const StreamSlot& slot) {
  if (!clustered_) return;
  // After its subscriptions, as its create's answer: a peer that reads it
  // then also has the route interest to forward requests to it.
  std::string body = dir_header(++dir_seq_) + ",\"streams\":[" + dir_entry(slot) + "]}";
  queue_after_subs(s, slot.stream->account(), std::string(kDirPrefix) + server_id_, std::move(body),
                   srv_.accounts().system());
}

void JetStream::dir_gone(Shard& s, uint32_t account, const std::string& name) {
  if (!clustered_) return;
  ordered_json g;
  g["account"] = srv_.accounts().at(account).name;
  g["name"] = name;
  std::string body = dir_header(++dir_seq_) + ",\"gone\":[" + g.dump() + "]}";
  queue(state(s), srv_.accounts().system(), std::string(kDirPrefix) + server_id_, std::move(body));
}

// Every stream of this node, gathered from the owners (shard 0 starts it).
void JetStream::dir_full(Shard& s) {
  if (dir_full_running_) return;
  dir_full_running_ = true;
  struct Job {
    int left;
    uint64_t seq;
    std::string entries;
  };
  auto job = std::make_shared<Job>();
  job->left = nshards_;
  job->seq = ++dir_seq_;  // before any owner looks: what they render is at least this new
  for (int i = 0; i < nshards_; ++i) {
    s.push_fn(i, [this, job](Shard& o) {
      std::string mine;
      for (auto& slot : state(o).slots) {
        if (!slot->stream || slot->doomed) continue;
        if (!mine.empty()) mine += ',';
        mine += dir_entry(*slot);
      }
      o.push_fn(0, [this, job, mine = std::move(mine)](Shard& z) {
        if (!mine.empty()) {
          if (!job->entries.empty()) job->entries += ',';
          job->entries += mine;
        }
        if (--job->left > 0) return;
        dir_full_running_ = false;
        queue(state(z), srv_.accounts().system(), std::string(kDirPrefix) + server_id_,
              dir_header(job->seq) + ",\"full\":true,\"streams\":[" + job->entries + "]}");
      });
    });
  }
}

namespace {
// A field of a directory message, or `fallback` when absent or of another
// type (a peer's message is trusted as far as its types go, no further).
template <class T>
T field(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) return it->is_boolean() ? it->template get<bool>() : fallback;
  else if constexpr (std::is_same_v<T, std::string>) return it->is_string() ? it->template get<std::string>() : fallback;
  else return it->is_number_integer() || it->is_number_unsigned() ? it->template get<T>() : fallback;
}
}  // namespace

void JetStream::dir_received(Shard& s, std::string_view payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  std::string server = field<std::string>(j, "server", "");
  const uint64_t seq = field<uint64_t>(j, "seq", 0);
  if (server.empty() || server == srv_.server_name() || seq == 0) return;
  const std::string id = field<std::string>(j, "id", "");
  DirPeer& peer = dir_peers_[server];
  // A peer we did not know (or that was away) hears our streams at once.
  if (peer.seen_ns == 0 || s.now_ns() - peer.seen_ns > kDirAwayNs) dir_next_full_ns_ = 0;
  peer.seen_ns = s.now_ns();
  std::lock_guard<std::mutex> g(mu_);
  if (peer.id != id) {
    // Restarted under its name (a new server id): it numbers from 1 again,
    // and what it said before is older than anything it says now.
    peer.id = id;
    peer.full_seq = 0;
    peer.gone.clear();
    for (auto& [k, reg] : registry_)
      if (reg.remote == server) reg.dir_seq = 0;
  }
  const bool full = field<bool>(j, "full", false);
  if (full && seq <= peer.full_seq) return;  // an older full one, overtaken
  absl::flat_hash_map<std::string, bool> listed;
  auto streams = j.find("streams");
  if (streams != j.end() && streams->is_array()) {
    for (const json& e : *streams) {
      if (!e.is_object()) continue;
      auto info = e.find("info");
      if (info == e.end() || !info->is_object()) continue;
      uint32_t acc = srv_.accounts().find(field<std::string>(e, "account", ""));
      std::string name = field<std::string>(e, "name", "");
      if (acc == kNoAccount || name.empty()) continue;
      std::string key = reg_key(acc, name);
      listed[key] = true;
      auto it = registry_.find(key);
      if (it != registry_.end() && it->second.remote.empty()) continue;  // ours wins a clash
      const bool ours_from_peer = it != registry_.end() && it->second.remote == server;
      // Newer news of it came first (it changed, or went, after this was said).
      if (ours_from_peer && it->second.dir_seq > seq) continue;
      auto gone = peer.gone.find(key);
      if (gone != peer.gone.end() && gone->second > seq) continue;
      if (!ours_from_peer && !full && seq < peer.full_seq) continue;  // said before the full directory we hold
      auto config = info->find("config");
      StreamConfig in, cfg;
      if (config == info->end() || !config->is_object() || parse_stream_config(config->dump(), in) ||
          check_stream_config(in, cfg) || cfg.name != name)
        continue;
      Registered reg;
      reg.owner = -1;
      reg.cfg = std::move(cfg);
      auto state = info->find("state");
      if (state != info->end() && state->is_object()) {
        reg.msgs = field<uint64_t>(*state, "messages", 0);
        reg.bytes = field<uint64_t>(*state, "bytes", 0);
        reg.consumers = field<int>(*state, "consumer_count", 0);
      }
      reg.remote = server;
      reg.remote_info = info->dump();
      reg.dir_seq = seq;
      registry_[key] = std::move(reg);
    }
  }
  auto gone = j.find("gone");
  if (gone != j.end() && gone->is_array()) {
    for (const json& e : *gone) {
      if (!e.is_object()) continue;
      uint32_t acc = srv_.accounts().find(field<std::string>(e, "account", ""));
      if (acc == kNoAccount) continue;
      std::string key = reg_key(acc, field<std::string>(e, "name", ""));
      uint64_t& at = peer.gone[key];
      at = std::max(at, seq);
      auto it = registry_.find(key);
      if (it != registry_.end() && it->second.remote == server && it->second.dir_seq <= seq) registry_.erase(it);
    }
  }
  if (full) {
    peer.full_seq = seq;
    absl::erase_if(registry_, [&](const auto& kv) {
      return kv.second.remote == server && kv.second.dir_seq < seq && !listed.contains(kv.first);
    });
    // What was deleted before this directory is in it (by its absence).
    absl::erase_if(peer.gone, [&](const auto& kv) { return kv.second < seq; });
  }
}

bool JetStream::peer_holds(Shard& s, uint32_t account, std::string_view stream) {
  return s.route_has_pattern(account, stream_pattern(stream));
}

// --- placement: one node decides each new name -------------------------------------

// Two creates of one name sent to two nodes at once both reach the node the
// name hashes to, whose registry lets only the first make it (without a
// meta leader, nodes agree on that node once they have heard each other).
std::string JetStream::placement_target(Shard& s, uint32_t account, std::string_view stream) {
  // The peers whose directory came and whose placement subscription a route
  // carries now (a node gone drops out at once, with its route).
  std::vector<std::pair<std::string, std::string>> nodes{{srv_.server_name(), ""}};
  for (const auto& [name, peer] : dir_peers_)
    if (s.route_has_pattern(account, std::string(kPlacePrefix) + peer.id + ".>")) nodes.emplace_back(name, peer.id);
  std::sort(nodes.begin(), nodes.end());
  std::string key = srv_.accounts().at(account).name;
  key += '\0';
  key.append(stream);
  return nodes[name_hash(key) % nodes.size()].second;
}

void JetStream::place_create(Shard& s, ApiRequest& r, const std::string& target) {
  std::string subject = std::string(kPlacePrefix) + target + "." + r.subject.substr(kApiPrefix.size());
  std::string reply = relay_reply(s, r);
  state(s).replies.emplace_back(r.account, Outgoing{std::move(subject), std::move(r.body), -1, std::move(reply)});
}

void JetStream::placed_msg(Shard& s, Conn* c, const proto::MsgArgs& m, std::string_view body) {
  // "$JSC.RINGNATS.API.<our id>.STREAM.CREATE.<name>"
  std::string_view rest = m.subject.substr(std::min(m.subject.size(), kPlacePrefix.size()));
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos || rest.substr(0, dot) != server_id_) return;
  ApiRequest r{c->account, std::string(kApiPrefix) + std::string(rest.substr(dot + 1)), std::string(m.reply),
               std::string(body)};
  if (!std::string_view(r.subject).starts_with("$JS.API.STREAM.CREATE.")) return;
  r.placed = true;
  state(s).api.push_back(std::move(r));
}

void JetStream::dir_start(Shard& s) {
  if (!clustered_) return;
  // In the system account, as nats' own cluster traffic: no client of an
  // ordinary account can read it or speak for a node.
  s.subscribe_internal(conn_for(s, srv_.accounts().system()), kDirSubjects, {}, kDirSid, true);
  // Creates other nodes place here, and the answers we relay, in each
  // account with JetStream.
  for (uint32_t acc = 0; acc < srv_.accounts().size(); ++acc)
    if (enabled_for(acc)) {
      s.subscribe_internal(conn_for(s, acc), std::string(kPlacePrefix) + server_id_ + ".>", {}, kPlaceSid, true);
      s.subscribe_internal(conn_for(s, acc), std::string(kRelayPrefix) + server_id_ + ".*", {}, kRelaySid, true);
    }
}

void JetStream::dir_tick(Shard& s) {
  if (!clustered_ || s.id() != 0) return;
  expire_relays(s);
  int64_t now = s.now_ns();
  if (now >= dir_next_full_ns_) {
    dir_next_full_ns_ = now + (dir_peers_.empty() ? kDirAloneEveryNs : kDirEveryNs);
    dir_full(s);
  }
}

}  // namespace ringnats::js
