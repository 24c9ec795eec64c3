// nkey challenge (see nkey_sig.h).
#include "auth/nkey_sig.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "auth/nkey_codec.h"

namespace ringnats::auth {

namespace {
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}
}  // namespace

std::string base64_url_raw(const unsigned char* p, size_t n) {
  std::string out;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
    out.push_back(kUrl[(v >> 6) & 63]);
    out.push_back(kUrl[v & 63]);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(p[i]) << 16;
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
  } else if (n - i == 2) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8);
    out.push_back(kUrl[(v >> 18) & 63]);
    out.push_back(kUrl[(v >> 12) & 63]);
    out.push_back(kUrl[(v >> 6) & 63]);
  }
  return out;
}

// As Go's encoding/base64 (not strict): CR and LF are skipped; padding must
// be exactly right when `padded`, absent otherwise.
bool base64_decode(std::string_view s, bool url, bool padded, std::string& out) {
  out.clear();
  uint32_t buf = 0;
  int bits = 0;
  size_t pads = 0, nchars = 0;
  for (char c : s) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (!padded) return false;
      ++pads;
      continue;
    }
    if (pads) return false;  // data after padding
    int v = b64_value(c, url);
    if (v < 0) return false;
    ++nchars;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buf >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  if (nchars % 4 == 1) return false;
  if (padded && (nchars + pads) % 4 != 0) return false;
  if (padded && pads > 2) return false;
  return true;
}

std::string make_nonce() {
  unsigned char raw[11];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  return base64_url_raw(raw, sizeof raw);
}

bool verify_nonce_sig(std::string_view public_user_key, std::string_view nonce, std::string_view sig) {
  if (sig.empty() || nonce.empty()) return false;
  std::string raw;
  if (!base64_decode(sig, true, false, raw) && !base64_decode(sig, false, true, raw)) return false;
  if (raw.size() != 64) return false;
  std::array<uint8_t, 32> key;
  if (!nkey::decode_public_user_key(public_user_key, key)) return false;
  EVP_PKEY* pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (!pk) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pk) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                             reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pk);
  return ok;
}

}  // namespace ringnats::auth
