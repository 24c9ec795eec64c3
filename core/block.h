// Reference-counted byte blocks: the one place a payload is copied to when it
// must outlive the receive buffer or leave the shard. Outbound queues point
// into blocks with iovecs instead of copying again.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ringnats {

struct Block {
  std::atomic<int32_t> refs;
  uint32_t cap;
  uint32_t len;
  char data[];

  static Block* make(size_t cap) {
    void* mem = std::malloc(sizeof(Block) + cap);
    if (!mem) throw std::bad_alloc();
    auto* b = static_cast<Block*>(mem);
    new (&b->refs) std::atomic<int32_t>(1);
    b->cap = static_cast<uint32_t>(cap);
    b->len = 0;
    return b;
  }
  void ref(int32_t n = 1) { refs.fetch_add(n, std::memory_order_relaxed); }
  void unref() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) std::free(this);
  }
  size_t room() const { return cap - len; }
  char* tail() { return data + len; }
  void put(const void* p, size_t n) {
    std::memcpy(data + len, p, n);
    len += static_cast<uint32_t>(n);
  }
};

}  // namespace ringnats
