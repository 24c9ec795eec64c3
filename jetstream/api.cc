// The $JS.API request handlers: shard 0 takes every request, answers those
// the registry can (account info, names, creates' checks) and hands stream
// requests to the stream's owner, which answers them itself. Response JSON
// follows nats-server 2.9 field for field (jetstream_api.go's response
// types); what is not implemented yet answers with an error, never silence.
#include <algorithm>

#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/clock.h"
#include "jetstream/jetstream.h"
#include "jetstream/json_get.h"
#include "jetstream/shard_state.h"
#include "proto/subject.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kApiPrefix = "$JS.API.";
constexpr int kNamesLimit = 1024;
constexpr int kListLimit = 256;

// nats' isEmptyRequest: nothing, "{}", or a JSON object with no keys.
bool empty_request(std::string_view body) {
  if (body.empty() || body == "{}") return true;
  json j = parse_client_json(body);
  return !j.is_discarded() && j.is_object() && j.empty();
}

// A request body into JSON; false for invalid JSON (an empty body is {}).
bool request_json(std::string_view body, json& out) {
  if (body.empty()) {
    out = json::object();
    return true;
  }
  out = parse_client_json(body);
  return !out.is_discarded() && out.is_object();
}

std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

ordered_json error_json(Err e, std::string description) {
  const ErrInfo& info = err_info(e);
  ordered_json j;
  j["code"] = info.code;
  j["err_code"] = info.err_code;
  j["description"] = description.empty() ? std::string(info.description) : std::move(description);
  return j;
}

std::string response_type(std::string_view what) { return "io.nats.jetstream.api.v1." + std::string(what); }

// The response type of a stream or consumer request (none: DIRECT.GET and
// MSG.NEXT, which answer with messages).
const char* response_type_of(std::string_view op) {
  static const std::pair<std::string_view, const char*> kTypes[] = {
      {"STREAM.CREATE.", "stream_create_response"},       {"STREAM.UPDATE.", "stream_update_response"},
      {"STREAM.INFO.", "stream_info_response"},           {"STREAM.DELETE.", "stream_delete_response"},
      {"STREAM.PURGE.", "stream_purge_response"},         {"STREAM.MSG.GET.", "stream_msg_get_response"},
      {"STREAM.MSG.DELETE.", "stream_msg_delete_response"}, {"CONSUMER.CREATE.", "consumer_create_response"},
      {"CONSUMER.DURABLE.CREATE.", "consumer_create_response"}, {"CONSUMER.INFO.", "consumer_info_response"},
      {"CONSUMER.DELETE.", "consumer_delete_response"},   {"CONSUMER.NAMES.", "consumer_names_response"},
      {"CONSUMER.LIST.", "consumer_list_response"}};
  for (const auto& [prefix, type] : kTypes)
    if (op.starts_with(prefix)) return type;
  return nullptr;
}

}  // namespace

void JetStream::answer_error(Shard& s, const ApiRequest& r, const char* type, Err e, std::string description) {
  {
    std::lock_guard<std::mutex> g(mu_);
    ++api_errors_;
  }
  ordered_json j;
  j["type"] = response_type(type);
  j["error"] = error_json(e, std::move(description));
  // Fields nats writes even on error (no omitempty in its response types).
  std::string_view t(type);
  if (t == "stream_info_response" || t == "stream_names_response" || t == "stream_list_response") {
    j["total"] = 0;
    j["offset"] = 0;
    j["limit"] = 0;
    if (t == "stream_names_response") j["streams"] = nullptr;
    if (t == "stream_list_response") j["streams"] = ordered_json::array();
  }
  if (t == "stream_purge_response") j["purged"] = 0;
  queue(state(s), r.account, r.reply, go_json(j));
}

