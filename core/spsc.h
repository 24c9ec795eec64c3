// Bounded single-producer/single-consumer ring, one per ordered pair of
// shards. The producer batches pushes and publishes once per loop turn; the
// consumer drains in batches. Cursors live on separate cache lines. Slots are
// mapped lazily (untouched pages cost no memory), so an idle pair of shards
// costs a few hundred bytes whatever the capacity.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <new>
#include <type_traits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace ringnats {

template <class T>
class SpscRing {
 public:
  static_assert(std::is_trivially_copyable_v<T>, "slots are raw memory");
  explicit SpscRing(size_t capacity_pow2) : mask_(capacity_pow2 - 1) {
    bytes_ = capacity_pow2 * sizeof(T);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    slots_ = static_cast<T*>(p);
  }
  ~SpscRing() { munmap(slots_, bytes_); }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer: stage an item; invisible until publish(). False when full.
  bool push(const T& v) {
    if (staged_tail_ - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (staged_tail_ - cached_head_ > mask_) return false;
    }
    new (&slots_[staged_tail_ & mask_]) T(v);
    ++staged_tail_;
    return true;
  }
  // Producer: make staged items visible. Returns true if anything was new.
  bool publish() {
    if (staged_tail_ == published_) return false;
    published_ = staged_tail_;
    tail_.store(staged_tail_, std::memory_order_release);
    return true;
  }
  bool has_staged() const { return staged_tail_ != published_; }
  // Producer: no room for one more item right now.
  bool full_for_producer() {
    cached_head_ = head_.load(std::memory_order_acquire);
    return staged_tail_ - cached_head_ > mask_;
  }
  // Bytes the records in flight pin (batch blocks, payloads): the producer
  // charges them when it stages, the consumer discharges them when it is
  // done. Each side writes only its own counter.
  void charge(uint64_t n) { charged_ += n; }
  void discharge(uint64_t n) {
    discharged_local_ += n;
    discharged_.store(discharged_local_, std::memory_order_release);
  }
  uint64_t in_flight() const { return charged_ - discharged_.load(std::memory_order_acquire); }

  // Room handshake: a producer holding items it could not push sets this
  // before it sleeps; the consumer takes it after freeing room and wakes it.
  void set_producer_waiting() { producer_waiting_.store(true, std::memory_order_seq_cst); }
  bool take_producer_waiting() {
    return producer_waiting_.load(std::memory_order_relaxed) &&
           producer_waiting_.exchange(false, std::memory_order_seq_cst);
  }

  // Consumer: call f(item) for every visible item; returns how many.
  template <class F>
  size_t drain(F&& f, size_t max = ~size_t{0}) {
    uint64_t tail = tail_.load(std::memory_order_acquire);
    uint64_t head = head_.load(std::memory_order_relaxed);
    size_t n = 0;
    while (head != tail && n < max) {
      f(slots_[head & mask_]);
      ++head;
      ++n;
      if ((n & 63) == 0) head_.store(head, std::memory_order_release);
    }
    head_.store(head, std::memory_order_release);
    return n;
  }
  // Consumer: like drain, but stops before the first item `f` refuses
  // (returns false for); that item stays at the head for the next call.
  template <class F>
  size_t drain_while(F&& f) {
    uint64_t tail = tail_.load(std::memory_order_acquire);
    uint64_t head = head_.load(std::memory_order_relaxed);
    size_t n = 0;
    while (head != tail && f(slots_[head & mask_])) {
      ++head;
      ++n;
      if ((n & 63) == 0) head_.store(head, std::memory_order_release);
    }
    head_.store(head, std::memory_order_release);
    return n;
  }
  bool empty_for_consumer() const {
    return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_relaxed);
  }

 private:
  const uint64_t mask_;
  size_t bytes_ = 0;
  T* slots_ = nullptr;
  alignas(64) std::atomic<bool> producer_waiting_{false};
  uint64_t charged_ = 0;                          // producer-private
  alignas(64) std::atomic<uint64_t> discharged_{0};
  uint64_t discharged_local_ = 0;                 // consumer-private
  alignas(64) std::atomic<uint64_t> head_{0};  // consumer
  alignas(64) std::atomic<uint64_t> tail_{0};  // producer, published
  alignas(64) uint64_t staged_tail_ = 0;       // producer-private
  uint64_t published_ = 0;
  uint64_t cached_head_ = 0;
};

// An unbounded FIFO that reuses its storage: the spill behind a full ring.
// A circular buffer that doubles when full, so steady use never copies.
// Only its owner touches it.
template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  T& front() { return items_[head_ & (items_.size() - 1)]; }
  void push_back(const T& v) {
    if (size() == items_.size()) grow();
    items_[tail_++ & (items_.size() - 1)] = v;
  }
  void pop_front() { ++head_; }

 private:
  void grow() {
    std::vector<T> bigger(items_.empty() ? 1024 : items_.size() * 2);
    for (size_t i = 0; i < size(); ++i) bigger[i] = items_[(head_ + i) & (items_.size() - 1)];
    tail_ = size();
    head_ = 0;
    items_.swap(bigger);
  }
  std::vector<T> items_;
  size_t head_ = 0, tail_ = 0;
};

}  // namespace ringnats
