// Users lists and permissions blocks as nats-server 2.9 reads them (opts.go
// parseUsers, parseUserPermissions, parseAllowResponses): into
// Options::security. Used by the authorization block (apply_config.cc) and by
// each account's users (accounts_config.cc). Config thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config_sink.h"
#include "config/options.h"

namespace ringnats {

// Parses `v` (the value of a `users` key, at `path` for messages) and appends
// each user to o.security.users with `account` set ("" = $G). A user whose
// name or nkey is already in o.security.users is nats' "Duplicate user"
// error at the list, and is not added. False when nats drops the whole list.
bool parse_users(const conf::ConfValue& v, const std::string& path, const std::string& account, Options& o,
                 confparse::Sink& s);

namespace confparse {

// The list alone (no duplicate check, nothing appended to Options).
bool parse_users_list(const ConfValue& v, const std::string& account, std::vector<User>& out, Sink& s);
// nats' duplicate check of `add` against `have` (names and nkeys share one
// namespace); appends the error at `at` and returns false on the first one.
bool check_duplicate_users(const std::vector<User>& have, const std::vector<User>& add, const ConfValue& at,
                           Sink& s);
// A `permissions` (or default_permissions) map. Null on an error that makes
// nats drop it.
std::shared_ptr<const Permissions> parse_permissions(const ConfValue& v, Sink& s);
// Users without permissions of their own get `def` (nats' applyDefaultPermissions).
void apply_default_permissions(std::vector<User>& users, const std::shared_ptr<const Permissions>& def);
// nats' IsValidSubject: non-empty tokens, '>' last, no whitespace.
bool valid_config_subject(const std::string& s);

}  // namespace confparse

// Checks done when the server is created, not under -t (nats' validateAuth):
// connection types and no_auth_user. Empty when fine, else nats' message.
std::string validate_users(const Options& o);

}  // namespace ringnats
