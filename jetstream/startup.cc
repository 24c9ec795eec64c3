// JetStream's start: the store directory, recovery of every stream and
// durable consumer on disk (each handed to its owner shard), the API's
// subscriptions, and the entry points main calls (with nats' banner).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/accounts.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "jetstream/jetstream.h"
#include "jetstream/json_get.h"
#include "jetstream/shard_state.h"
#include "proto/subject.h"

namespace ringnats::js {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr char kApiQueue[] = "_ringnats_js_api";

// nats' friendlyBytes: base 1024, two decimals, "N B" below 1 KiB.
std::string human_bytes(int64_t n) {
  if (n < 1024) return std::to_string(n) + " B";
  const char* prefixes = "KMGTPE";
  double v = static_cast<double>(n);
  int e = 0;
  while (v >= 1024 * 1024 && e < 5) {
    v /= 1024;
    ++e;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f %cB", v / 1024, prefixes[e]);
  return buf;
}

// nats' comma(): thousands separated.
std::string with_commas(uint64_t n) {
  std::string d = std::to_string(n), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

// An account's own service import of the JetStream API takes the place of
// the answers this server would give it (nats' serviceImportExists and
// serviceImportShadowed): an account that reaches another account's
// JetStream gets that account's answer only. With JetStream, an import of
// exactly "$JS.API.>" does; without, any import covering "$JS.API.INFO".
// Not one from the system account: in nats that reaches the server's own
// API, which answers for the importer, as our subscription in it does.
bool api_imported(const AccountTable& accounts, uint32_t acc, bool enabled) {
  for (uint32_t id : accounts.at(acc).service_imports) {
    const ServiceImportRt& im = accounts.service_import(id);
    if (im.exporter == accounts.system()) continue;
    if (enabled ? im.from == "$JS.API.>" : proto::subject_matches(im.from, "$JS.API.INFO")) return true;
  }
  return false;
}

}  // namespace

// --- start-up ---------------------------------------------------------------

bool JetStream::write_meta(const Stream& st, std::string& err) const {
  ordered_json j;
  j["config"] = to_json(st.config());
  j["created"] = st.created_wall_ns();
  std::string path = st.dir() + "/meta.json", tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << go_json(j);
    f.flush();
    if (!f) {
      err = "could not write " + tmp;
      return false;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "could not rename " + tmp + ": " + strerror(errno);
    return false;
  }
  return true;
}

void JetStream::recover(std::vector<Recovered>& found) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (uint32_t acc = 0; acc < srv_.accounts().size(); ++acc) {
    if (!enabled_for(acc)) continue;  // kept on disk, as nats keeps it
    fs::path dir = fs::path(store_dir_) / srv_.accounts().at(acc).name / "streams";
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> tombstones;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      // A stream name has no '.': such a directory is a deleted stream's,
      // left by a crash before it was removed.
      if (e.path().filename().string().find('.') != std::string::npos) {
        tombstones.push_back(e.path());
        continue;
      }
      std::ifstream f(e.path() / "meta.json");
      if (!f) continue;
      std::stringstream ss;
      ss << f.rdbuf();
      json j = json::parse(ss.str(), nullptr, false);
      if (j.is_discarded() || !j.contains("config")) {
        log::warn("JetStream: skipping stream directory %s: unreadable meta.json", e.path().c_str());
        continue;
      }
      StreamConfig in, cfg;
      if (parse_stream_config(j["config"].dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace), in) || check_stream_config(in, cfg)) {
        log::warn("JetStream: skipping stream directory %s: invalid configuration", e.path().c_str());
        continue;
      }
      std::string err;
      auto store = open_file_store(e.path().string(), kBlockSize, err);
      if (!store) {
        log::error("JetStream: could not recover stream '%s > %s': %s", srv_.accounts().at(acc).name.c_str(),
                   cfg.name.c_str(), err.c_str());
        continue;
      }
      log::notice("  Starting restore for stream '%s > %s'", srv_.accounts().at(acc).name.c_str(), cfg.name.c_str());
      bool ok = true;
      int64_t created = json_i64(j, "created", 0, ok);
      auto st = std::make_unique<Stream>(acc, cfg, std::move(store), created, e.path().string(), opts_.domain);
      StoreState ss2 = st->store().state();
      log::notice("  Restored %s messages for stream '%s > %s'", with_commas(ss2.msgs).c_str(),
                  srv_.accounts().at(acc).name.c_str(), cfg.name.c_str());
      Recovered r;
      recover_consumers(*st, r.consumers);
      r.stream = std::move(st);
      found.push_back(std::move(r));
    }
    for (const fs::path& t : tombstones) fs::remove_all(t, ec);
  }
}

