// The `accounts` block as nats-server 2.9 reads it: account names, their
// users (users_config.cc), stream and service exports and imports, and the
// checks nats makes once every account is known (an import must be
// authorized by an export). What ringnats does not enforce is refused.
#include "config/accounts_config.h"

#include <algorithm>

#include "config/unsupported.h"
#include "config/users_config.h"
#include "proto/subject.h"

namespace ringnats {
namespace {

using namespace confparse;
using golang::lower;

constexpr std::string_view kWhyAccountOption =
    "this account setting decides what the account's clients may do or see, and ringnats does not enforce it yet";

// An account's `jetstream`: bool, "enabled"/"disabled", or a map of limits
// as nats-server reads them. Limits ringnats enforces: streams and
// consumers; the others only as "no limit" (-1, false), else refused (a
// configured bound must hold).
void parse_account_jetstream(const ConfValue& v, const std::string& path, AccountOptions& a, Sink& s) {
  if (v.kind == ConfKind::Bool) {
    a.jetstream = v.b;
    return;
  }
  if (v.kind == ConfKind::String) {
    std::string l = lower(v.str);
    if (l == "enabled" || l == "enable") a.jetstream = true;
    else if (l == "disabled" || l == "disable") a.jetstream = false;
    else s.errors.push_back("Expected 'enabled' or 'disabled' for string value, got '" + v.str + "'");  // nats: no position
    return;
  }
  if (v.kind != ConfKind::Map) {
    s.errors.push_back(std::string("Expected map, bool or string to define JetStream, got ") + v.go_type());
    return;
  }
  a.jetstream = true;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    auto size = [&](int64_t* out) {
      if (mv.kind != ConfKind::Int) {
        s.errors.push_back(mv.where() + ": Expected a parseable size for \"" + v.keys[n] + "\", got " + go_value(mv));
        return;
      }
      if (out) *out = mv.i;
      else if (mv.i != -1)
        s.errors.push_back(unsupported::refusal(mv, path + "." + v.keys[n],
                                                "ringnats does not apply this JetStream account limit (only "
                                                "max_streams and max_consumers)"));
    };
    if (k == "max_streams" || k == "streams") size(&a.js_max_streams);
    else if (k == "max_consumers" || k == "consumers") size(&a.js_max_consumers);
    else if (k == "max_memory" || k == "max_mem" || k == "mem" || k == "memory" || k == "max_store" ||
             k == "max_file" || k == "max_disk" || k == "store" || k == "disk" || k == "mem_max_stream_bytes" ||
             k == "memory_max_stream_bytes" || k == "disk_max_stream_bytes" || k == "store_max_stream_bytes" ||
             k == "max_ack_pending")
      size(nullptr);
    else if (k == "max_bytes_required" || k == "max_stream_bytes" || k == "max_bytes") {
      if (mv.kind != ConfKind::Bool) {
        s.errors.push_back(mv.where() + ": Expected a parseable bool for \"" + v.keys[n] + "\", got " + go_value(mv));
      } else if (mv.b) {
        s.errors.push_back(unsupported::refusal(mv, path + "." + v.keys[n],
                                                "ringnats does not require max_bytes on streams"));
      }
    } else if (!mv.used_as_variable) {
      s.errors.push_back(mv.where() + ": unknown field \"" + v.keys[n] + "\"");
    }
  }
}
constexpr std::string_view kWhyMappedService =
    "a service import that maps a wildcard subject onto another subject is not implemented yet";
constexpr std::string_view kWhyMappedImport =
    "a stream import that maps a wildcard subject onto another subject is not implemented yet (use prefix)";

struct Pending {  // what the second pass checks, with where it came from
  const ConfValue* at;
  size_t account;
};

void parse_string_list(const ConfValue& v, std::vector<std::string>& out, Sink& s) {
  if (!v.is_array()) {
    type_error(v, "[]interface {}", s);
    return;
  }
  for (const ConfValue& e : v.items) {
    std::string str;
    if (!get_str(e, str, s)) return;
    out.push_back(std::move(str));
  }
}

// {stream: "x.>", accounts: [..]} or {service: "svc", response_type: ...}
void parse_export(const ConfValue& v, const std::string& path, AccountOptions& a, Sink& s) {
  if (!v.is_map()) {
    s.errors.push_back(v.where() + ": Export Items should be a map with type entry, got " + v.go_type());
    return;
  }
  bool is_stream = false, is_service = false, rt_seen = false, thresh_seen = false;
  std::string subject;
  std::vector<std::string> accounts;
  ResponseType rt = ResponseType::Singleton;
  int64_t thresh = 0;
  const ConfValue* rt_at = nullptr;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    if (k == "stream") {
      if (is_service) {
        s.errors.push_back(mv.where() + ": Detected stream " + go_quote(mv.str) + " but already saw a service");
        continue;
      }
      if (rt_at) {
        s.errors.push_back(rt_at->where() + ": Detected response directive on non-service");
        continue;
      }
      if (mv.kind != ConfKind::String) {
        s.errors.push_back(mv.where() + ": Expected stream name to be string, got " + mv.go_type());
        continue;
      }
      is_stream = true;
      subject = mv.str;
    } else if (k == "service") {
      if (is_stream) {
        s.errors.push_back(mv.where() + ": Detected service " + go_quote(mv.str) + " but already saw a stream");
        continue;
      }
      if (mv.kind != ConfKind::String) {
        s.errors.push_back(mv.where() + ": Expected service name to be string, got " + mv.go_type());
        continue;
      }
      is_service = true;
      subject = mv.str;
    } else if (k == "response" || k == "response_type") {
      if (rt_seen) {
        s.errors.push_back(mv.where() + ": Duplicate response type definition");
        continue;
      }
      rt_seen = true;
      rt_at = &mv;
      if (mv.kind != ConfKind::String) {
        s.errors.push_back(mv.where() + ": Expected response type to be string, got " + mv.go_type());
        continue;
      }
      const std::string t = lower(mv.str);
      if (t == "single" || t == "singleton") rt = ResponseType::Singleton;
      else if (t == "stream") rt = ResponseType::Stream;
      else if (t == "chunk" || t == "chunked") rt = ResponseType::Chunked;
      else {
        s.errors.push_back(mv.where() + ": Unknown response type: " + go_quote(mv.str));
        continue;
      }
      if (is_stream) s.errors.push_back(mv.where() + ": Detected response directive on non-service");
    } else if (k == "threshold" || k == "response_threshold" || k == "response_max_time" || k == "response_time") {
      if (thresh_seen) {
        s.errors.push_back(mv.where() + ": Duplicate response threshold detected");
        continue;
      }
      thresh_seen = true;
      std::string err;
      if (mv.kind != ConfKind::String) {
        s.errors.push_back(mv.where() +
                           ": Expected response threshold to be a parseable time duration, got " + mv.go_type());
        continue;
      }
      if (!conf::parse_go_duration(mv.str, thresh, err)) {
        s.errors.push_back(mv.where() + ": Expected response threshold to be a parseable time duration, got " +
                           go_quote(mv.str));
        continue;
      }
      if (is_stream) s.errors.push_back(mv.where() + ": Detected response directive on non-service");
    } else if (k == "accounts") {
      parse_string_list(mv, accounts, s);
      if (s.aborted) return;
    } else if (k == "latency" || k == "account_token_position") {
      s.errors.push_back(unsupported::refusal(mv, path + "." + v.keys[n], kWhyAccountOption));
    } else if (!mv.used_as_variable) {
      s.errors.push_back(mv.where() + ": unknown field " + go_quote(v.keys[n]));
    }
  }
  if (is_stream) a.stream_exports.push_back({subject, accounts});
  if (is_service) {
    ServiceExport e;
    e.subject = subject;
    e.accounts = accounts;
    e.response_type = rt;
    if (thresh_seen && thresh > 0) e.response_threshold_ns = thresh;
    a.service_exports.push_back(std::move(e));
  }
}

