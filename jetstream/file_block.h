// One block file of the file store (msgs/<index>.blk): its descriptor, the
// bytes appended but not yet written, and reading records back from either.
//
// Write protocol (one shard, no locks): records are appended to `pending`.
// take() moves `pending` to `inflight` and hands out one WriteOp over it;
// the bytes stay put until done(ok). done(true) counts them as on disk;
// done(false) puts them back in front of `pending` to be handed out again
// (a pwrite at a fixed offset can simply be repeated). The file therefore
// reads as [0, disk_end) on disk, then inflight, then pending.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jetstream/file_record.h"
#include "jetstream/store.h"

namespace ringnats::js {

class Block {
 public:
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // A new, empty block file (truncated if a stale one had the name).
  static std::unique_ptr<Block> create(const std::string& msgs_dir, uint32_t index, std::string& err);
  // An existing block; call recover() next.
  static std::unique_ptr<Block> open(const std::string& msgs_dir, uint32_t index, std::string& err);
  static std::string file_name(uint32_t index);

  // Reads the file and calls `fn(record, offset)` for each record that
  // checks out, in order. At the first one that does not, the file is cut
  // there (a torn tail), so appends continue after the last good record.
  bool recover(const std::function<void(const RecordView&, uint64_t)>& fn, std::string& err);

  // Appends a record to the pending bytes; returns its file offset.
  uint64_t add(RecKind kind, uint64_t seq, int64_t ts_ns, std::string_view subj,
               std::string_view hdr, std::string_view data);
  // Reads the record at `off` (`len` bytes) from memory or disk into `out`;
  // its views point into `scratch` or the block's buffers.
  bool read(uint64_t off, uint32_t len, std::string& scratch, RecordView& out) const;

  bool has_pending() const { return !pending_.empty(); }
  void take(std::vector<WriteOp>& out);
  void done(bool ok);
  // Forgets unwritten bytes: the block is about to be removed.
  void drop_pending() { pending_.clear(); }

  bool datasync();
  // Removes the file and closes the descriptor.
  void unlink_and_close();

  uint32_t index() const { return index_; }
  uint64_t end() const { return disk_end_ + inflight_.size() + pending_.size(); }

  uint64_t live = 0;       // messages in this block not removed
  bool dead = false;       // removed from the store, waiting to be unlinked
  bool queued = false;     // in the store's list of blocks with pending bytes
  bool unsynced = false;   // written since the last datasync

 private:
  Block(std::string path, uint32_t index, int fd) : path_(std::move(path)), index_(index), fd_(fd) {}

  std::string path_;
  uint32_t index_;
  int fd_;
  uint64_t disk_end_ = 0;
  std::string inflight_;
  std::string pending_;
};

}  // namespace ringnats::js
