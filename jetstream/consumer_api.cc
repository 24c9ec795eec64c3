// Consumers on the stream's owner shard: the $JS.API.CONSUMER requests
// (create in its four subject forms, info, names, list, delete, next), their
// files (obs/<name>/meta.json and its state), and the turn's work for them:
// delivery, timers, retention on ack. JSON as nats-server 2.9.10's.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/clock.h"
#include "core/log.h"
#include "core/server.h"
#include "jetstream/jetstream.h"
#include "jetstream/json_get.h"
#include "jetstream/shard_state.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kApiPrefix = "$JS.API.";

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

std::string random_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string n;
  for (int i = 0; i < 8; ++i) n += kDigits[rng() % 62];
  return n;
}

std::string type_of(std::string_view what) { return "io.nats.jetstream.api.v1." + std::string(what); }

ordered_json error_json(Err e, const std::string& description) {
  const ErrInfo& info = err_info(e);
  ordered_json j;
  j["code"] = info.code;
  j["err_code"] = info.err_code;
  j["description"] = description.empty() ? std::string(info.description) : description;
  return j;
}

}  // namespace

// --- files -------------------------------------------------------------------------

bool JetStream::write_consumer_meta(const Stream& st, const Consumer& c, std::string& err) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(c.dir(), ec);
  ordered_json j;
  j["name"] = c.name();
  j["config"] = to_json(c.config());
  j["created"] = c.created_wall_ns();
  std::string path = c.dir() + "/meta.json", tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << go_json(j);
    if (!f) {
      err = "could not write " + tmp;
      return false;
    }
  }
  (void)st;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "could not rename " + tmp;
    return false;
  }
  return true;
}

void JetStream::recover_consumers(Stream& st, std::vector<std::unique_ptr<Consumer>>& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path obs = fs::path(st.dir()) / "obs";
  if (!fs::is_directory(obs, ec)) return;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(obs, ec)) dirs.push_back(e.path());
  if (dirs.empty()) return;
  log::notice("  Recovering %zu consumers for stream - '%s > %s'", dirs.size(),
              srv_.accounts().at(st.account()).name.c_str(), st.config().name.c_str());
  for (const fs::path& d : dirs) {
    std::ifstream f(d / "meta.json");
    std::stringstream ss;
    ss << f.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.contains("config") || !j.contains("name")) continue;
    ConsumerConfig cfg;
    std::string stream_name;
    json req = {{"stream_name", st.config().name}, {"config", j["config"]}};
    if (parse_consumer_request(req.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace), stream_name, cfg))
      continue;
    bool ok = true;
    if (!j["name"].is_string()) continue;
    auto c = std::make_unique<Consumer>(st, j["name"].get<std::string>(), cfg, json_i64(j, "created", 0, ok),
                                        d.string());
    ConsumerState state;
    std::string err;
    if (load_consumer_state((d / "o.dat").string(), state, err)) c->restore(state);
    else c->start_position();
    out.push_back(std::move(c));
  }
}

void JetStream::save_consumers(StreamSlot& slot, bool durable) {
  for (auto& c : slot.consumers) {
    if (c->dir().empty() || (!c->state_changed() && !durable)) continue;
    std::string err;
    if (save_consumer_state(c->dir() + "/o.dat", c->state(), err, durable)) c->state_saved();
    else log::warn("JetStream: consumer state of '%s' not saved: %s", c->name().c_str(), err.c_str());
  }
}

// --- the turn's work ------------------------------------------------------------------

void JetStream::pump_consumers(Shard& s, StreamSlot& slot) {
  DirectOutbox out(s, *this, slot.stream->account());
  int64_t now = wall_ns();
  for (auto& c : slot.consumers) c->pump(slot.durable_last, now, out);
  sweep_interest(state(s), slot);
}