// {account, subject} inside an import entry.
bool parse_import_source(const ConfValue& v, std::string& account, std::string& subject, Sink& s) {
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    if (k == "account") {
      if (mv.kind != ConfKind::String) return type_error(mv, "string", s), false;
      account = mv.str;
    } else if (k == "subject") {
      if (mv.kind != ConfKind::String) return type_error(mv, "string", s), false;
      subject = mv.str;
    } else if (!mv.used_as_variable) {
      s.errors.push_back(mv.where() + ": unknown field " + go_quote(v.keys[n]));
    }
  }
  return true;
}

void parse_import(const ConfValue& v, AccountOptions& a, Sink& s) {
  if (!v.is_map()) {
    s.errors.push_back(v.where() + ": Import Items should be a map with type entry, got " + v.go_type());
    return;
  }
  bool is_stream = false, is_service = false;
  std::string account, subject, prefix, to;
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    const std::string k = lower(v.keys[n]);
    if (k == "stream" || k == "service") {
      const bool stream = k == "stream";
      if (stream ? is_service : is_stream) {
        s.errors.push_back(mv.where() + (stream ? ": Detected stream but already saw a service"
                                                : ": Detected service but already saw a stream"));
        continue;
      }
      if (!mv.is_map()) {
        s.errors.push_back(mv.where() + (stream ? ": Stream" : ": Service") +
                           " entry should be an account map, got " + mv.go_type());
        continue;
      }
      std::string acc, subj;
      if (!parse_import_source(mv, acc, subj, s)) return;
      if (acc.empty() || subj.empty()) {
        s.errors.push_back(mv.where() + ": Expect an account name and a subject");
        continue;
      }
      (stream ? is_stream : is_service) = true;
      account = acc;
      subject = subj;
    } else if (k == "prefix") {
      if (!get_str(mv, prefix, s)) return;
    } else if (k == "to") {
      if (!get_str(mv, to, s)) return;
      if (is_stream && !prefix.empty()) {
        s.errors.push_back(mv.where() + ": Stream import can not have a 'prefix' and a 'to' property");
        continue;
      }
    } else if (k == "share") {
      bool b;
      if (!get_bool(mv, b, s)) return;
    } else if (!mv.used_as_variable) {
      s.errors.push_back(mv.where() + ": unknown field " + go_quote(v.keys[n]));
    }
  }
  if (is_service) {
    const std::string local = to.empty() ? subject : to;
    for (const ServiceImport& prev : a.service_imports)
      if (prev.to == local) {
        s.errors.push_back(v.where() + ": Duplicate service import subject " + go_quote(local) +
                           ", previously used in import for account " + go_quote(prev.account) + ", subject " +
                           go_quote(prev.subject));
        return;
      }
    a.service_imports.push_back({account, subject, local});
  }
  if (is_stream) a.stream_imports.push_back({account, subject, prefix, to});
}

