// nkey text formats (see nkey_codec.h). Written from the format's
// description: base32 (RFC 4648), one prefix byte (two for seeds), crc16.
#include "auth/nkey_codec.h"

namespace ringnats::nkey {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int b32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}
}  // namespace

std::string base32_encode(const uint8_t* p, size_t n) {
  std::string out;
  out.reserve((n * 8 + 4) / 5);
  uint32_t buf = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    buf = (buf << 8) | p[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buf >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buf << (5 - bits)) & 31]);
  return out;
}

bool base32_decode(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size() * 5 / 8);
  uint32_t buf = 0;
  int bits = 0;
  for (char c : s) {
    int v = b32_value(c);
    if (v < 0) return false;
    buf = (buf << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buf >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return true;
}

uint16_t crc16(const uint8_t* p, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(p[i]) << 8));
    for (int b = 0; b < 8; ++b)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

bool decode_public_user_key(std::string_view s, std::array<uint8_t, 32>& key) {
  if (s.size() != 56 || s[0] != 'U') return false;
  std::string raw;
  if (!base32_decode(s, raw) || raw.size() != 35) return false;
  const auto* r = reinterpret_cast<const uint8_t*>(raw.data());
  if (r[0] != kPrefixUser) return false;
  uint16_t want = static_cast<uint16_t>(r[33] | (r[34] << 8));
  if (crc16(r, 33) != want) return false;
  for (size_t i = 0; i < 32; ++i) key[i] = r[1 + i];
  return true;
}

std::string encode_public(uint8_t prefix, const uint8_t key[32]) {
  uint8_t raw[35];
  raw[0] = prefix;
  for (int i = 0; i < 32; ++i) raw[1 + i] = key[i];
  uint16_t c = crc16(raw, 33);
  raw[33] = static_cast<uint8_t>(c & 0xff);
  raw[34] = static_cast<uint8_t>(c >> 8);
  return base32_encode(raw, sizeof raw);
}

std::string encode_seed(uint8_t prefix, const uint8_t seed[32]) {
  uint8_t raw[36];
  raw[0] = static_cast<uint8_t>(kPrefixSeed | (prefix >> 5));
  raw[1] = static_cast<uint8_t>((prefix & 31) << 3);
  for (int i = 0; i < 32; ++i) raw[2 + i] = seed[i];
  uint16_t c = crc16(raw, 34);
  raw[34] = static_cast<uint8_t>(c & 0xff);
  raw[35] = static_cast<uint8_t>(c >> 8);
  return base32_encode(raw, sizeof raw);
}

}  // namespace ringnats::nkey
