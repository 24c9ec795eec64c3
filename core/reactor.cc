// Reactor: io_uring set-up with the kernel's best flags (logged fallbacks),
// the provided-buffer ring, submissions and the wake-up paths. The kernel
// features it relies on are probed once here.
#include "core/reactor.h"

#include <algorithm>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "core/log.h"

namespace ringnats {

namespace {
constexpr unsigned kRingEntries = 4096;
constexpr int kBufGroup = 0;
}  // namespace

Reactor::Reactor() {
  // Created before the shard thread runs: peers may wake us before that.
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Reactor::~Reactor() {
  if (ring_ok_) io_uring_queue_exit(&ring_);
  if (mem_) munmap(mem_, mem_size_);
  if (event_fd_ >= 0) ::close(event_fd_);
}

bool Reactor::init(std::string& err) {
  if (event_fd_ < 0) {
    err = "eventfd failed";
    return false;
  }
  // Completions' task work runs when this thread asks for events (each
  // turn, or while it waits), not whenever the kernel can interrupt it; a
  // wait for N completions is woken once, not at each one.
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  int rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
  if (rc < 0) {
    log::debug("io_uring: DEFER_TASKRUN unavailable (%s), using COOP_TASKRUN", strerror(-rc));
    p = io_uring_params{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
    rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
  }
  if (rc < 0) {
    log::debug("io_uring: SINGLE_ISSUER|COOP_TASKRUN unavailable (%s), using defaults", strerror(-rc));
    p = io_uring_params{};
    rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
  }
  if (rc < 0) {
    err = std::string("io_uring_queue_init: ") + strerror(-rc);
    return false;
  }
  ring_ok_ = true;
  if (!(p.features & IORING_FEAT_SUBMIT_STABLE)) {
    err = "io_uring without IORING_FEAT_SUBMIT_STABLE (kernel 5.5 or newer is needed)";
    return false;
  }
  // Provided buffer ring: ring entries followed by the buffers, mapped
  // lazily (a buffer costs memory once a receive has used it). Only
  // kBufInitial are handed to the kernel at first, more as receives hold
  // them (took_buffer) or find none (out_of_buffers, a flood that returns
  // them within the turn), never taken back: the kernel takes buffers in ring order, so every
  // buffer it has is cycled through. Fewer of them keep the receive
  // working set in cache and spare the first-touch page faults of buffers
  // a light load never needs (a fault is several microseconds here).
  size_t ring_bytes = kBufCount * sizeof(io_uring_buf);
  mem_size_ = ring_bytes + size_t(kBufCount) * kBufSize;
  void* mem = mmap(nullptr, mem_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    err = "mmap for receive buffers failed";
    return false;
  }
  mem_ = static_cast<char*>(mem);
  br_ = static_cast<io_uring_buf_ring*>(mem);
  bufs_ = mem_ + ring_bytes;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = kBufCount;
  reg.bgid = kBufGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc < 0) {
    err = std::string("io_uring provided buffer rings unsupported: ") + strerror(-rc);
    return false;
  }
  io_uring_buf_ring_init(br_);
  provide_more(kBufInitial);
  commit_buffers();
  ring_fd_.store(ring_.ring_fd, std::memory_order_release);
  return true;
}

io_uring_sqe* Reactor::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (!s) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Reactor::arm_accept(int listen_fd) {
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, ud(Ud::Accept, 0, 0));
}

void Reactor::arm_event() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, event_fd_, &event_val_, sizeof(event_val_), 0);
  io_uring_sqe_set_data64(s, ud(Ud::Event, 0, 0));
}