template <class F>
void parse_items(const ConfValue& v, const char* what, F&& each, Sink& s) {
  if (!v.is_array()) {
    s.errors.push_back(v.where() + ": " + what + " should be an array, got " + v.go_type());
    return;
  }
  for (const ConfValue& e : v.items) {
    each(e);
    if (s.aborted) return;
  }
}

const AccountOptions* find(const Options& o, const std::string& name) {
  for (const AccountOptions& a : o.security.accounts)
    if (a.name == name) return &a;
  return nullptr;
}

bool allowed_for(const std::vector<std::string>& accounts, const std::string& who) {
  if (accounts.empty()) return true;
  for (const std::string& a : accounts)
    if (a == who) return true;
  return false;
}

// nats refuses an import that would bring messages back to where they came
// from: following the exporter's imports (those added before this one)
// whose subjects collide with this one's, it must not reach an account seen
// on the way. So of two imports that form a cycle, the later is refused.
template <class Imports, class Subject>
bool forms_cycle(const Options& o, const std::string& exporter, const std::string& to,
                 std::vector<std::string>& visited, const std::vector<const void*>& added, Imports imports,
                 Subject subject_of, int depth = 0) {
  const AccountOptions* e = find(o, exporter);
  if (!e || depth > 32) return false;
  for (const auto& im : imports(*e)) {
    if (std::find(added.begin(), added.end(), static_cast<const void*>(&im)) == added.end()) continue;
    if (!proto::subjects_collide(to, subject_of(im))) continue;
    if (std::find(visited.begin(), visited.end(), im.account) != visited.end()) return true;
    visited.push_back(im.account);
    if (forms_cycle(o, im.account, subject_of(im), visited, added, imports, subject_of, depth + 1)) return true;
  }
  return false;
}

