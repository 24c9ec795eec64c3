// A shard's reactor: its io_uring ring, the provided receive buffers, the
// per-turn sendmsg arena, and how the shard is woken (eventfd from any
// thread, MSG_RING from a peer shard, posted control work). It knows file
// descriptors and completion tags, nothing of connections or protocols.
// Owned by one shard thread; only wake(), post() and sleeping() may be
// called from other threads.
#pragma once

#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/outbuf.h"

namespace ringnats {

class Shard;

// What a completion belongs to, packed into user_data with the connection's
// (slot, gen) so a completion for a freed connection is recognised.
enum class Ud : uint8_t { Accept = 1, Recv, Send, Event, Wake, MsgRingResult, Write };
inline uint64_t ud(Ud k, uint32_t slot, uint32_t gen) {
  return (uint64_t(k) << 56) | (uint64_t(slot & 0xffffff) << 32) | gen;
}
inline Ud ud_kind(uint64_t d) { return static_cast<Ud>(d >> 56); }
inline uint32_t ud_slot(uint64_t d) { return static_cast<uint32_t>((d >> 32) & 0xffffff); }
inline uint32_t ud_gen(uint64_t d) { return static_cast<uint32_t>(d); }

class Reactor {
 public:
  // 256 KiB receives, not 64: each receive that empties a busy socket sends
  // a window update, and in that update's wake the publisher's queued data is
  // pushed and received, on our CPU; four times fewer of them, and a 16 KiB
  // message is split across buffers four times less often (pinned, 1:1:
  // 680 -> 450 ns/msg at 1 KiB, 11.8 -> 6.0 us at 16 KiB; 512 KiB did worse
  // at 16 KiB). The pool stays at 16 MiB a shard.
  static constexpr unsigned kBufCount = 64;  // provided receive buffers, at most
  static constexpr unsigned kBufSize = 256 * 1024;
  static constexpr unsigned kBufInitial = 4;  // handed to the kernel at first
  static constexpr unsigned kBufStep = 4;     // more when fewer than this are left to it
  // The receive size of a new connection and of one that paused while
  // buffers were short (one of a crowd of stalled publishers): the unread
  // rest copied out of its buffer is at most this. 1000 stalled publishers
  // held 290 MB in copies of 256 KiB rests (153 MB now, nats-server 145);
  // 64 KiB is nats-server's largest read buffer.
  static constexpr unsigned kPausedRecv = 64 * 1024;

  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // On the shard thread, before anything else: ring and buffers.
  bool init(std::string& err);

  // --- submissions (shard thread) ---
  void arm_accept(int listen_fd);
  void arm_event();
  // A receive into a provided buffer, of at most `max_len` bytes (0: a
  // whole buffer).
  void arm_recv(int fd, uint64_t tag, unsigned max_len = 0);
  // One gathered sendmsg of what `out` holds; the header and iovecs live in
  // this turn's arena (the kernel copies them at submit).
  SendShape send(int fd, const OutBuf& out, uint64_t tag);
  // One send of `n` bytes at `p` (a TLS session's ciphertext), which must
  // stay put until the completion.
  void send_raw(int fd, const char* p, size_t n, uint64_t tag);
  // A file write at `offset` (JetStream's stores).
  void write(int fd, const char* p, size_t n, uint64_t offset, uint64_t tag);
  // Wake `peer` through our ring if it announced it sleeps (rides on this
  // turn's submit instead of a write()).
  void wake_peer(Reactor& peer);
  void submit();
  // Submit and block until a completion or `wait_ns` passes.
  void wait(int64_t wait_ns);

  // --- completions (shard thread) ---
  // Calls f(cqe) for every completion the shard must handle (accept,
  // receive, send); wake-ups and eventfd reads are handled here.
  // batch() runs before each batch taken from the completion queue.
  template <class F, class B>
  void reap(F&& f, B&& batch);
  // Completions posted, or task work that will post them once we ask.
  bool has_completions() {
    return io_uring_cq_ready(&ring_) > 0 || (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN);
  }
  // MSG_RING turned out unsupported: the wake-ups it carried were lost, so
  // the caller wakes every peer once (later ones go through eventfds).
  bool take_msg_ring_failure() {
    bool f = msg_ring_failed_;
    msg_ring_failed_ = false;
    return f;
  }