std::string JetStream::account_info(uint32_t account) {
  uint64_t mem = 0, store = 0;
  int streams = 0, consumers = 0;
  uint64_t total, errors;
  {
    std::lock_guard<std::mutex> g(mu_);
    std::string prefix = std::to_string(account);
    prefix += '\0';
    for (const auto& [k, r] : registry_) {
      if (!std::string_view(k).starts_with(prefix)) continue;
      ++streams;
      consumers += r.consumers;
      (r.cfg.storage == Storage::Memory ? mem : store) += r.bytes;
    }
    total = api_total_;
    errors = api_errors_;
  }
  ordered_json j;
  j["type"] = response_type("account_info_response");
  j["memory"] = mem;
  j["storage"] = store;
  j["streams"] = streams;
  j["consumers"] = consumers;
  j["limits"] = {{"max_memory", -1},          {"max_storage", -1},
                 {"max_streams", account_max_streams(account)}, {"max_consumers", account_max_consumers(account)},
                 {"max_ack_pending", -1},     {"memory_max_stream_bytes", -1},
                 {"storage_max_stream_bytes", -1}, {"max_bytes_required", false}};
  if (!opts_.domain.empty()) j["domain"] = opts_.domain;
  j["api"] = {{"total", total}, {"errors", errors}};
  return go_json(j);
}

std::string JetStream::stream_info_json(const Stream& st, const char* type, std::string_view body, bool did_create,
                                        int consumers) {
  json req;
  request_json(body, req);
  ordered_json j;
  j["type"] = response_type(type);
  const bool info = std::string_view(type) == "stream_info_response";
  if (info) {
    j["total"] = 0;
    j["offset"] = 0;
    j["limit"] = 0;
  }
  j["config"] = to_json(st.config());
  j["created"] = go_time(st.created_wall_ns());
  bool typed = true;
  std::string filter = info ? json_str(req, "subjects_filter", typed) : std::string();
  ordered_json state = st.state_json(consumers, filter);
  if (info && state.contains("subjects")) {
    // Paged by subject, in Go's sorted map order.
    constexpr int64_t kSubjectLimit = 100000;
    ordered_json& subs = state["subjects"];
    std::vector<std::pair<std::string, ordered_json>> sorted;
    for (auto it = subs.begin(); it != subs.end(); ++it) sorted.emplace_back(it.key(), it.value());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    int64_t total = static_cast<int64_t>(sorted.size());
    bool ok = true;
    int64_t offset = std::clamp<int64_t>(json_i64(req, "offset", 0, ok), 0, total);
    ordered_json page = ordered_json::object();
    for (int64_t i = offset; i < total && i < offset + kSubjectLimit; ++i)
      page[sorted[static_cast<size_t>(i)].first] = sorted[static_cast<size_t>(i)].second;
    j["total"] = total;
    j["offset"] = offset;
    j["limit"] = kSubjectLimit;
    if (page.empty()) state.erase("subjects");
    else subs = page;
  }
  bool details_ok = true;
  if (info && json_bool(req, "deleted_details", false, details_ok)) {
    std::vector<uint64_t> del;
    st.deleted(del);
    if (!del.empty()) {
      ordered_json reordered;
      for (auto it = state.begin(); it != state.end(); ++it) {
        if (it.key() == "consumer_count") reordered["deleted"] = del;
        reordered[it.key()] = it.value();
      }
      state = reordered;
    }
  }
  j["state"] = state;
  if (!did_create && std::string_view(type) != "stream_create_response" && !opts_.domain.empty())
    j["domain"] = opts_.domain;
  if (did_create) j["did_create"] = true;
  return go_json(j);
}

// Whether `subjects` collide with another stream's in `account`.
bool JetStream::overlaps_other(uint32_t account, std::string_view name, const std::vector<std::string>& subjects) {
  std::lock_guard<std::mutex> g(mu_);
  std::string prefix = std::to_string(account);
  prefix += '\0';
  for (const auto& [k, reg] : registry_) {
    if (!std::string_view(k).starts_with(prefix) || reg.cfg.name == name) continue;
    for (const std::string& a : reg.cfg.subjects)
      for (const std::string& b : subjects)
        if (proto::subjects_collide(a, b)) return true;
  }
  return false;
}

// A purge or a message delete is done for the client once its record is
// written: the answer waits in the stream's queue with the acks.
void JetStream::answer_after_writes(ShardState& st, StreamSlot& slot, const ApiRequest& r, std::string body,
                                    const char* type) {
  uint32_t index = st.by_name[reg_key(r.account, slot.stream->config().name)];
  if (!r.reply.empty()) slot.waiting.push_back(Outgoing{r.reply, std::move(body), -1, {}, {}, type});
  mark_dirty(st, index);
}

