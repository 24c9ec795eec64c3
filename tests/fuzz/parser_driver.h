// Shared driver for the client and route parser fuzz targets.
//
// The input is a connection's byte stream. It is parsed three ways: in one
// buffer, byte by byte, and in chunks whose sizes come from a PRNG seeded by
// the input. Every chunk is a fresh heap copy that is freed as soon as feed()
// returns, so ASan catches any view the parser keeps into a buffer it no
// longer owns (core recycles receive buffers, where that would be silent
// corruption). The handler behaves like core's: it pauses (the driver then
// re-feeds the unconsumed rest of the chunk, as core does with a held
// buffer), holds the parser after some SUBs until the "ack" (the driver
// clears hold when the parser reports Paused), stops on what core closes on,
// and hands out exact-size payload storage for split payloads. The three
// event logs must be identical: splitting a stream must never change what
// the parser reports, only when.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/parser.h"

namespace fuzz {

using ringnats::proto::ConnKind;
using ringnats::proto::FeedResult;
using ringnats::proto::Flow;
using ringnats::proto::MsgArgs;
using ringnats::proto::Op;
using ringnats::proto::Parser;

inline uint64_t fnv1a(const uint8_t* d, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ull;
  return h;
}

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// Reads every byte of a view so ASan checks it is still owned memory.
inline uint64_t touch(std::string_view v) {
  uint64_t x = v.size();
  for (char c : v) x = x * 31 + static_cast<unsigned char>(c);
  return x;
}

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}

// Settings shared by the three runs of one input, so their logs compare.
struct Setup {
  ConnKind kind = ConnKind::Client;
  size_t max_control_line = 4096;
  bool require_connect = false;
  int pause_every = 0;  // 0: never pause; else pause after every n-th event
  int hold_every = 0;   // 0: never hold; else hold after every n-th SUB / RS+
  int64_t max_payload = 1 << 20;
};

// Callbacks that the target supplies: what core does with each operation
// (decode CONNECT JSON, split SUB/RS+ arguments, ...). They return false
// when core would close the connection.
struct Semantics {
  bool (*op)(Op op, std::string_view args) = nullptr;
  bool (*msg)(const MsgArgs& m, std::string_view payload) = nullptr;
};

class Handler {
 public:
  Handler(const Setup& s, const Semantics& sem, Parser& p) : s_(s), sem_(sem), p_(p) {}
  ~Handler() { drop_storage(); }

  Flow on_op(Op op, std::string_view args) {
    touch(args);
    std::string ev = "op ";
    ev += std::to_string(static_cast<int>(op));
    ev += ' ';
    ev.append(args);
    log.push_back(std::move(ev));
    if (sem_.op && !sem_.op(op, args)) return Flow::Stop;
    if (op == Op::Err) return Flow::Stop;  // core closes on -ERR from a peer
    if (op == Op::Connect) p_.set_require_connect(false);
    if ((op == Op::Sub || op == Op::RsPlus) && s_.hold_every && ++subs_ % s_.hold_every == 0) {
      p_.set_hold(true);  // partition on another shard: wait for the ack
    }
    return next_flow();
  }

  Flow on_msg_args(const MsgArgs& m) {
    check_args(m);
    std::string ev = "args ";
    ev += describe(m);
    log.push_back(std::move(ev));
    // Core closes a client over max_payload here; the route side has no such
    // check in core, but a fuzzer cannot allocate a gigabyte either.
    if (m.size > s_.max_payload) return Flow::Stop;
    return Flow::Continue;
  }

  char* payload_storage(const MsgArgs& m) {
    check_args(m);
    require(m.size >= 0 && m.size <= s_.max_payload, "payload_storage size out of range");
    drop_storage();
    // Exactly the payload: ASan reports any write past it.
    storage_size_ = static_cast<size_t>(m.size);
    storage_ = static_cast<char*>(std::malloc(storage_size_ ? storage_size_ : 1));
    require(storage_ != nullptr, "malloc");
    return storage_;
  }

  Flow on_msg(const MsgArgs& m, std::string_view payload, bool stored) {
    check_args(m);
    touch(payload);
    require(payload.size() == static_cast<size_t>(m.size), "payload size != declared size");
    if (stored) {
      require(storage_ != nullptr, "stored payload without storage");
      require(payload.data() == storage_, "stored payload not in storage");
    }
    if (m.hdr >= 0) require(m.hdr <= m.size, "header size > total size");
    std::string ev = "msg ";
    ev += describe(m);
    ev += " | ";
    ev.append(payload);
    log.push_back(std::move(ev));
    bool ok = !sem_.msg || sem_.msg(m, payload);
    if (stored) drop_storage();
    if (!ok) return Flow::Stop;
    return next_flow();
  }

  std::vector<std::string> log;

 private:
  static void check_args(const MsgArgs& m) {
    touch(m.args);
    touch(m.account);
    touch(m.subject);
    touch(m.reply);
    touch(m.hdr_text);
    touch(m.size_text);
    require(m.op == Op::Pub || m.op == Op::Hpub || m.op == Op::Rmsg || m.op == Op::Hmsg ||
                m.op == Op::Lmsg,
            "message args for a non-message op");
    require(m.size >= 0, "negative size");
  }

