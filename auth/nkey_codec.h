// The nkey text formats (base32 of prefix byte + key + crc16): decoding a
// user's public key "U..." and encoding keys and seeds. Pure functions, no
// crypto and no state; config/ (validation) and auth/ (verification) share it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringnats::nkey {

constexpr uint8_t kPrefixUser = 20 << 3;    // 'U'
constexpr uint8_t kPrefixServer = 13 << 3;  // 'N'
constexpr uint8_t kPrefixSeed = 18 << 3;    // 'S'

// RFC 4648 base32, standard alphabet, no padding. Decode fails on any byte
// outside A-Z2-7.
std::string base32_encode(const uint8_t* p, size_t n);
bool base32_decode(std::string_view s, std::string& out);
// CRC-16/XMODEM, as the nkeys library checks it (appended little-endian).
uint16_t crc16(const uint8_t* p, size_t n);

// A public user key: 56 characters, prefix 'U', valid checksum. On success
// the raw ed25519 public key goes to `key`.
bool decode_public_user_key(std::string_view s, std::array<uint8_t, 32>& key);
inline bool is_valid_public_user_key(std::string_view s) {
  std::array<uint8_t, 32> k;
  return decode_public_user_key(s, k);
}
// Encoders (tests, tools): "U..." from a raw public key, "SU..." from a raw
// 32-byte ed25519 seed.
std::string encode_public(uint8_t prefix, const uint8_t key[32]);
std::string encode_seed(uint8_t prefix, const uint8_t seed[32]);

}  // namespace ringnats::nkey
