// A connection's outbound queue: a FIFO of byte ranges, each inside a Block.
// Small writes are copied into the connection's own chunk; payloads already
// in a shared block are referenced, not copied. Flushed as one gathered send.
// footprint() is what the queue really holds: a range that pins a shared
// block is charged the whole block, so limits count pinned memory too.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/block.h"

namespace ringnats {

// What one gathered send carries (for the write-deadline log line).
struct SendShape {
  int chunks = 0;
  size_t bytes = 0;
};

class OutBuf {
 public:
  OutBuf() = default;
  ~OutBuf();
  OutBuf(const OutBuf&) = delete;
  OutBuf& operator=(const OutBuf&) = delete;

  // Copy bytes into our own chunk.
  void append(const char* p, size_t n);
  void append(std::string_view s) { append(s.data(), s.size()); }
  // Reserve `n` contiguous writable bytes in our chunk; commit() what was used.
  char* reserve(size_t n);
  void commit(char* start, size_t used);
  // Reference bytes inside a block (takes a reference of its own).
  void append_ref(Block* b, const char* p, size_t n);
  // Reference them while the queue holds less than `budget` (the common,
  // fast-reader case: no copy); past it, copy them into our own chunk so a
  // slow reader never pins blocks that are mostly other readers' bytes.
  void append_shared(Block* b, const char* p, size_t n, size_t budget) {
    if (footprint_ < budget || n * 4 >= b->cap) append_ref(b, p, n);
    else append(p, n);
  }

  size_t pending() const { return pending_; }
  size_t footprint() const { return footprint_; }
  bool empty() const { return pending_ == 0; }

  // Fill up to `max` iovecs from the front. Returns the count.
  int fill_iov(iovec* iov, int max) const;
  // `n` bytes from the front were sent.
  void consume(size_t n);
  void clear();

 private:
  struct Seg {
    Block* block;
    const char* p;
    uint32_t len;
    uint32_t charge;  // bytes counted in footprint_ for this range
  };
  static constexpr size_t kChunk = 16 * 1024;
  static constexpr size_t kChargeLookback = 8;
  void push_seg(Block* b, const char* p, size_t n);

  std::vector<Seg> segs_;  // ring-less FIFO: front index, compacted on drain
  size_t head_ = 0;
  size_t pending_ = 0;
  size_t footprint_ = 0;
  Block* chunk_ = nullptr;  // our current write chunk (we hold one ref)
};

}  // namespace ringnats
