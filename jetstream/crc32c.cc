// CRC32C: SSE4.2's crc32 instruction when the CPU has it, else a
// byte-at-a-time table (reflected polynomial 0x82F63B78). Both give the
// same values; the choice is made once.
#include "jetstream/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ringnats::js {
namespace {

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

uint32_t crc_table(uint32_t crc, const unsigned char* p, size_t len) {
  for (size_t i = 0; i < len; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_hw(uint32_t crc, const unsigned char* p, size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    len -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (len > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --len;
  }
  return c32;
}
bool probe_hw() {
  __builtin_cpu_init();  // this may run before the CPU-model constructor
  return __builtin_cpu_supports("sse4.2");
}
const bool kHaveHw = probe_hw();
#endif

}  // namespace

uint32_t crc32c(uint32_t crc, const void* data, size_t len) {
  auto p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  if (kHaveHw) return ~crc_hw(crc, p, len);
#endif
  return ~crc_table(crc, p, len);
}

}  // namespace ringnats::js