  static std::string describe(const MsgArgs& m) {
    std::string s = std::to_string(static_cast<int>(m.op));
    for (std::string_view v : {m.args, m.account, m.subject, m.reply, m.hdr_text, m.size_text}) {
      s += " [";
      s.append(v);
      s += ']';
    }
    s += ' ' + std::to_string(m.hdr) + ' ' + std::to_string(m.size);
    return s;
  }

  Flow next_flow() {
    if (s_.pause_every && ++events_ % s_.pause_every == 0) return Flow::Pause;
    return Flow::Continue;
  }

  void drop_storage() {
    std::free(storage_);
    storage_ = nullptr;
    storage_size_ = 0;
  }

  const Setup& s_;
  const Semantics& sem_;
  Parser& p_;
  char* storage_ = nullptr;
  size_t storage_size_ = 0;
  int subs_ = 0;
  int events_ = 0;
};

// Feeds `chunks` (sizes summing to the input) and returns the event log,
// ended by how the connection finished.
inline std::vector<std::string> run(const Setup& s, const Semantics& sem, const uint8_t* data,
                                    const std::vector<size_t>& chunks) {
  Parser p(s.kind, s.max_control_line);
  p.set_require_connect(s.require_connect);
  Handler h(s, sem, p);
  size_t off = 0;
  std::string end = "end done";
  for (size_t c : chunks) {
    // A fresh, exact-size copy per receive, freed when feed() returns.
    std::unique_ptr<char[]> buf(new char[c ? c : 1]);
    if (c) std::memcpy(buf.get(), data + off, c);
    off += c;
    size_t pos = 0;
    bool closed = false;
    int resumes = 0;
    while (pos < c) {
      FeedResult r = p.feed(buf.get() + pos, c - pos, h);
      require(r.consumed <= c - pos, "consumed more than fed");
      if (r.status == FeedResult::Paused) {
        // Core parks the connection, applies the ack (hold off) or lets the
        // subscriber drain, then feeds the rest of the held buffer.
        require(++resumes <= 1 + 2 * static_cast<int>(c), "parser paused without progress");
        pos += r.consumed;
        p.set_hold(false);
        continue;
      }
      if (r.status == FeedResult::Done) {
        require(r.consumed == c - pos, "Done without consuming everything");
        pos = c;
        break;
      }
      end = r.status == FeedResult::Stopped ? "end stopped"
                                           : "end error " + std::to_string(static_cast<int>(r.err));
      closed = true;
      break;
    }
    if (closed) break;
  }
  h.log.push_back(end);
  return h.log;
}

inline void compare(const std::vector<std::string>& a, const std::vector<std::string>& b,
                    const char* what) {
  if (a == b) return;
  std::fprintf(stderr, "event logs differ (%s): %zu vs %zu events\n", what, a.size(), b.size());
  for (size_t i = 0; i < a.size() || i < b.size(); ++i) {
    const std::string& x = i < a.size() ? a[i] : std::string("<none>");
    const std::string& y = i < b.size() ? b[i] : std::string("<none>");
    if (x != y) {
      std::fprintf(stderr, "  #%zu whole: %.200s\n  #%zu split: %.200s\n", i, x.c_str(), i, y.c_str());
      break;
    }
  }
  std::abort();
}

// Runs one input whole, byte by byte and in random chunks; the logs must
// agree except that a control line too long may be caught before its end.
inline void fuzz_one(ConnKind kind, const Semantics& sem, const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return;
  uint64_t h = fnv1a(data, size);
  Rng rng{h | 1};
  Setup s;
  s.kind = kind;
  uint64_t r = rng.next();
  s.require_connect = (r & 3) == 0;
  s.pause_every = (r >> 2) & 3 ? 0 : 1 + static_cast<int>((r >> 4) % 4);
  s.hold_every = (r >> 6) & 1 ? 1 + static_cast<int>((r >> 7) % 3) : 0;
  s.max_control_line = (r >> 9) & 7 ? 4096 : 16 + (r >> 12) % 64;
  s.max_payload = (r >> 20) & 3 ? 1 << 20 : static_cast<int64_t>((r >> 22) % 64);

  std::vector<size_t> whole{size};
  auto a = run(s, sem, data, whole);

  std::vector<size_t> bytes(size, 1);
  auto b = run(s, sem, data, bytes);

  std::vector<size_t> rand_chunks;
  for (size_t left = size; left > 0;) {
    size_t n = 1 + rng.next() % (left < 32 ? left : 32);
    if (rng.next() % 8 == 0) n = left;
    if (n > left) n = left;
    rand_chunks.push_back(n);
    left -= n;
  }
  auto c = run(s, sem, data, rand_chunks);

  // A split control line over the limit is refused as soon as the limit is
  // passed, which can be before the end of the line; only the final
  // status's detail may then differ, so compare the events before it too.
  auto same_prefix = [](std::vector<std::string> x, std::vector<std::string> y) {
    bool xe = !x.empty() && x.back().rfind("end error 2", 0) == 0;  // MaxControlLine
    bool ye = !y.empty() && y.back().rfind("end error 2", 0) == 0;
    if (xe || ye) {
      x.pop_back();
      y.pop_back();
    }
    return std::make_pair(x, y);
  };
  auto [a1, b1] = same_prefix(a, b);
  compare(a1, b1, "byte by byte");
  auto [a2, c2] = same_prefix(a, c);
  compare(a2, c2, "random chunks");
}

}  // namespace fuzz
