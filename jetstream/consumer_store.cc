// Consumer state files: a compact little-endian binary image with a
// trailing CRC32C, replaced by write-temp-then-rename.
#include "jetstream/consumer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/go_text.h"
#include "jetstream/crc32c.h"

namespace ringnats::js {
namespace {

constexpr char kMagic[4] = {'R', 'N', 'C', 'S'};
constexpr uint32_t kVersion = 1;

template <class T>
void put(std::string& b, T v) {
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Reader {
  const std::string& b;
  size_t at = 0;
  template <class T>
  bool get(T& v) {
    if (b.size() - at < sizeof v) return false;
    std::memcpy(&v, b.data() + at, sizeof v);
    at += sizeof v;
    return true;
  }
};


}  // namespace

std::string encode_consumer_state(const ConsumerState& s) {
  std::string b;
  b.reserve(64 + s.pending.size() * 24 + s.redelivered.size() * 16);
  b.append(kMagic, 4);
  put<uint32_t>(b, kVersion);
  put<uint64_t>(b, s.delivered_consumer_seq);
  put<uint64_t>(b, s.delivered_stream_seq);
  put<uint64_t>(b, s.ack_floor_consumer_seq);
  put<uint64_t>(b, s.ack_floor_stream_seq);
  put<uint64_t>(b, s.pending.size());
  for (auto& [seq, p] : s.pending) {
    put<uint64_t>(b, seq);
    put<uint64_t>(b, p.consumer_seq);
    put<int64_t>(b, p.ts_ns);
  }
  put<uint64_t>(b, s.redelivered.size());
  for (auto& [seq, n] : s.redelivered) {
    put<uint64_t>(b, seq);
    put<uint64_t>(b, n);
  }
  put<uint32_t>(b, crc32c(0, b.data(), b.size()));
  return b;
}

bool decode_consumer_state(const std::string& bytes, ConsumerState& out) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 4) != 0) return false;
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + bytes.size() - 4, 4);
  if (crc != crc32c(0, bytes.data(), bytes.size() - 4)) return false;
  std::string body = bytes.substr(0, bytes.size() - 4);
  Reader r{body, 4};
  uint32_t version = 0;
  ConsumerState s;
  uint64_t n = 0;
  if (!r.get(version) || version != kVersion || !r.get(s.delivered_consumer_seq) ||
      !r.get(s.delivered_stream_seq) || !r.get(s.ack_floor_consumer_seq) ||
      !r.get(s.ack_floor_stream_seq) || !r.get(n) || n > body.size() / 24)
    return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t seq;
    PendingAck p;
    if (!r.get(seq) || !r.get(p.consumer_seq) || !r.get(p.ts_ns)) return false;
    s.pending.emplace_hint(s.pending.end(), seq, p);
  }
  if (!r.get(n) || n > body.size() / 16) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t seq, count;
    if (!r.get(seq) || !r.get(count)) return false;
    s.redelivered.emplace_hint(s.redelivered.end(), seq, count);
  }
  if (r.at != body.size()) return false;
  out = std::move(s);
  return true;
}

bool save_consumer_state(const std::string& path, const ConsumerState& state, std::string& err, bool durable) {
  std::string bytes = encode_consumer_state(state);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = go_path_error("create", tmp, errno);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = go_path_error("write", tmp, errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fdatasync(fd) != 0) {
    err = go_path_error("sync", tmp, errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = go_path_error("rename", tmp, errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool load_consumer_state(const std::string& path, ConsumerState& state, std::string& err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = go_path_error("open", path, errno);
    return false;
  }
  std::string bytes;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = go_path_error("read", path, errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!decode_consumer_state(bytes, state)) {
    err = "corrupt consumer state " + path;
    return false;
  }
  return true;
}

}  // namespace ringnats::js
