// Users arrays (see users_config.h). Interim: named users with plain or
// bcrypt passwords only; nkeys and permissions are refused until auth/
// enforces them.
#include "config/users_config.h"

#include "config/unsupported.h"

namespace ringnats {

bool parse_users(const conf::ConfValue& v, const std::string& path, const std::string& account, Options& o,
                 confparse::Sink& s) {
  using namespace confparse;
  if (!v.is_array()) {
    s.errors.push_back(v.where() + ": Expected users field to be an array, got " + v.go_type());
    return false;
  }
  for (size_t i = 0; i < v.items.size(); ++i) {
    const ConfValue& e = v.items[i];
    if (!e.is_map()) {
      s.errors.push_back(e.where() + ": Expected user entry to be a map/struct, got " + e.go_type());
      continue;
    }
    User u;
    u.account = account;
    for (size_t n = 0; n < e.keys.size(); ++n) {
      const std::string k = golang::lower(e.keys[n]);
      const ConfValue& mv = e.items[n];
      if (k == "user" || k == "username") get_str(mv, u.name, s);
      else if (k == "pass" || k == "password") get_str(mv, u.password, s);
      else if (k == "nkey" || k == "permissions" || k == "permission" || k == "allowed_connection_types" ||
               k == "connection_types" || k == "clients")
        s.errors.push_back(unsupported::refusal(mv, path + "." + e.keys[n], unsupported::kWhyUsers));
      else if (!mv.used_as_variable)
        s.errors.push_back(mv.where() + ": unknown field " + go_quote(e.keys[n]));
    }
    o.security.users.push_back(std::move(u));
  }
  return true;
}

}  // namespace ringnats
