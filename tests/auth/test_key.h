// A fresh ed25519 user key for the auth tests: its public "U..." nkey, its
// "SU..." seed (as a client's creds hold it), and signatures of a nonce.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <string>

#include "auth/nkey_codec.h"
#include "auth/nkey_sig.h"

namespace authtest {

struct UserKey {
  std::string pub, seed;
  EVP_PKEY* pk = nullptr;
  UserKey() {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_keygen(ctx, &pk);
    EVP_PKEY_CTX_free(ctx);
    std::array<uint8_t, 32> raw;
    size_t n = raw.size();
    EVP_PKEY_get_raw_public_key(pk, raw.data(), &n);
    pub = ringnats::nkey::encode_public(ringnats::nkey::kPrefixUser, raw.data());
    n = raw.size();
    EVP_PKEY_get_raw_private_key(pk, raw.data(), &n);
    seed = ringnats::nkey::encode_seed(ringnats::nkey::kPrefixUser, raw.data());
  }
  ~UserKey() { EVP_PKEY_free(pk); }
  UserKey(const UserKey&) = delete;
  UserKey& operator=(const UserKey&) = delete;
  std::string sign(const std::string& msg) const {
    unsigned char sig[64];
    size_t n = sizeof sig;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pk);
    EVP_DigestSign(ctx, sig, &n, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MD_CTX_free(ctx);
    return ringnats::auth::base64_url_raw(sig, n);
  }
};

}  // namespace authtest
