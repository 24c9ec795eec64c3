// The user index (see user_index.h).
#include "auth/user_index.h"

#include <absl/strings/string_view.h>

namespace ringnats::auth {

void UserIndex::build(const SecurityOptions& sec) {
  names_.clear();
  nkeys_.clear();
  perms_.clear();
  no_auth_ = nullptr;
  dn_users_.clear();
  for (const User& u : sec.users) {
    if (!u.nkey.empty()) nkeys_[u.nkey] = &u;
    else names_[u.name] = &u;
    if (u.nkey.empty())
      if (auto dn = parse_dn(u.name)) dn_users_.emplace_back(&u, std::move(*dn));
    if (u.permissions) perms_[&u] = compile(*u.permissions);
  }
  if (!sec.no_auth_user.empty()) no_auth_ = by_name(sec.no_auth_user);
}

const User* UserIndex::by_name(std::string_view name) const {
  auto it = names_.find(absl::string_view(name.data(), name.size()));
  return it == names_.end() ? nullptr : it->second;
}

const User* UserIndex::by_nkey(std::string_view nkey) const {
  auto it = nkeys_.find(absl::string_view(nkey.data(), nkey.size()));
  return it == nkeys_.end() ? nullptr : it->second;
}

const User* UserIndex::by_dn(const Dn& dn) const {
  for (const auto& [u, udn] : dn_users_)
    if (standard_connection_allowed(*u) && dn_equal(udn, dn)) return u;
  for (const auto& [u, udn] : dn_users_)
    if (standard_connection_allowed(*u) && dn_rdns_match(udn, dn)) return u;
  return nullptr;
}

std::shared_ptr<const CompiledPerms> UserIndex::perms_of(const User& u) const {
  auto it = perms_.find(&u);
  return it == perms_.end() ? nullptr : it->second;
}

}  // namespace ringnats::auth