void JetStream::consumer_timers(Shard& s, StreamSlot& slot, int64_t now) {
  DirectOutbox out(s, *this, slot.stream->account());
  std::vector<std::string> gone;
  for (auto& c : slot.consumers) {
    c->timer(now, out);
    if (c->expired(now, out)) gone.push_back(c->name());
  }
  for (const std::string& name : gone) delete_consumer(s, slot, name);
  for (auto& c : slot.consumers)
    if (c->wants_pump()) {
      c->pump(slot.durable_last, now, out);
    }
}

void JetStream::retire_acked(ShardState& st, StreamSlot& slot, const std::vector<uint64_t>& acked) {
  Retention r = slot.stream->config().retention;
  if (r == Retention::Limits) return;
  bool removed = false;
  for (uint64_t seq : acked) {
    if (r == Retention::Interest) {
      StoredMsg m;
      if (!slot.stream->store().load(seq, m)) continue;
      bool all = true;
      for (auto& other : slot.consumers)
        if (other->wants(m.subject) && !other->done_with(seq)) all = false;
      if (!all) continue;
    }
    removed = slot.stream->store().remove(seq) || removed;
  }
  // The removals are records to write, like appends.
  if (removed) mark_dirty(st, slot.index);
}

void JetStream::sweep_interest(ShardState& st, StreamSlot& slot) {
  if (slot.stream->config().retention != Retention::Interest) return;
  Store& store = slot.stream->store();
  bool removed = false;
  StoredMsg m;
  for (int n = 0; n < 100000 && store.state().msgs > 0; ++n) {
    if (!store.load_next({}, store.state().first_seq, m) || m.seq > slot.durable_last) break;
    bool done = true;
    for (auto& c : slot.consumers)
      if (c->wants(m.subject) && !c->done_with(m.seq)) done = false;
    if (!done || !store.remove(m.seq)) break;
    removed = true;
  }
  if (removed) mark_dirty(st, slot.index);
}

void JetStream::add_consumer(Shard& s, StreamSlot& slot, std::unique_ptr<Consumer> c) {
  (void)s;
  slot.consumers.push_back(std::move(c));
  std::lock_guard<std::mutex> g(mu_);
  auto it = registry_.find(reg_key(slot.stream->account(), slot.stream->config().name));
  if (it != registry_.end()) it->second.consumers = static_cast<int>(slot.consumers.size());
}

void JetStream::delete_consumer(Shard& s, StreamSlot& slot, const std::string& name) {
  DirectOutbox out(s, *this, slot.stream->account());
  for (auto it = slot.consumers.begin(); it != slot.consumers.end(); ++it) {
    if ((*it)->name() != name) continue;
    (*it)->deleting(out);
    if (!(*it)->dir().empty()) {
      std::error_code ec;
      std::filesystem::remove_all((*it)->dir(), ec);
    }
    slot.consumers.erase(it);
    break;
  }
  sweep_interest(state(s), slot);
  std::lock_guard<std::mutex> g(mu_);
  auto it = registry_.find(reg_key(slot.stream->account(), slot.stream->config().name));
  if (it != registry_.end()) it->second.consumers = static_cast<int>(slot.consumers.size());
}

// --- requests --------------------------------------------------------------------------