// --- shard 0: every request first ------------------------------------------------

void JetStream::api_request(Shard& s, ApiRequest& r) {
  if (!r.subject.starts_with(kApiPrefix)) return;
  std::string_view op = std::string_view(r.subject).substr(kApiPrefix.size());
  if (!enabled_for(r.account)) {
    // nats' answer to every request that has a response type (a pull or a
    // direct get has none: no answer).
    const char* type = op == "INFO"           ? "account_info_response"
                       : op == "STREAM.NAMES" ? "stream_names_response"
                       : op == "STREAM.LIST"  ? "stream_list_response"
                                              : response_type_of(op);
    if (type) answer_error(s, r, type, Err::NotEnabledForAccount);
    return;
  }
  if (clustered_ && !r.at_owner) {
    // This node's member of the $JS.API queue group took the request: a
    // stream held here is answered here, one a peer holds is sent on to it
    // (a peer's interest counts before its directory has come), a new
    // name goes to the node it hashes to.
    int marker;
    std::string_view stream;
    if (stream_of_request(op, marker, stream)) {
      bool known = false, remote = false;
      {
        std::lock_guard<std::mutex> g(mu_);
        auto it = registry_.find(reg_key(r.account, stream));
        known = it != registry_.end();
        remote = known && !it->second.remote.empty();
      }
      const bool create = op.starts_with("STREAM.CREATE.");
      if (known && !remote) {
        // Ours: answered here, below.
      } else if (peer_holds(s, r.account, stream)) {
        return forward_to_holder(s, r, stream);
      } else if (remote) {
        // Its node is away (no route carries its interest): nats' answer for
        // a stream whose servers are down.
        if (const char* type = response_type_of(op)) answer_error(s, r, type, Err::ClusterNotAvail);
        return;
      } else if (create && !r.placed) {
        if (std::string target = placement_target(s, r.account, stream); !target.empty())
          return place_create(s, r, target);
      }
    }
  }
  // Account info shows the counts from before this request, as nats'.
  if (op == "INFO") queue(state(s), r.account, r.reply, account_info(r.account));
  {
    std::lock_guard<std::mutex> g(mu_);
    ++api_total_;
  }
  if (op == "INFO") return;
  if (op == "STREAM.NAMES" || op == "STREAM.LIST") {
    bool names = op == "STREAM.NAMES";
    const char* type = names ? "stream_names_response" : "stream_list_response";
    json req;
    if (!request_json(r.body, req)) return answer_error(s, r, type, Err::InvalidJSON);
    bool ok = true;
    std::string filter = json_str(req, "subject", ok);
    int64_t offset = json_i64(req, "offset", 0, ok);
    if (!ok) return answer_error(s, r, type, Err::InvalidJSON);
    if (!names) return list_streams(s, r);
    std::vector<std::string> found;
    {
      std::lock_guard<std::mutex> g(mu_);
      std::string prefix = std::to_string(r.account);
      prefix += '\0';
      for (const auto& [k, reg] : registry_) {
        if (!std::string_view(k).starts_with(prefix)) continue;
        bool match = filter.empty();
        for (const std::string& subj : reg.cfg.subjects) match = match || proto::subjects_collide(filter, subj);
        if (match) found.push_back(reg.cfg.name);
      }
    }
    std::sort(found.begin(), found.end());
    int64_t total = static_cast<int64_t>(found.size());
    offset = std::clamp<int64_t>(offset, 0, total);
    ordered_json j;
    j["type"] = response_type(type);
    j["total"] = total;
    j["offset"] = offset;
    j["limit"] = kNamesLimit;
    ordered_json list = ordered_json::array();
    for (int64_t i = offset; i < total && i < offset + kNamesLimit; ++i) list.push_back(found[static_cast<size_t>(i)]);
    j["streams"] = list.empty() ? ordered_json(nullptr) : list;
    queue(state(s), r.account, r.reply, go_json(j));
    return;
  }
  // Stream-scoped: $JS.API.STREAM.<OP>.<name>, STREAM.MSG.<OP>.<name>, DIRECT.GET.<name>[.<subject>].
  std::string_view rest;
  const char* type = nullptr;
  auto scoped = [&](std::string_view prefix, const char* t) {
    if (!op.starts_with(prefix)) return false;
    rest = op.substr(prefix.size());
    type = t;
    return true;
  };
  if (scoped("STREAM.CREATE.", "stream_create_response") || scoped("STREAM.UPDATE.", "stream_update_response") ||
      scoped("STREAM.INFO.", "stream_info_response") || scoped("STREAM.DELETE.", "stream_delete_response") ||
      scoped("STREAM.PURGE.", "stream_purge_response") || scoped("STREAM.MSG.GET.", "stream_msg_get_response") ||
      scoped("STREAM.MSG.DELETE.", "stream_msg_delete_response") || scoped("DIRECT.GET.", nullptr)) {
    std::string name(rest.substr(0, type ? std::string_view::npos : rest.find('.')));
    if (type && name.find('.') != std::string::npos) return;  // not an API subject nats answers
    if (op.starts_with("STREAM.CREATE.")) {
      StreamConfig in, cfg;
      if (auto e = parse_stream_config(r.body, in)) return answer_error(s, r, type, e->err, e->description);
      if (in.name != name) return answer_error(s, r, type, Err::StreamMismatch);
      if (name.find_first_of("\\/") != std::string::npos)
        return answer_error(s, r, type, Err::StreamNameContainsPathSeparators);
      if (in.sealed)
        return answer_error(s, r, type, Err::StreamInvalidConfigF, "stream configuration for create can not be sealed");
      if (in.mirror_direct)
        return answer_error(s, r, type, Err::StreamInvalidConfigF, "stream has no mirror but does have mirror direct");
      if (auto e = check_stream_config(in, cfg)) return answer_error(s, r, type, e->err, e->description);
      {
        std::lock_guard<std::mutex> g(mu_);
        auto it = registry_.find(reg_key(r.account, name));
        if (it == registry_.end()) {
          std::string prefix = std::to_string(r.account);
          prefix += '\0';
          // answer_error takes mu_, held here.
          auto refuse = [&](Err e) {
            ++api_errors_;
            ordered_json j;
            j["type"] = response_type(type);
            j["error"] = error_json(e, {});
            queue(state(s), r.account, r.reply, go_json(j));
          };
          if (int64_t max = account_max_streams(r.account); max >= 0) {
            int64_t have = 0;
            for (const auto& [k, reg] : registry_) have += std::string_view(k).starts_with(prefix);
            if (have >= max) return refuse(Err::MaximumStreamsLimit);
          }
          for (const auto& [k, reg] : registry_) {
            if (!std::string_view(k).starts_with(prefix)) continue;
            for (const std::string& a : reg.cfg.subjects)
              for (const std::string& b : cfg.subjects)
                if (proto::subjects_collide(a, b)) return refuse(Err::StreamSubjectOverlap);
          }
          Registered& reg = registry_[reg_key(r.account, name)];
          reg.owner = owner_of(name);
          reg.cfg = cfg;
        }
        // An existing stream: its owner answers (same config: its info;
        // another: the name is in use).
      }
    }
    int owner = owner_of(name);
    ApiRequest fwd = std::move(r);
    s.push_fn(owner, [this, fwd = std::move(fwd)](Shard& o) mutable {
      state(o).stream_ops.push_back(std::move(fwd));
    });
    return;
  }
  // Clustering operations: nats-server without a JetStream cluster answers so.
  for (auto [prefix, type] : {std::pair{"STREAM.LEADER.STEPDOWN.", "stream_leader_stepdown_response"},
                              std::pair{"CONSUMER.LEADER.STEPDOWN.", "consumer_leader_stepdown_response"},
                              std::pair{"STREAM.PEER.REMOVE.", "stream_remove_peer_response"},
                              std::pair{"META.LEADER.STEPDOWN", "meta_leader_stepdown_response"},
                              std::pair{"SERVER.REMOVE", "meta_server_remove_response"}})
    if (op.starts_with(prefix)) return answer_error(s, r, type, Err::ClusterRequired);
  if (op.starts_with("CONSUMER.")) {
    // The stream's owner answers: its name is the 5th token, or the 6th
    // after DURABLE.CREATE and MSG.NEXT.
    std::string_view rest = op.substr(9);
    bool deeper = rest.starts_with("DURABLE.CREATE.") || rest.starts_with("MSG.NEXT.");
    size_t skip = deeper ? 2 : 1;
    size_t at = 0;
    for (size_t i = 0; i < skip && at != std::string_view::npos; ++i) {
      at = rest.find('.', at);
      if (at != std::string_view::npos) ++at;
    }
    if (at == std::string_view::npos || at >= rest.size()) return;
    std::string_view stream = rest.substr(at, rest.find('.', at) - at);
    if (stream.empty()) return;
    ApiRequest fwd = std::move(r);
    s.push_fn(owner_of(stream), [this, fwd = std::move(fwd)](Shard& o) mutable {
      state(o).stream_ops.push_back(std::move(fwd));
    });
  }
}

