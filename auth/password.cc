// Password checks (see password.h): libxcrypt's crypt_rn for bcrypt,
// OpenSSL's CRYPTO_memcmp for constant-time comparison.
#include "auth/password.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>

namespace ringnats::auth {

bool equal_ct(std::string_view a, std::string_view b) {
  // Compare over the longer length so the time does not depend on where the
  // first difference is; a length mismatch still fails.
  size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

BcryptScratch::BcryptScratch() : data(new crypt_data{}) {}
BcryptScratch::~BcryptScratch() { delete static_cast<crypt_data*>(data); }

bool check_bcrypt(const std::string& hash, const std::string& password, void* scratch) {
  if (!is_bcrypt(hash)) return false;
  // crypt reads a C string: a password with a NUL in it would be cut there
  // and match a shorter one (Go's bcrypt uses every byte). Refuse it.
  if (password.find('\0') != std::string::npos) return false;
  std::unique_ptr<crypt_data> own;
  auto* cd = static_cast<crypt_data*>(scratch);
  if (!cd) {
    own = std::make_unique<crypt_data>();
    cd = own.get();
  }
  std::memset(cd, 0, sizeof(*cd));
  const char* out = crypt_rn(password.c_str(), hash.c_str(), cd, sizeof(*cd));
  if (!out || out[0] == '*') return false;
  size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

std::string bcrypt_hash(const std::string& password, int cost) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt)) return {};
  auto cd = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt, cd.get(), sizeof(*cd));
  if (!out || out[0] == '*') return {};
  return out;
}

}  // namespace ringnats::auth