bool JetStream::start(std::string& err) {
  std::error_code ec;
  std::filesystem::create_directories(store_dir_, ec);
  if (ec) {
    err = "Could not create storage directory - " + ec.message();
    return false;
  }
  recover(recovered_);
  for (const Recovered& r : recovered_) recovered_owner_.push_back(owner_of(r.stream->config().name));
  srv_.set_jetstream(this);
  bool ok = srv_.gather([this](Shard& s) {
    if (s.id() == 0) {
      for (uint32_t acc = 0; acc < srv_.accounts().size(); ++acc) {
        if (api_imported(srv_.accounts(), acc, enabled_for(acc))) continue;
        if (enabled_for(acc)) {
          // In a cluster, one queue group across the JetStream nodes: a request
          // reaches one of them, from any node, stock nats-server's included.
          s.subscribe_internal(conn_for(s, acc), "$JS.API.>", clustered_ ? kApiQueue : "", kApiSid, clustered_);
        } else if (acc != srv_.accounts().system()) {
          // nats answers an account without JetStream "not enabled" (10039).
          s.subscribe_internal(conn_for(s, acc), "$JS.API.>", {}, kApiSid);
        }
      }
      dir_start(s);
    }
    // Each shard touches only its own entries (owners worked out before).
    for (size_t i = 0; i < recovered_.size(); ++i)
      if (recovered_owner_[i] == s.id()) adopt(s, std::move(recovered_[i].stream), std::move(recovered_[i].consumers));
  });
  recovered_.clear();
  recovered_owner_.clear();
  // Once more on every shard: the subscriptions shard 0 and the owners
  // sent to other shards' partitions are applied by the time this runs
  // there (a turn drains its rings before its posted work), so the first
  // client finds $JS.API and every stream subscribed.
  ok = ok && srv_.gather([](Shard&) {});
  if (!ok) {
    err = "server stopping";
    return false;
  }
  return true;
}

// --- entry points for main -----------------------------------------------------

namespace {
std::unique_ptr<JetStream> g_js;
}

bool start_jetstream(Server& srv, std::string& err) {
  const JetStreamOptions& o = srv.opts().jetstream;
  if (!o.enabled) return true;
  g_js = std::make_unique<JetStream>(srv, o);
  log::notice("Starting JetStream");
  log::notice("    _ ___ _____ ___ _____ ___ ___   _   __  __");
  log::notice(" _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |");
  log::notice("| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |");
  log::notice(" \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|");
  log::notice("%s", "");
  log::notice("         https://docs.nats.io/jetstream");
  log::notice("%s", "");
  log::notice("---------------- JETSTREAM ----------------");
  log::notice("  Max Memory:      %s", human_bytes(g_js->max_memory()).c_str());
  log::notice("  Max Storage:     %s", human_bytes(g_js->max_store()).c_str());
  log::notice("  Store Directory: \"%s\"", g_js->store_dir().c_str());
  if (!o.domain.empty()) log::notice("  Domain:          %s", o.domain.c_str());
  log::notice("-------------------------------------------");
  if (!g_js->start(err)) {
    srv.set_jetstream(nullptr);
    return false;
  }
  return true;
}

void stop_jetstream(Server& srv) {
  // The shards have stopped (Server::wait): nothing calls the hooks now.
  if (!g_js) return;
  log::notice("Initiating JetStream Shutdown...");
  srv.set_jetstream(nullptr);
  g_js.reset();
  log::notice("JetStream Shutdown");
}

std::string node_id(std::string_view server_name) {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(server_name.data()), server_name.size(), h);
  std::string out;
  for (int i = 0; i < 8; ++i) out += kDigits[h[i] % 62];
  return out;
}

}  // namespace ringnats::js
