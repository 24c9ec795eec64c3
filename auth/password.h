// Password checks: plain (constant time) and bcrypt ($2a$/$2b$/$2y$ hashes,
// verified with libxcrypt). Pure functions; check_bcrypt is slow (50-200 ms)
// and runs on the auth workers (auth_pool.h), never on a shard thread.
#pragma once

#include <string>
#include <string_view>

namespace ringnats::auth {

// nats' isBcrypt: "$2" then a letter, "$", two digits, "$".
// Inline: config/ refuses what it cannot check without linking auth/.
inline bool is_bcrypt(std::string_view s) {
  if (s.size() < 7 || s[0] != '$' || s[1] != '2') return false;
  char v = s[2];
  if (v != 'a' && v != 'b' && v != 'x' && v != 'y') return false;
  return s[3] == '$' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9' && s[6] == '$';
}
// Constant-time equality (time depends only on the lengths).
bool equal_ct(std::string_view a, std::string_view b);
// `scratch` is a caller-owned struct crypt_data (see BcryptScratch), so a
// worker thread reuses one; null allocates one for this call.
bool check_bcrypt(const std::string& hash, const std::string& password, void* scratch = nullptr);

// A struct crypt_data on the heap (about 32 KiB), one per worker.
struct BcryptScratch {
  BcryptScratch();
  ~BcryptScratch();
  BcryptScratch(const BcryptScratch&) = delete;
  BcryptScratch& operator=(const BcryptScratch&) = delete;
  void* data;
};

// A bcrypt hash of `password` at `cost` (tests and tools; slow).
std::string bcrypt_hash(const std::string& password, int cost = 11);

}  // namespace ringnats::auth
