// Users lists and permissions (see users_config.h). Error texts are nats'
// (server/opts.go); where nats reports at a token of a Go map walked in random
// order, we report at the value it would report when the map has that one key.
#include "config/users_config.h"

#include <cctype>
#include <cstdio>

#include "auth/nkey_codec.h"
#include "config/go_compat.h"

namespace ringnats {

namespace confparse {

namespace {


void err_at(const ConfValue& at, const std::string& msg, Sink& s) {
  std::string e = at.where();
  e.append(": ").append(msg);
  s.errors.push_back(std::move(e));
}

// nats' parsePermSubjects. `positioned`: the old style (a bare string or
// list) reaches nats without its token, so its errors carry no position.
bool parse_perm_subjects(const ConfValue& v, bool positioned, std::vector<std::string>& out, Sink& s) {
  out.clear();
  auto fail = [&](const std::string& msg) {
    if (positioned) err_at(v, msg, s);
    else s.errors.push_back(msg);
    return false;
  };
  if (v.kind == ConfKind::String) {
    out.push_back(v.str);
  } else if (v.is_array()) {
    for (const ConfValue& e : v.items) {
      if (e.kind != ConfKind::String) {
        err_at(e, "Subject in permissions array cannot be cast to string", s);
        return false;
      }
      out.push_back(e.str);
    }
  } else {
    std::string m = "Expected subject permissions to be a subject, or array of subjects, got ";
    m.append(v.go_type());
    return fail(m);
  }
  for (const std::string& subj : out) {
    if (valid_config_subject(subj)) continue;
    // A queue-qualified entry: "subject queue".
    std::vector<std::string> f;
    size_t i = 0;
    while (i < subj.size()) {
      while (i < subj.size() && std::isspace(static_cast<unsigned char>(subj[i]))) ++i;
      size_t j = i;
      while (j < subj.size() && !std::isspace(static_cast<unsigned char>(subj[j]))) ++j;
      if (j > i) f.push_back(subj.substr(i, j - i));
      i = j;
    }
    std::string m = "subject ";
    if (f.size() != 2) return fail(m.append(go_quote(subj)).append(" is not a valid subject"));
    if (!valid_config_subject(f[0])) return fail(m.append(go_quote(f[0])).append(" is not a valid subject"));
  }
  return true;
}

// nats' parseVariablePermissions: a map {allow, deny}, or the old style.
// Returns false when nats leaves the direction unset.
bool parse_variable_permissions(const ConfValue& v, SubjectPermission& p, Sink& s) {
  p = SubjectPermission{};
  if (!v.is_map()) {
    if (!parse_perm_subjects(v, false, p.allow, s)) return false;
    p.set = true;
    return true;
  }
  if (v.keys.empty()) return false;  // nats: nil permission
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    std::string k = golang::lower(v.keys[n]);
    std::vector<std::string> subjects;
    if (k == "allow") {
      if (parse_perm_subjects(mv, true, subjects, s)) p.allow = std::move(subjects);
    } else if (k == "deny") {
      if (parse_perm_subjects(mv, true, subjects, s)) p.deny = std::move(subjects);
    } else if (!mv.used_as_variable) {
      std::string m = "Unknown field name ";
      m.append(go_quote(v.keys[n])).append(" parsing subject permissions, only 'allow' or 'deny' are permitted");
      err_at(mv, m, s);
    }
  }
  p.set = true;
  return true;
}

// nats' parseAllowResponses (the map form). False: nats drops it.
bool parse_allow_responses(const ConfValue& v, ResponsePermission& rp, Sink& s) {
  if (!v.is_map()) {
    err_at(v, "error parsing response permissions, expected a boolean or a map", s);
    return false;
  }
  rp = ResponsePermission{};
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    std::string k = golang::lower(v.keys[n]);
    if (k == "max" || k == "max_msgs" || k == "max_messages" || k == "max_responses") {
      if (mv.kind != ConfKind::Int) {
        type_error(mv, "int64", s);
        s.aborted = false;  // nats recovers inside parseAllowResponses
        return false;
      }
      // Negative: no limit; 0: the default.
      if (mv.i != 0) rp.max = static_cast<int>(mv.i);
    } else if (k == "expires" || k == "expiration" || k == "ttl") {
      if (mv.kind != ConfKind::String) {
        err_at(mv, "error parsing expires, not a duration string", s);
        return false;
      }
      int64_t ns = 0;
      std::string err;
      if (!conf::parse_go_duration(mv.str, ns, err)) {
        err_at(mv, "error parsing expires: " + err, s);
        return false;
      }
      if (ns != 0) rp.expires_ns = ns;
    } else if (!mv.used_as_variable) {
      err_at(mv, "Unknown field " + go_quote(v.keys[n]) + " parsing permissions", s);
    }
  }
  return true;
}

bool is_upper_type(const std::string& t) {
  return t == "STANDARD" || t == "WEBSOCKET" || t == "LEAFNODE" || t == "LEAFNODE_WS" || t == "MQTT" ||
         t == "MQTT_WS";
}

// nats' parseAllowedConnectionTypes: a string or a list of strings; known
// types upper-cased, unknown ones an error (the known ones are kept).
void parse_connection_types(const ConfValue& v, std::vector<std::string>& out, Sink& s) {
  std::vector<std::string> raw;
  if (v.kind == ConfKind::String) {
    raw.push_back(v.str);
  } else if (v.is_array()) {
    for (const ConfValue& e : v.items) {
      if (e.kind == ConfKind::String) {
        raw.push_back(e.str);
      } else {
        std::string m = "error parsing allowed connection types: unsupported type in array ";
        err_at(e, m.append(e.go_type()), s);
      }
    }
  } else {
    std::string m = "error parsing allowed connection types: unsupported type ";
    err_at(v, m.append(v.go_type()), s);
    return;
  }
  std::string unknown;
  for (std::string t : raw) {
    for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!is_upper_type(t)) {
      if (!unknown.empty()) unknown.push_back(' ');
      unknown.append(go_quote(t));
      continue;
    }
    bool seen = false;
    for (const auto& h : out) seen = seen || h == t;
    if (!seen) out.push_back(t);
  }
  if (!unknown.empty()) {
    std::string m = "invalid connection types [";
    err_at(v, m.append(unknown).append("]"), s);
  }
}

}  // namespace

