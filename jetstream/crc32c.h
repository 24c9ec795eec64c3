// CRC32C (Castagnoli) over the file store's records. Why this checksum: it
// catches the torn and flipped bytes a crash or a bad sector leaves, costs
// one instruction per 8 bytes where SSE4.2 exists (probed once), and falls
// back to a 1 KiB table elsewhere. Not a defence against tampering.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringnats::js {

// `crc` continues an earlier call (start with 0).
uint32_t crc32c(uint32_t crc, const void* data, size_t len);

}  // namespace ringnats::js