// --- on the stream's owner ----------------------------------------------------------

void JetStream::stream_request(Shard& s, ApiRequest& r) {
  std::string_view op = std::string_view(r.subject).substr(kApiPrefix.size());
  ShardState& st = state(s);
  if (op.starts_with("CONSUMER.")) return consumer_request(s, r);
  auto name_after = [&](std::string_view prefix) { return std::string(op.substr(prefix.size())); };

  if (op.starts_with("STREAM.CREATE.")) {
    StreamConfig in, cfg;
    parse_stream_config(r.body, in);
    check_stream_config(in, cfg);
    return create_stream(s, r, cfg);
  }
  if (op.starts_with("DIRECT.GET.")) {
    std::string_view rest = op.substr(11);
    std::string name(rest.substr(0, rest.find('.')));
    std::string last_for = rest.find('.') == std::string_view::npos ? std::string() : std::string(rest.substr(rest.find('.') + 1));
    StreamSlot* slot = slot_of(st, r.account, name);
    if (!slot || !slot->stream->config().allow_direct) return;  // nats has no responder then
    auto status = [&](std::string_view line) {
      std::string h = "NATS/1.0 " + std::string(line) + "\r\n\r\n";
      int64_t n = static_cast<int64_t>(h.size());
      queue(st, r.account, r.reply, std::move(h), n);
    };
    json req;
    StoredMsg m;
    bool found = false;
    if (!last_for.empty()) {
      if (!r.body.empty()) return status("408 Bad Request");
      found = slot->stream->store().load_last(last_for, m);
    } else {
      if (empty_request(r.body)) return status("408 Empty Request");
      if (!request_json(r.body, req)) return status("408 Malformed Request");
      bool ok = true;
      uint64_t seq = json_u64(req, "seq", ok);
      std::string lf = json_str(req, "last_by_subj", ok), nf = json_str(req, "next_by_subj", ok);
      if (!ok) return status("408 Malformed Request");
      if ((seq > 0 && !lf.empty()) || (!lf.empty() && !nf.empty())) return status("408 Bad Request");
      if (seq == 0 && lf.empty() && nf.empty()) return status("408 Empty Request");
      if (!lf.empty()) found = slot->stream->store().load_last(lf, m);
      else if (!nf.empty()) found = slot->stream->store().load_next(nf, seq, m);
      else found = slot->stream->store().load(seq, m);
    }
    if (!found) return status("404 Message Not Found");

    std::string hdr = m.hdr.empty() ? std::string("NATS/1.0\r\n\r\n") : m.hdr;
    hdr.resize(hdr.size() - 2);
    hdr += "Nats-Stream: " + name + "\r\nNats-Subject: " + m.subject + "\r\nNats-Sequence: " + std::to_string(m.seq) +
           "\r\nNats-Time-Stamp: " + go_time(m.ts_ns) + "\r\n\r\n";
    int64_t hlen = static_cast<int64_t>(hdr.size());
    return queue(st, r.account, r.reply, hdr + m.data, hlen);
  }

  const char* type = op.starts_with("STREAM.UPDATE.")       ? "stream_update_response"
                     : op.starts_with("STREAM.INFO.")       ? "stream_info_response"
                     : op.starts_with("STREAM.DELETE.")     ? "stream_delete_response"
                     : op.starts_with("STREAM.PURGE.")      ? "stream_purge_response"
                     : op.starts_with("STREAM.MSG.GET.")    ? "stream_msg_get_response"
                     : op.starts_with("STREAM.MSG.DELETE.") ? "stream_msg_delete_response"
                                                            : nullptr;
  if (!type) return;
  std::string name = name_after(op.substr(0, op.rfind('.') + 1));
  StreamSlot* slot = slot_of(st, r.account, name);
  if (!slot) return answer_error(s, r, type, Err::StreamNotFound);
  Stream& stream = *slot->stream;
  json req;

  if (op.starts_with("STREAM.INFO.")) {
    if (!request_json(r.body, req)) return answer_error(s, r, type, Err::InvalidJSON);
    bool ok = true;
    json_str(req, "subjects_filter", ok);
    json_i64(req, "offset", 0, ok);
    json_bool(req, "deleted_details", false, ok);
    if (!ok) return answer_error(s, r, type, Err::InvalidJSON);
    return queue(st, r.account, r.reply,
                 stream_info_json(stream, type, r.body, false, static_cast<int>(slot->consumers.size())));
  }
  if (op.starts_with("STREAM.UPDATE.")) {
    StreamConfig in, cfg;
    if (auto e = parse_stream_config(r.body, in)) return answer_error(s, r, type, e->err, e->description);
    if (in.name != name) return answer_error(s, r, type, Err::StreamMismatch);
    if (auto e = check_stream_config(in, cfg)) return answer_error(s, r, type, e->err, e->description);
    if (auto e = check_stream_update(stream.config(), cfg)) return answer_error(s, r, type, e->err, e->description);
    if (overlaps_other(r.account, name, cfg.subjects)) return answer_error(s, r, type, Err::StreamSubjectOverlap);
    uint32_t index = st.by_name[reg_key(r.account, name)];
    bool resubscribe = cfg.subjects != stream.config().subjects;
    if (resubscribe) unsubscribe_stream(s, *slot, index);
    stream.update(cfg, wall_ns());
    if (stream.config().storage == Storage::File) {
      std::string err;
      if (!write_meta(stream, err)) log::error("JetStream: %s", err.c_str());
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      registry_[reg_key(r.account, name)].cfg = cfg;
    }
    slot->changed = true;
    dir_added(s, *slot);
    std::string body = stream_info_json(stream, type, {}, false, static_cast<int>(slot->consumers.size()));
    if (resubscribe) {
      slot->nsubs = 0;
      subscribe_stream(s, *slot, index);
      return queue_after_subs(s, r.account, r.reply, std::move(body));
    }
    return queue(st, r.account, r.reply, std::move(body));
  }
  if (op.starts_with("STREAM.DELETE.")) {
    if (!r.body.empty()) return answer_error(s, r, type, Err::NotEmptyRequest);
    uint32_t index = st.by_name[reg_key(r.account, name)];
    drop_stream(s, index);
    ordered_json j;
    j["type"] = response_type(type);
    j["success"] = true;
    return queue(st, r.account, r.reply, go_json(j));
  }
  if (op.starts_with("STREAM.PURGE.")) {
    if (stream.config().sealed) return answer_error(s, r, type, Err::StreamSealed);
    if (stream.config().deny_purge) return answer_error(s, r, type, Err::StreamPurgeFailedF,
                                                        err_description(Err::StreamPurgeFailedF, {{"err", "stream purge not permitted"}}));
    if (!request_json(r.body, req)) return answer_error(s, r, type, Err::InvalidJSON);
    bool ok = true;
    uint64_t seq = json_u64(req, "seq", ok), keep = json_u64(req, "keep", ok);
    std::string filter = json_str(req, "filter", ok);
    if (!ok) return answer_error(s, r, type, Err::InvalidJSON);
    if (seq > 0 && keep > 0) return answer_error(s, r, type, Err::BadRequest);
    uint64_t purged = stream.store().purge(filter, seq, keep);
    for (auto& c : slot->consumers) c->on_removed();
    ordered_json j;
    j["type"] = response_type(type);
    j["success"] = true;
    j["purged"] = purged;
    return answer_after_writes(st, *slot, r, go_json(j), "stream_purge_response");
  }
  if (op.starts_with("STREAM.MSG.GET.")) {
    if (empty_request(r.body)) return answer_error(s, r, type, Err::BadRequest);
    if (!request_json(r.body, req)) return answer_error(s, r, type, Err::InvalidJSON);
    bool ok = true;
    uint64_t seq = json_u64(req, "seq", ok);
    std::string last_for = json_str(req, "last_by_subj", ok), next_for = json_str(req, "next_by_subj", ok);
    if (!ok) return answer_error(s, r, type, Err::InvalidJSON);
    if ((seq > 0 && !last_for.empty()) || (seq == 0 && last_for.empty() && next_for.empty()) ||
        (!last_for.empty() && !next_for.empty()))
      return answer_error(s, r, type, Err::BadRequest);
    StoredMsg m;
    bool found = seq > 0 && next_for.empty() ? stream.store().load(seq, m)
                 : !next_for.empty()         ? stream.store().load_next(next_for, seq, m)
                                             : stream.store().load_last(last_for, m);
    if (!found) return answer_error(s, r, type, Err::NoMessageFound);
    ordered_json msg;
    msg["subject"] = m.subject;
    msg["seq"] = m.seq;
    if (!m.hdr.empty()) msg["hdrs"] = base64(m.hdr);
    if (!m.data.empty()) msg["data"] = base64(m.data);
    msg["time"] = go_time(m.ts_ns);
    ordered_json j;
    j["type"] = response_type(type);
    j["message"] = msg;
    return queue(st, r.account, r.reply, go_json(j));
  }
  if (op.starts_with("STREAM.MSG.DELETE.")) {
    if (empty_request(r.body)) return answer_error(s, r, type, Err::BadRequest);
    if (!request_json(r.body, req)) return answer_error(s, r, type, Err::InvalidJSON);
    if (stream.config().sealed) return answer_error(s, r, type, Err::StreamSealed);
    if (stream.config().deny_delete)
      return answer_error(s, r, type, Err::StreamMsgDeleteFailedF, "message delete not permitted");
    bool ok = true;
    uint64_t seq = json_u64(req, "seq", ok);
    if (!ok) return answer_error(s, r, type, Err::InvalidJSON);
    StoredMsg gone;
    bool had = stream.store().load(seq, gone);
    if (!had || !stream.store().remove(seq)) {
      StoreState ss = stream.store().state();
      // nats' memory store reports it by sequence, the file store by cause.
      if (stream.config().storage == Storage::Memory)
        return answer_error(s, r, type, Err::SequenceNotFound,
                            err_description(Err::SequenceNotFound, {{"seq", std::to_string(seq)}}));
      return answer_error(s, r, type, Err::StreamMsgDeleteFailedF,
                          seq > ss.last_seq ? "stream store EOF" : "no message found");
    }
    for (auto& c : slot->consumers) c->on_deleted(seq, gone.subject);
    ordered_json j;
    j["type"] = response_type(type);
    j["success"] = true;
    return answer_after_writes(st, *slot, r, go_json(j), "stream_msg_delete_response");
  }
}