void Reactor::arm_recv(int fd, uint64_t tag, unsigned max_len) {
  io_uring_sqe* s = sqe();
  // Single-shot with a provided buffer: a paused connection is simply not
  // re-armed, so the kernel holds its bytes and TCP pushes back. A length
  // caps what the buffer picked is filled with.
  io_uring_prep_recv(s, fd, nullptr, max_len, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufGroup;
  io_uring_sqe_set_data64(s, tag);
}

SendShape Reactor::send(int fd, const OutBuf& out, uint64_t tag) {
  if (scratch_used_ == scratch_.size()) scratch_.push_back(std::make_unique<SendScratch>());
  SendScratch& sc = *scratch_[scratch_used_++];
  int n = out.fill_iov(sc.iov, SendScratch::kMaxIov);
  SendShape shape{n, 0};
  for (int i = 0; i < n; ++i) shape.bytes += sc.iov[i].iov_len;
  sc.mh = msghdr{};
  sc.mh.msg_iov = sc.iov;
  sc.mh.msg_iovlen = static_cast<size_t>(n);
  io_uring_sqe* s = sqe();
  io_uring_prep_sendmsg(s, fd, &sc.mh, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag);
  return shape;
}

void Reactor::send_raw(int fd, const char* p, size_t n, uint64_t tag) {
  io_uring_sqe* s = sqe();
  io_uring_prep_send(s, fd, p, n, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag);
}

void Reactor::write(int fd, const char* p, size_t n, uint64_t offset, uint64_t tag) {
  io_uring_sqe* s = sqe();
  io_uring_prep_write(s, fd, p, static_cast<unsigned>(n), offset);
  io_uring_sqe_set_data64(s, tag);
}

void Reactor::wake_peer(Reactor& peer) {
  if (!peer.sleeping()) return;
  int fd = peer.ring_fd_.load(std::memory_order_acquire);
  if (fd < 0 || !msg_ring_ok_) {
    peer.wake();
    return;
  }
  io_uring_sqe* s = sqe();
  io_uring_prep_msg_ring(s, fd, 0, ud(Ud::Wake, 0, 0), 0);
  s->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(s, ud(Ud::MsgRingResult, 0, 0));
}

void Reactor::on_msg_ring_failed(int res) {
  if (!msg_ring_ok_) return;
  msg_ring_ok_ = false;
  msg_ring_failed_ = true;
  log::debug("io_uring: MSG_RING wake-ups unavailable (%s), using eventfd", strerror(-res));
}

void Reactor::submit() {
  io_uring_submit(&ring_);
  // The kernel has copied every msghdr it took; one still queued (a partial
  // submit) points into the arena, which must then stay as it is.
  if (io_uring_sq_ready(&ring_) == 0) scratch_used_ = 0;
}

void Reactor::wait(int64_t wait_ns) {
  __kernel_timespec ts{wait_ns / 1'000'000'000, wait_ns % 1'000'000'000};
  io_uring_cqe* cqe = nullptr;
  io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  if (io_uring_sq_ready(&ring_) == 0) scratch_used_ = 0;
}

void Reactor::give_back(uint16_t bid) {
  io_uring_buf_ring_add(br_, bufs_ + size_t(bid) * kBufSize, kBufSize, bid,
                        io_uring_buf_ring_mask(kBufCount), pending_returns_);
  ++pending_returns_;
  --bufs_out_;
}

void Reactor::provide_more(unsigned n) {
  for (unsigned end = std::min(provided_ + n, kBufCount); provided_ < end; ++provided_) {
    io_uring_buf_ring_add(br_, bufs_ + size_t(provided_) * kBufSize, kBufSize, static_cast<uint16_t>(provided_),
                          io_uring_buf_ring_mask(kBufCount), pending_returns_);
    ++pending_returns_;
  }
}

void Reactor::commit_buffers() {
  if (!pending_returns_) return;
  io_uring_buf_ring_advance(br_, pending_returns_);
  pending_returns_ = 0;
}

void Reactor::wake() {
  if (sleeping()) wake_always();
}

void Reactor::wake_always() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(event_fd_, &one, sizeof(one));
}

void Reactor::post(std::function<void(Shard&)> fn) {
  {
    std::lock_guard<std::mutex> g(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  has_posted_.store(true, std::memory_order_seq_cst);
  wake_always();
}

std::vector<std::function<void(Shard&)>> Reactor::take_posted() {
  std::vector<std::function<void(Shard&)>> work;
  if (!has_posted_.load(std::memory_order_acquire)) return work;
  std::lock_guard<std::mutex> g(posted_mu_);
  work.swap(posted_);
  has_posted_.store(false, std::memory_order_relaxed);
  return work;
}

}  // namespace ringnats