// The checks nats makes once every account is known.
void check_links(const ConfValue& at, Options& o, Sink& s) {
  for (const AccountOptions& a : o.security.accounts) {
    for (const StreamExport& e : a.stream_exports)
      for (const std::string& n : e.accounts)
        if (!find(o, n)) s.errors.push_back(at.where() + ": " + go_quote(n) + " account not defined for stream export");
    for (const ServiceExport& e : a.service_exports)
      for (const std::string& n : e.accounts)
        if (!find(o, n)) s.errors.push_back(at.where() + ": " + go_quote(n) + " account not defined for service export");
    for (const StreamExport& e : a.stream_exports)
      if (!proto::valid_subscribe_subject(e.subject))
        s.errors.push_back(at.where() + ": Error adding stream export " + go_quote(e.subject) + ": invalid subject");
    for (const ServiceExport& e : a.service_exports)
      if (!proto::valid_subscribe_subject(e.subject))
        s.errors.push_back(at.where() + ": Error adding service export " + go_quote(e.subject) + ": invalid subject");
  }
  std::vector<const void*> added_streams;
  for (const AccountOptions& a : o.security.accounts) {
    for (const StreamImport& im : a.stream_imports) {
      const AccountOptions* from = find(o, im.account);
      if (!from) {
        s.errors.push_back(at.where() + ": " + go_quote(im.account) + " account not defined for stream import");
        continue;
      }
      bool ok = false;
      for (const StreamExport& e : from->stream_exports)
        if (proto::subject_is_subset(im.subject, e.subject) && allowed_for(e.accounts, a.name)) ok = true;
      std::string err;
      if (!ok) err = "stream import not authorized";
      else if (!im.prefix.empty() && (proto::has_wildcard(im.prefix) || !proto::valid_subscribe_subject(im.prefix)))
        err = "stream import prefix can not contain wildcard tokens";
      if (!err.empty()) {
        s.errors.push_back(at.where() + ": Error adding stream import " + go_quote(im.subject) + ": " + err);
        continue;
      }
      for (const StreamImport& prev : a.stream_imports) {
        if (&prev == &im) break;
        if (prev.account == im.account && prev.subject == im.subject) {
          s.errors.push_back(at.where() + ": Error adding stream import " + go_quote(im.subject) +
                             ": stream import already exists");
          break;
        }
      }
      {
        std::vector<std::string> visited{a.name};
        if (forms_cycle(
                o, im.account, im.subject, visited, added_streams,
                [](const AccountOptions& x) -> const auto& { return x.stream_imports; },
                [](const StreamImport& s) -> const std::string& { return s.subject; })) {
          s.errors.push_back(at.where() + ": Error adding stream import " + go_quote(im.subject) +
                             ": import forms a cycle");
          continue;
        }
        added_streams.push_back(&im);
      }
      if (!im.to.empty() && im.to != im.subject && proto::has_wildcard(im.subject))
        s.errors.push_back(unsupported::refusal(at, "accounts." + a.name + ".imports", kWhyMappedImport));
      else if (!im.to.empty() && proto::has_wildcard(im.to))
        s.errors.push_back(unsupported::refusal(at, "accounts." + a.name + ".imports", kWhyMappedImport));
    }
  }
}

