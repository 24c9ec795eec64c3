// The `jetstream` block (see jetstream_config.h). What ringnats' JetStream
// does not do is refused, not ignored: encryption at rest (`key`, `cipher`)
// decides who can read the store, and `limits` changes what clients get.
#include "config/jetstream_config.h"

#include <cctype>

#include "config/go_compat.h"
#include "config/unsupported.h"

namespace ringnats {

namespace {

using namespace confparse;
using conf::ConfKind;
using conf::ConfValue;
using conf::go_quote;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// nats' getStorageSize: an integer, or digits with a K/M/G/T suffix.
bool storage_size(const ConfValue& v, int64_t& out, std::string& err) {
  if (v.kind == ConfKind::Int) {
    out = v.i;
    return true;
  }
  if (v.kind != ConfKind::String) {
    err = "must be int64 or string";
    return false;
  }
  if (v.str.empty()) {
    out = 0;
    return true;
  }
  std::string prefix = v.str.substr(0, v.str.size() - 1);
  char suffix = v.str.back();
  int64_t n = 0;
  golang::IntErr e = golang::parse_decimal(prefix, n);
  if (e != golang::IntErr::Ok) {
    err = std::string("strconv.ParseInt: parsing ") + go_quote(prefix) + ": " +
          (e == golang::IntErr::Range ? "value out of range" : "invalid syntax");
    return false;
  }
  int shift = suffix == 'K' ? 10 : suffix == 'M' ? 20 : suffix == 'G' ? 30 : suffix == 'T' ? 40 : -1;
  if (shift < 0) {
    err = "sizes defined as strings must end in K, M, G, T";
    return false;
  }
  out = static_cast<int64_t>(static_cast<uint64_t>(n) << shift);
  return true;
}

}  // namespace

void parse_store_dir(const ConfValue& v, Options& o, Sink& s) {
  if (!o.jetstream.store_dir.empty()) {
    s.errors.push_back(v.where() + ": Duplicate 'store_dir' configuration");
    return;
  }
  get_str(v, o.jetstream.store_dir, s);
}

void parse_jetstream(const ConfValue& v, Options& o, Sink& s) {
  JetStreamOptions& js = o.jetstream;
  if (v.kind == ConfKind::Bool) {
    js.enabled = v.b;
    return;
  }
  if (v.kind == ConfKind::String) {
    std::string l = lower(v.str);
    if (l == "enabled" || l == "enable") js.enabled = true;
    else if (l == "disabled" || l == "disable") js.enabled = false;
    else s.errors.push_back(v.where() + ": Expected 'enabled' or 'disabled' for string value, got '" + v.str + "'");
    return;
  }
  if (v.kind != ConfKind::Map) {
    s.errors.push_back(v.where() + ": Expected map, bool or string to define JetStream, got " + v.go_type());
    return;
  }
  bool enable = true;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    std::string err;
    if (k == "store" || k == "store_dir" || k == "storedir") {
      if (!js.store_dir.empty()) {
        s.errors.push_back(mv.where() + ": Duplicate 'store_dir' configuration");
        return;
      }
      if (!get_str(mv, js.store_dir, s)) return;
    } else if (k == "max_memory_store" || k == "max_mem_store" || k == "max_mem") {
      if (!storage_size(mv, js.max_memory, err)) {
        s.errors.push_back(mv.where() + ": max_mem_store " + err);
        return;
      }
    } else if (k == "max_file_store" || k == "max_file") {
      if (!storage_size(mv, js.max_store, err)) {
        s.errors.push_back(mv.where() + ": max_file_store " + err);
        return;
      }
    } else if (k == "domain") {
      if (!get_str(mv, js.domain, s)) return;
    } else if (k == "enable" || k == "enabled") {
      if (!get_bool(mv, enable, s)) return;
    } else if (k == "sync_interval") {
      if (mv.kind == ConfKind::String && lower(mv.str) == "always") {
        js.sync_always = true;
      } else {
        parse_duration_field("sync_interval", mv, js.sync_interval_ns, s);
        if (js.sync_interval_ns <= 0) js.sync_interval_ns = 120 * kSecond;
      }
    } else if (k == "key" || k == "ek" || k == "encryption_key" || k == "cipher") {
      s.errors.push_back(unsupported::refusal(mv, "jetstream." + v.keys[n],
                                              "ringnats' JetStream does not encrypt its store; without it the "
                                              "files would be readable by anyone who can read the disk"));
    } else if (k == "limits") {
      s.errors.push_back(unsupported::refusal(mv, "jetstream." + v.keys[n],
                                              "ringnats does not apply JetStream's server-wide limits"));
    } else if (k == "unique_tag" || k == "max_outstanding_catchup" || k == "extension_hint") {
      s.ignored.push_back("jetstream." + v.keys[n]);  // placement and catch-up of replicated streams
    } else {
      unknown_field(v.keys[n], mv, s);
    }
  }
  js.enabled = enable;
}

}  // namespace ringnats