  // --- receive buffers (shard thread) ---
  const char* buffer(uint16_t bid) const { return bufs_ + size_t(bid) * kBufSize; }
  void took_buffer() {  // a completion handed us one
    if (++bufs_out_ + kBufStep > provided_ && provided_ < kBufCount) provide_more(kBufStep);
  }
  void give_back(uint16_t bid);
  void commit_buffers();               // make given-back (and new) buffers usable
  bool buffers_free() const { return bufs_out_ < provided_; }
  unsigned buffers_with_kernel() const { return provided_ - bufs_out_; }
  // A receive found the kernel without a buffer: under a flood buffers come
  // back within the turn, so holding them never signals the need. Hand out
  // more (committed at the end of the turn).
  void out_of_buffers() {
    if (provided_ < kBufCount) provide_more(kBufStep);
  }
  bool buffers_short() const { return bufs_out_ * 4 >= kBufCount; }
  unsigned buffers_held() const { return bufs_out_; }

  // --- other threads ---
  void wake();                                   // if sleeping
  void wake_always();                            // stop requests
  void post(std::function<void(Shard&)> fn);     // runs at the shard's next turn
  bool has_posted() const { return has_posted_.load(std::memory_order_seq_cst); }
  std::vector<std::function<void(Shard&)>> take_posted();

  // Sleep announcement for the wake handshake (see Shard::run).
  void announce_sleep() { sleeping_.store(true, std::memory_order_seq_cst); }
  void awake() { sleeping_.store(false, std::memory_order_seq_cst); }
  bool sleeping() const { return sleeping_.load(std::memory_order_seq_cst); }

 private:
  struct SendScratch {
    static constexpr int kMaxIov = 256;
    msghdr mh;
    iovec iov[kMaxIov];
  };
  io_uring_sqe* sqe();
  void on_msg_ring_failed(int res);
  void provide_more(unsigned n);  // the next n never-used buffers, committed with give-backs

  io_uring ring_{};
  bool ring_ok_ = false;
  io_uring_buf_ring* br_ = nullptr;
  char* mem_ = nullptr;
  char* bufs_ = nullptr;
  size_t mem_size_ = 0;
  int pending_returns_ = 0;
  unsigned bufs_out_ = 0;  // provided buffers held by us, not the kernel
  unsigned provided_ = 0;  // buffers ever handed to the kernel (ids 0..provided_-1)
  int event_fd_ = -1;
  uint64_t event_val_ = 0;
  std::atomic<int> ring_fd_{-1};  // for peers' MSG_RING wake-ups, once our ring exists
  bool msg_ring_ok_ = true;
  bool msg_ring_failed_ = false;
  std::vector<std::unique_ptr<SendScratch>> scratch_;
  size_t scratch_used_ = 0;
  std::mutex posted_mu_;
  std::vector<std::function<void(Shard&)>> posted_;
  std::atomic<bool> has_posted_{false};
  alignas(64) std::atomic<bool> sleeping_{false};
};

template <class F, class B>
void Reactor::reap(F&& f, B&& batch) {
  io_uring_cqe* cqes[256];
  unsigned n;
  while ((n = io_uring_peek_batch_cqe(&ring_, cqes, 256)) > 0) {
    batch();
    for (unsigned i = 0; i < n; ++i) {
      io_uring_cqe* c = cqes[i];
      switch (ud_kind(io_uring_cqe_get_data64(c))) {
        case Ud::Event:
          arm_event();
          break;
        case Ud::Wake:
          break;
        case Ud::MsgRingResult:
          if (c->res < 0) on_msg_ring_failed(c->res);
          break;
        default:
          f(c);
      }
    }
    io_uring_cq_advance(&ring_, n);
    if (n < 256) break;
  }
}

}  // namespace ringnats