void check_service_imports(const ConfValue& at, Options& o, Sink& s) {
  std::vector<const void*> added;
  for (const AccountOptions& a : o.security.accounts)
    for (const ServiceImport& im : a.service_imports) {
      const AccountOptions* from = find(o, im.account);
      if (!from) {
        s.errors.push_back(at.where() + ": " + go_quote(im.account) + " account not defined for service import");
        continue;
      }
      bool ok = false;
      for (const ServiceExport& e : from->service_exports)
        if (proto::subject_is_subset(im.subject, e.subject) && allowed_for(e.accounts, a.name)) ok = true;
      if (!ok) {
        s.errors.push_back(at.where() + ": Error adding service import " + go_quote(im.subject) +
                           ": service import not authorized");
        continue;
      }
      std::vector<std::string> visited{a.name};
      if (forms_cycle(
              o, im.account, im.subject, visited, added,
              [](const AccountOptions& x) -> const auto& { return x.service_imports; },
              [](const ServiceImport& s) -> const std::string& { return s.to; })) {
        s.errors.push_back(at.where() + ": Error adding service import " + go_quote(im.subject) +
                           ": import forms a cycle");
        continue;
      }
      added.push_back(&im);
      if (im.to != im.subject && (proto::has_wildcard(im.subject) || proto::has_wildcard(im.to)))
        s.errors.push_back(unsupported::refusal(at, "accounts." + a.name + ".imports", kWhyMappedService));
    }
}

}  // namespace

void parse_accounts(const conf::ConfValue& v, const std::string& key, Options& o, confparse::Sink& s) {
  if (v.is_array()) {  // a plain list of account names
    for (const ConfValue& e : v.items) {
      if (e.kind != ConfKind::String) return type_error(e, "string", s);
      if (e.str == "$G") {
        s.errors.push_back(e.where() + ": " + go_quote(e.str) + " is a Reserved Account");
        continue;
      }
      if (find(o, e.str)) {
        s.errors.push_back(e.where() + ": Duplicate Account Entry: " + e.str);
        continue;
      }
      AccountOptions a;
      a.name = e.str;
      o.security.accounts.push_back(std::move(a));
    }
    return;
  }
  if (!v.is_map()) return;  // nats ignores any other type here
  const size_t errors_before = s.errors.size();
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& av = v.items[n];
    const std::string& name = v.keys[n];
    if (av.used_as_variable) continue;
    if (!av.is_map()) {
      s.errors.push_back(av.where() + ": Expected map entries for accounts");
      continue;
    }
    if (name == "$G") {
      s.errors.push_back(av.where() + ": " + go_quote(name) + " is a Reserved Account");
      continue;
    }
    AccountOptions a;
    a.name = name;
    const std::string path = key + "." + name;
    const ConfValue* users_at = nullptr;
    std::vector<User> users;
    for (size_t m = 0; m < av.keys.size(); ++m) {
      const ConfValue& mv = av.items[m];
      const std::string k = lower(av.keys[m]);
      const std::string sub = path + "." + av.keys[m];
      s.aborted = false;
      if (k == "users") {
        users_at = &mv;
        parse_users_list(mv, name, users, s);
      } else if (k == "default_permissions") {
        a.default_permissions = parse_permissions(mv, s);
      } else if (k == "exports") {
        parse_items(mv, "Exports", [&](const ConfValue& e) { parse_export(e, sub, a, s); }, s);
      } else if (k == "imports") {
        parse_items(mv, "Imports", [&](const ConfValue& e) { parse_import(e, a, s); }, s);
      } else if (k == "jetstream") {
        parse_account_jetstream(mv, sub, a, s);
      } else if (k == "nkey" || k == "mappings" || k == "maps" || k == "limits") {
        s.errors.push_back(unsupported::refusal(mv, sub, kWhyAccountOption));
      } else if (!mv.used_as_variable) {
        s.errors.push_back(mv.where() + ": unknown field " + go_quote(av.keys[m]));
      }
    }
    if (users_at && !users.empty()) {
      if (!o.username.empty()) {
        s.errors.push_back(users_at->where() + ": Can not have a single user/pass and accounts");
      } else if (!o.auth_token.empty()) {
        s.errors.push_back(users_at->where() + ": Can not have a token and accounts");
      } else {
        apply_default_permissions(users, a.default_permissions);
        if (check_duplicate_users(o.security.users, users, *users_at, s))
          for (User& u : users) o.security.users.push_back(std::move(u));
      }
    }
    o.security.accounts.push_back(std::move(a));
  }
  s.aborted = false;
  if (s.errors.size() == errors_before) {
    check_links(v, o, s);
    check_service_imports(v, o, s);
  }
}

}  // namespace ringnats