void JetStream::consumer_request(Shard& s, ApiRequest& r) {
  ShardState& st = state(s);
  std::string_view op = std::string_view(r.subject).substr(kApiPrefix.size());  // CONSUMER....
  std::vector<std::string_view> t = tokens(r.subject);  // $JS API CONSUMER ...
  auto answer = [&](const char* type, ordered_json body) {
    ordered_json j;
    j["type"] = type_of(type);
    for (auto it = body.begin(); it != body.end(); ++it) j[it.key()] = it.value();
    queue(st, r.account, r.reply, go_json(j));
  };
  auto fail = [&](const char* type, Err e, const std::string& description = {}, bool paged = false,
                  const char* list = nullptr) {
    {
      std::lock_guard<std::mutex> g(mu_);
      ++api_errors_;
    }
    ordered_json j;
    j["type"] = type_of(type);
    j["error"] = error_json(e, description);
    if (paged) {
      j["total"] = 0;
      j["offset"] = 0;
      j["limit"] = 0;
    }
    if (list) j[list] = ordered_json::array();
    queue(st, r.account, r.reply, go_json(j));
  };
  auto find_slot = [&](std::string_view stream) -> StreamSlot* { return slot_of(st, r.account, stream); };
  const int64_t now = wall_ns();

  if (op.starts_with("CONSUMER.MSG.NEXT.")) {
    if (t.size() != 7) return;
    StreamSlot* slot = find_slot(t[5]);
    if (!slot) return;  // nats: no answer
    Consumer* c = slot->consumer(t[6]);
    if (!c) return;
    DirectOutbox out(s, *this, r.account);
    c->pull(r.reply, r.body, now, out);
    c->pump(slot->durable_last, now, out);
    return;
  }
  if (op.starts_with("CONSUMER.INFO.") || op.starts_with("CONSUMER.DELETE.")) {
    bool info = op.starts_with("CONSUMER.INFO.");
    const char* type = info ? "consumer_info_response" : "consumer_delete_response";
    if (t.size() != 6) return;
    if (!r.body.empty()) return fail(type, Err::NotEmptyRequest);
    StreamSlot* slot = find_slot(t[4]);
    if (!slot) return fail(type, Err::StreamNotFound);
    Consumer* c = slot->consumer(t[5]);
    if (!c) return fail(type, Err::ConsumerNotFound);
    if (info) {
      ordered_json body = c->info(now);
      if (c->config().push() && s.has_interest(r.account, c->config().deliver_subject)) body["push_bound"] = true;
      return answer(type, body);
    }
    delete_consumer(s, *slot, std::string(t[5]));
    return answer(type, {{"success", true}});
  }
  if (op.starts_with("CONSUMER.NAMES.") || op.starts_with("CONSUMER.LIST.")) {
    bool names = op.starts_with("CONSUMER.NAMES.");
    const char* type = names ? "consumer_names_response" : "consumer_list_response";
    if (t.size() != 5) return;
    json req = json::object();
    if (!r.body.empty()) {
      req = json::parse(r.body, nullptr, false);
      if (req.is_discarded() || !req.is_object()) return fail(type, Err::InvalidJSON, {}, true, "consumers");
    }
    StreamSlot* slot = find_slot(t[4]);
    if (!slot) return fail(type, Err::StreamNotFound, {}, true, "consumers");
    std::vector<Consumer*> all;
    for (auto& c : slot->consumers) all.push_back(c.get());
    std::sort(all.begin(), all.end(), [](Consumer* a, Consumer* b) { return a->name() < b->name(); });
    int64_t limit = names ? 1024 : 256, total = static_cast<int64_t>(all.size());
    bool ok = true;
    int64_t offset = std::clamp<int64_t>(json_i64(req, "offset", 0, ok), 0, total);
    if (!ok) return fail(type, Err::InvalidJSON, {}, true, "consumers");
    ordered_json list = ordered_json::array();
    for (int64_t i = offset; i < total && i < offset + limit; ++i) {
      if (names) list.push_back(all[static_cast<size_t>(i)]->name());
      else list.push_back(all[static_cast<size_t>(i)]->info(now));
    }
    ordered_json body;
    body["total"] = total;
    body["offset"] = offset;
    body["limit"] = limit;
    body["consumers"] = list;
    return answer(type, body);
  }
  // Create: CONSUMER.CREATE.<stream>[.<name>[.<filter>...]], CONSUMER.DURABLE.CREATE.<stream>.<durable>
  const char* type = "consumer_create_response";
  bool durable_form = op.starts_with("CONSUMER.DURABLE.CREATE.");
  if (!durable_form && !op.starts_with("CONSUMER.CREATE.")) return;
  std::string stream_name, config_stream;
  ConsumerConfig cfg;
  if (r.body.empty()) return fail(type, Err::InvalidJSON);
  if (auto e = parse_consumer_request(r.body, config_stream, cfg)) return fail(type, e->err, e->description);
  std::string name, filter;
  if (durable_form) {
    if (t.size() != 7) return;
    stream_name = t[5];
    name = t[6];
  } else {
    if (t.size() < 5) return;
    stream_name = t[4];
    if (t.size() >= 6) name = t[5];
    if (t.size() >= 8) {
      for (size_t i = 6; i < t.size(); ++i) filter += (i > 6 ? "." : "") + std::string(t[i]);
    }
  }
  if (config_stream != stream_name) return fail(type, Err::StreamMismatch);
  if (name.find_first_of("\\/") != std::string::npos) return fail(type, Err::ConsumerNameContainsPathSeparators);
  if (durable_form) {
    if (cfg.durable.empty()) return fail(type, Err::ConsumerDurableNameNotSet);
    if (cfg.durable != name) return fail(type, Err::ConsumerDurableNameNotMatchSubject);
  } else if (t.size() == 5) {
    if (!cfg.durable.empty()) return fail(type, Err::ConsumerEphemeralWithDurableName);
    name = !cfg.name.empty() ? cfg.name : random_name();
  } else {
    if (!cfg.durable.empty() && cfg.durable != name) return fail(type, Err::ConsumerDurableNameNotMatchSubject);
    cfg.name = name;
    if (!filter.empty() && filter != cfg.filter_subject) return fail(type, Err::ConsumerCreateFilterSubjectMismatch);
  }
  if (cfg.replicas > 1) return fail(type, Err::StreamReplicasNotSupported);
  StreamSlot* slot = find_slot(stream_name);
  if (!slot) return fail(type, Err::StreamNotFound);
  Stream& stream = *slot->stream;
  default_consumer_config(cfg, cfg.durable.empty());
  if (auto e = check_consumer_config(cfg, stream.config())) return fail(type, e->err, e->description);
  if (!valid_name(name)) return fail(type, Err::ConsumerBadDurableName);
  if (Consumer* existing = slot->consumer(name)) {
    if (auto e = check_consumer_update(existing->config(), cfg)) return fail(type, e->err, e->description);
    existing->set_config(cfg);
    std::string err;
    if (!existing->dir().empty()) write_consumer_meta(stream, *existing, err);
    ordered_json body = existing->info(now);
    return answer(type, body);
  }
  if (stream.config().max_consumers > 0 &&
      static_cast<int64_t>(slot->consumers.size()) >= stream.config().max_consumers)
    return fail(type, Err::MaximumConsumersLimit);
  if (int64_t max = account_max_consumers(r.account); max >= 0) {
    // The account's consumers on every stream, as the registry counts them.
    int64_t have = 0;
    std::string prefix = std::to_string(r.account);
    prefix += '\0';
    {
      std::lock_guard<std::mutex> g(mu_);
      for (const auto& [k, reg] : registry_)
        if (std::string_view(k).starts_with(prefix)) have += reg.consumers;
    }
    if (have >= max) return fail(type, Err::MaximumConsumersLimit);
  }
  if (stream.config().retention == Retention::WorkQueue) {
    for (auto& other : slot->consumers) {
      if (cfg.filter_subject.empty() || other->config().filter_subject.empty())
        return fail(type, Err::ConsumerWQMultipleUnfiltered);
      if (proto::subjects_collide(cfg.filter_subject, other->config().filter_subject))
        return fail(type, Err::ConsumerWQConsumerNotUnique);
    }
  }
  std::string dir = !cfg.durable.empty() && stream.config().storage == Storage::File && !cfg.mem_storage
                        ? stream.dir() + "/obs/" + name
                        : std::string();
  auto c = std::make_unique<Consumer>(stream, name, cfg, now, dir);
  c->start_position();
  std::string err;
  if (!dir.empty() && !write_consumer_meta(stream, *c, err)) return fail(type, Err::ConsumerCreate, err);
  ordered_json body = c->info(now);
  add_consumer(s, *slot, std::move(c));
  answer(type, body);
  queue_pump(st, st.by_name[reg_key(r.account, stream_name)]);
}

}  // namespace ringnats::js
