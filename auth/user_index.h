// The configured users, indexed for login: by name, by nkey, each with its
// compiled permissions. Built from SecurityOptions at start and on reload
// (while every shard is parked, see Server::replace_options); read by shard
// threads without locks in between. Points into the Options it was built from.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "auth/dn.h"
#include "auth/permissions.h"
#include "config/security_options.h"

namespace ringnats::auth {

// nats' connectionTypeAllowed for a plain client connection.
inline bool standard_connection_allowed(const User& u) {
  if (u.allowed_connection_types.empty()) return true;
  for (const auto& t : u.allowed_connection_types)
    if (t == "STANDARD") return true;
  return false;
}

class UserIndex {
 public:
  void build(const SecurityOptions& sec);
  const User* by_name(std::string_view name) const;
  const User* by_nkey(std::string_view nkey) const;
  // The user whose name is a DN equal to `dn`, else one equal to it with
  // the RDNs reordered (nats' verify_and_map fallback); users not allowed
  // a plain connection are skipped.
  const User* by_dn(const Dn& dn) const;
  // Null when the user may do everything.
  std::shared_ptr<const CompiledPerms> perms_of(const User& u) const;
  bool has_users() const { return !names_.empty() || !nkeys_.empty(); }
  bool has_nkeys() const { return !nkeys_.empty(); }
  // The no_auth_user, when it names a listed user (else null).
  const User* no_auth_user() const { return no_auth_; }

 private:
  absl::flat_hash_map<std::string, const User*> names_, nkeys_;
  absl::flat_hash_map<const User*, std::shared_ptr<const CompiledPerms>> perms_;
  const User* no_auth_ = nullptr;
  std::vector<std::pair<const User*, Dn>> dn_users_;  // names that parse as DNs, in config order
};

}  // namespace ringnats::auth