bool valid_config_subject(const std::string& subject) {
  if (subject.empty()) return false;
  bool after_fwc = false;
  size_t start = 0;
  for (;;) {
    size_t dot = subject.find('.', start);
    std::string_view t(subject.data() + start, (dot == std::string::npos ? subject.size() : dot) - start);
    if (t.empty() || after_fwc) return false;
    for (char c : t)
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') return false;
    if (t == ">") after_fwc = true;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::shared_ptr<const Permissions> parse_permissions(const ConfValue& v, Sink& s) {
  if (!v.is_map()) {
    err_at(v, "Expected permissions to be a map/struct, got " + go_value(v), s);
    return nullptr;
  }
  auto p = std::make_shared<Permissions>();
  for (size_t n = 0; n < v.keys.size(); ++n) {
    const ConfValue& mv = v.items[n];
    std::string k = golang::lower(v.keys[n]);
    if (k == "pub" || k == "publish" || k == "import") {
      SubjectPermission sp;
      if (parse_variable_permissions(mv, sp, s)) p->publish = std::move(sp);
      else p->publish = SubjectPermission{};
    } else if (k == "sub" || k == "subscribe" || k == "export") {
      SubjectPermission sp;
      if (parse_variable_permissions(mv, sp, s)) p->subscribe = std::move(sp);
      else p->subscribe = SubjectPermission{};
    } else if (k == "publish_allow_responses" || k == "allow_responses") {
      if (mv.kind == ConfKind::Bool) {
        p->allow_responses = mv.b;
        p->responses = ResponsePermission{};
      } else {
        ResponsePermission rp;
        p->allow_responses = parse_allow_responses(mv, rp, s);
        p->responses = rp;
      }
    } else if (!mv.used_as_variable) {
      err_at(mv, "Unknown field " + go_quote(v.keys[n]) + " parsing permissions", s);
    }
  }
  // allow_responses turns off the blanket publish allow (nats: an empty,
  // non-nil Allow). Applied after the walk, whatever the key order (nats'
  // result depends on its random map order there).
  if (p->allow_responses) p->publish.set = true;
  return p;
}

void apply_default_permissions(std::vector<User>& users, const std::shared_ptr<const Permissions>& def) {
  if (!def) return;
  for (User& u : users)
    if (!u.permissions) u.permissions = def;
}

bool parse_users_list(const ConfValue& v, const std::string& account, std::vector<User>& out, Sink& s) {
  if (!v.is_array()) {
    err_at(v, "Expected users field to be an array, got " + go_value(v), s);
    return false;
  }
  std::vector<User> list;
  for (const ConfValue& e : v.items) {
    if (!e.is_map()) {
      err_at(e, "Expected user entry to be a map/struct, got " + go_value(e), s);
      continue;
    }
    User u;
    u.account = account;
    std::shared_ptr<const Permissions> perms;
    const ConfValue* last = &e;  // where nats reports an entry-level error
    for (size_t n = 0; n < e.keys.size(); ++n) {
      const ConfValue& mv = e.items[n];
      last = &mv;
      std::string k = golang::lower(e.keys[n]);
      if (k == "nkey") {
        if (!get_str(mv, u.nkey, s)) return false;
      } else if (k == "user" || k == "username") {
        if (!get_str(mv, u.name, s)) return false;
      } else if (k == "pass" || k == "password") {
        if (!get_str(mv, u.password, s)) return false;
      } else if (k == "permission" || k == "permissions" || k == "authorization") {
        perms = parse_permissions(mv, s);
      } else if (k == "allowed_connection_types" || k == "connection_types" || k == "clients") {
        u.allowed_connection_types.clear();
        parse_connection_types(mv, u.allowed_connection_types, s);
      } else {
        unknown_field(e.keys[n], mv, s);
      }
      if (s.aborted) return false;
    }
    u.permissions = perms;
    if (u.nkey.empty() && u.name.empty()) {
      err_at(*last, "User entry requires a user", s);
      return false;
    }
    if (!u.nkey.empty()) {
      if (!nkey::is_valid_public_user_key(u.nkey)) {
        err_at(*last, "Not a valid public nkey for a user", s);
        return false;
      }
      if (!u.name.empty() || !u.password.empty()) {
        err_at(*last, "Nkey users do not take usernames or passwords", s);
        return false;
      }
    }
    list.push_back(std::move(u));
  }
  for (User& u : list) out.push_back(std::move(u));
  return true;
}

bool check_duplicate_users(const std::vector<User>& have, const std::vector<User>& add, const ConfValue& at,
                           Sink& s) {
  auto key = [](const User& u) -> const std::string& { return u.nkey.empty() ? u.name : u.nkey; };
  for (size_t i = 0; i < add.size(); ++i) {
    const std::string& k = key(add[i]);
    bool dup = false;
    for (const User& h : have) dup = dup || key(h) == k;
    for (size_t j = 0; j < i && !dup; ++j) dup = key(add[j]) == k;
    if (dup) {
      std::string m = add[i].nkey.empty() ? "Duplicate user " : "Duplicate nkey ";
      err_at(at, m.append(go_quote(k)).append(" detected"), s);
      return false;
    }
  }
  return true;
}

}  // namespace confparse

bool parse_users(const conf::ConfValue& v, const std::string& path, const std::string& account, Options& o,
                 confparse::Sink& s) {
  (void)path;
  std::vector<User> list;
  if (!confparse::parse_users_list(v, account, list, s)) return false;
  // As nats' accounts block: a duplicate is reported at the list and
  // skipped; the others are kept.
  auto& have = o.security.users;
  for (User& u : list) {
    std::vector<User> one{u};
    if (!confparse::check_duplicate_users(have, one, v, s)) continue;
    have.push_back(std::move(u));
  }
  return true;
}

std::string validate_users(const Options& o) {
  const SecurityOptions& sec = o.security;
  if (sec.no_auth_user.empty()) return {};
  bool any_named = false;
  for (const User& u : sec.users) {
    if (!u.nkey.empty()) continue;
    any_named = true;
    if (u.name == sec.no_auth_user) return {};
  }
  std::string m = "no_auth_user: \"";
  m.append(sec.no_auth_user);
  if (!any_named) return m.append("\" present, but users are not defined");
  return m.append("\" not present as user in authorization block or account configuration");
}

}  // namespace ringnats