void JetStream::create_stream(Shard& s, ApiRequest& r, const StreamConfig& cfg) {
  const char* type = "stream_create_response";
  ShardState& st = state(s);
  if (StreamSlot* slot = slot_of(st, r.account, cfg.name)) {
    // Created before: the same configuration is a success (nats answers
    // with the stream's info), another one an error.
    if (to_json(slot->stream->config()) == to_json(cfg))
      return queue(st, r.account, r.reply,
                   stream_info_json(*slot->stream, type, {}, true, static_cast<int>(slot->consumers.size())));
    return answer_error(s, r, type, Err::StreamNameExist);
  }
  // Checked again here: shard 0 may have seen a stream that was being
  // deleted (or created) by requests still on their way to their owners.
  if (overlaps_other(r.account, cfg.name, cfg.subjects)) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = registry_.find(reg_key(r.account, cfg.name));
    if (it != registry_.end() && it->second.owner == s.id() && !slot_of(st, r.account, cfg.name)) registry_.erase(it);
    ++api_errors_;
    ordered_json j;
    j["type"] = response_type(type);
    j["error"] = error_json(Err::StreamSubjectOverlap, {});
    return queue(st, r.account, r.reply, go_json(j));
  }
  std::unique_ptr<Store> store;
  std::string dir = stream_dir(r.account, cfg.name), err;
  if (cfg.storage == Storage::Memory) {
    store = make_memory_store();
  } else {
    store = open_file_store(dir, kBlockSize, err);
  }
  auto unregister = [&] {
    std::lock_guard<std::mutex> g(mu_);
    registry_.erase(reg_key(r.account, cfg.name));
  };
  if (!store) {
    unregister();
    log::warn("Stream create failed for '%s > %s': %s", srv_.accounts().at(r.account).name.c_str(), cfg.name.c_str(),
              err.c_str());
    return answer_error(s, r, type, Err::StreamCreate, "error creating store for stream: " + err);
  }
  auto stream = std::make_unique<Stream>(r.account, cfg, std::move(store), wall_ns(), dir, opts_.domain);
  if (cfg.storage == Storage::File && !write_meta(*stream, err)) {
    unregister();
    stream->store().destroy();
    return answer_error(s, r, type, Err::StreamCreate, err);
  }
  uint32_t index = adopt(s, std::move(stream));
  dir_added(s, *st.slots[index]);
  queue_after_subs(s, r.account, r.reply, stream_info_json(*st.slots[index]->stream, type, {}, true));
}

