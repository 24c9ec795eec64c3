// The security model read from the config: users (password, bcrypt or nkey)
// with their permissions, accounts with exports and imports, and TLS. Filled
// by config/users_config.cc, accounts_config.cc and tls_config.cc; enforced
// by auth/ (who may connect, what they may do), core (account isolation) and
// tls/ (transport). Plain data: copied with Options on reload.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ringnats {

// allow/deny subject lists; `set` is false when the config said nothing
// (nats then allows everything of that direction).
struct SubjectPermission {
  bool set = false;
  std::vector<std::string> allow, deny;  // subscribe entries may be "subject queue"
};

struct ResponsePermission {
  int max = 1;              // responses per request (nats' default 1)
  int64_t expires_ns = 0;   // 0: never (nats' default)
};

struct Permissions {
  SubjectPermission publish, subscribe;
  bool allow_responses = false;
  ResponsePermission responses;
  bool empty() const { return !publish.set && !subscribe.set && !allow_responses; }
};

struct User {
  std::string name;       // empty for an nkey user
  std::string password;   // plain, or bcrypt "$2a$"/"$2b$"/"$2y$"
  std::string nkey;       // public user nkey "U..." (empty for a named user)
  std::string account;    // "" = the global account $G
  std::shared_ptr<const Permissions> permissions;  // null: everything allowed
  std::vector<std::string> allowed_connection_types;  // empty: all
};

enum class ResponseType : uint8_t { Singleton, Stream, Chunked };

struct StreamExport {
  std::string subject;
  std::vector<std::string> accounts;  // empty: public
};
struct ServiceExport {
  std::string subject;
  std::vector<std::string> accounts;  // empty: public
  ResponseType response_type = ResponseType::Singleton;
  int64_t response_threshold_ns = 120 * 1'000'000'000LL;  // nats' default 2 min
};
struct StreamImport {
  std::string account, subject;
  std::string prefix;  // "prefix" form
  std::string to;      // "to" form (a subject mapping of the import)
};
struct ServiceImport {
  std::string account, subject;
  std::string to;      // the local subject; empty = same as `subject`
};

struct AccountOptions {
  std::string name;
  std::vector<StreamExport> stream_exports;
  std::vector<ServiceExport> service_exports;
  std::vector<StreamImport> stream_imports;
  std::vector<ServiceImport> service_imports;
  std::shared_ptr<const Permissions> default_permissions;  // users without their own
  // The account's `jetstream`: with accounts configured, only the accounts
  // that enable it have JetStream (as nats-server). -1: no limit.
  bool jetstream = false;
  int64_t js_max_streams = -1, js_max_consumers = -1;
};

struct TlsOptions {
  bool enabled = false;
  std::string cert_file, key_file, ca_file;
  bool verify = false;           // require and verify a client certificate
  bool verify_and_map = false;   // ... and map it to a user
  int64_t timeout_ns = 2 * 1'000'000'000LL;  // handshake (nats' default 2 s)
  std::vector<std::string> cipher_suites, curve_preferences;
  std::string min_version;       // "1.2" / "1.3"; empty = OpenSSL's floor (TLS 1.2)
  bool insecure = false;         // routes: skip verifying the peer's certificate
  bool allow_non_tls = false;    // client port only: the top-level allow_non_tls
};

struct SecurityOptions {
  std::vector<User> users;                 // from authorization{} and accounts{}
  std::vector<AccountOptions> accounts;    // configured accounts (not $G)
  std::string no_auth_user;
  std::string system_account;              // "" = $SYS
  std::shared_ptr<const Permissions> default_permissions;
  TlsOptions tls;                          // client port
  TlsOptions cluster_tls;                  // routes (both directions)
  int https_port = 0;                      // monitor over TLS; 0 = off
};

}  // namespace ringnats
