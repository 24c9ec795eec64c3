// Block files: create/open, recovery scan with tail truncation, buffered
// appends handed out as WriteOps, and reads from buffers or pread.
#include "jetstream/file_block.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/go_text.h"

namespace ringnats::js {

Block::~Block() {
  if (fd_ >= 0) ::close(fd_);
}

std::string Block::file_name(uint32_t index) { return std::to_string(index) + ".blk"; }

std::unique_ptr<Block> Block::create(const std::string& msgs_dir, uint32_t index, std::string& err) {
  std::string path = msgs_dir + "/" + file_name(index);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = go_path_error("create", path, errno);
    return nullptr;
  }
  return std::unique_ptr<Block>(new Block(std::move(path), index, fd));
}

std::unique_ptr<Block> Block::open(const std::string& msgs_dir, uint32_t index, std::string& err) {
  std::string path = msgs_dir + "/" + file_name(index);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    err = go_path_error("open", path, errno);
    return nullptr;
  }
  return std::unique_ptr<Block>(new Block(std::move(path), index, fd));
}

bool Block::recover(const std::function<void(const RecordView&, uint64_t)>& fn, std::string& err) {
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    err = go_path_error("stat", path_, errno);
    return false;
  }
  std::string buf(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::pread(fd_, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = go_path_error("read", path_, errno);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  size_t off = 0;
  RecordView r;
  while (off < buf.size() && parse_record(std::string_view(buf).substr(off), r)) {
    fn(r, off);
    off += r.len;
  }
  if (off < static_cast<size_t>(st.st_size) && ::ftruncate(fd_, static_cast<off_t>(off)) != 0) {
    err = go_path_error("truncate", path_, errno);
    return false;
  }
  disk_end_ = off;
  return true;
}

uint64_t Block::add(RecKind kind, uint64_t seq, int64_t ts_ns, std::string_view subj,
                    std::string_view hdr, std::string_view data) {
  uint64_t off = end();
  append_record(pending_, kind, seq, ts_ns, subj, hdr, data);
  return off;
}

bool Block::read(uint64_t off, uint32_t len, std::string& scratch, RecordView& out) const {
  if (off >= disk_end_) {
    uint64_t rel = off - disk_end_;
    const std::string* src = &inflight_;
    if (rel >= inflight_.size()) {
      rel -= inflight_.size();
      src = &pending_;
    }
    if (rel + len > src->size()) return false;
    return parse_record(std::string_view(src->data() + rel, len), out);
  }
  if (off + len > disk_end_) return false;
  scratch.resize(len);
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd_, scratch.data() + got, len - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return parse_record(scratch, out);
}

void Block::take(std::vector<WriteOp>& out) {
  inflight_ = std::move(pending_);
  pending_.clear();
  out.push_back(WriteOp{fd_, inflight_.data(), inflight_.size(), disk_end_});
}

void Block::done(bool ok) {
  if (ok) {
    disk_end_ += inflight_.size();
    unsynced = unsynced || !inflight_.empty();
    inflight_.clear();
  } else {
    inflight_.append(pending_);
    pending_ = std::move(inflight_);
    inflight_.clear();
  }
}

bool Block::datasync() {
  if (!unsynced) return true;
  unsynced = false;
  return ::fdatasync(fd_) == 0;
}

void Block::unlink_and_close() {
  ::unlink(path_.c_str());
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace ringnats::js