void JetStream::list_streams(Shard& s, ApiRequest& r) {
  // Each owner renders its streams' info; shard 0 collects and answers.
  struct Job {
    ApiRequest req;
    int left;
    std::vector<std::pair<std::string, ordered_json>> found;
    std::string filter;
    int64_t offset;
  };
  json req;
  request_json(r.body, req);
  auto job = std::make_shared<Job>();
  bool ok = true;
  job->filter = json_str(req, "subject", ok);
  job->offset = json_i64(req, "offset", 0, ok);
  job->req = std::move(r);
  job->left = nshards_;
  for (int i = 0; i < nshards_; ++i) {
    s.push_fn(i, [this, job](Shard& o) {
      ShardState& st = state(o);
      std::vector<std::pair<std::string, ordered_json>> mine;
      for (auto& slot : st.slots) {
        if (!slot->stream || slot->doomed || slot->stream->account() != job->req.account) continue;
        bool match = job->filter.empty();
        for (const std::string& subj : slot->stream->config().subjects)
          match = match || proto::subjects_collide(job->filter, subj);
        if (!match) continue;
        ordered_json info;
        info["config"] = to_json(slot->stream->config());
        info["created"] = go_time(slot->stream->created_wall_ns());
        info["state"] = slot->stream->state_json(static_cast<int>(slot->consumers.size()));
        mine.emplace_back(slot->stream->config().name, std::move(info));
      }
      o.push_fn(0, [this, job, mine = std::move(mine)](Shard& z) mutable {
        for (auto& e : mine) job->found.push_back(std::move(e));
        if (--job->left > 0) return;
        {
          // Streams on the cluster's other nodes, as their directory told.
          std::lock_guard<std::mutex> g(mu_);
          std::string prefix = std::to_string(job->req.account);
          prefix += '\0';
          for (const auto& [k, reg] : registry_) {
            if (reg.remote.empty() || !std::string_view(k).starts_with(prefix)) continue;
            bool match = job->filter.empty();
            for (const std::string& subj : reg.cfg.subjects) match = match || proto::subjects_collide(job->filter, subj);
            ordered_json info = ordered_json::parse(reg.remote_info, nullptr, false);
            if (match && !info.is_discarded()) job->found.emplace_back(reg.cfg.name, std::move(info));
          }
        }
        std::sort(job->found.begin(), job->found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        int64_t total = static_cast<int64_t>(job->found.size());
        int64_t offset = std::clamp<int64_t>(job->offset, 0, total);
        ordered_json j;
        j["type"] = response_type("stream_list_response");
        j["total"] = total;
        j["offset"] = offset;
        j["limit"] = kListLimit;
        ordered_json list = ordered_json::array();
        for (int64_t i = offset; i < total && i < offset + kListLimit; ++i)
          list.push_back(std::move(job->found[static_cast<size_t>(i)].second));
        j["streams"] = list;
        queue(state(z), job->req.account, job->req.reply, go_json(j));
      });
    });
  }
}

}  // namespace ringnats::js
