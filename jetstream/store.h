// What a stream keeps its messages in: the one interface the memory store
// and the file store implement. A stream and its store belong to one shard
// (the stream's owner); only that thread calls a Store, so nothing here locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringnats::js {

struct StoredMsg {
  uint64_t seq = 0;
  int64_t ts_ns = 0;    // wall clock, ns since the Unix epoch
  std::string subject;
  std::string hdr;      // "NATS/1.0\r\n...\r\n\r\n", or empty
  std::string data;
};

// As nats-server reports a stream's state. An empty store has
// first_seq == last_seq + 1 (0 and 0 when nothing was ever stored).
struct StoreState {
  uint64_t msgs = 0;
  uint64_t bytes = 0;       // nats-server's accounting (see msg_bytes)
  uint64_t first_seq = 0, last_seq = 0;
  int64_t first_ts_ns = 0, last_ts_ns = 0;
  uint64_t num_deleted = 0; // sequences between first and last that are gone
  uint64_t num_subjects = 0;
};

// One write the file store needs done (io_uring on the owning shard, or
// pwrite in tests). The bytes stay valid until writes_done().
struct WriteOp {
  int fd = -1;
  const char* data = nullptr;
  size_t len = 0;
  uint64_t offset = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Appends with the next sequence (last_seq + 1) and returns it.
  virtual uint64_t append(std::string_view subject, std::string_view hdr, std::string_view data, int64_t ts_ns) = 0;
  // Moves last_seq (and first_seq when empty) up to `seq` without storing
  // anything: a purge to a sequence past the end, a stream's first_seq.
  virtual void skip_to(uint64_t seq) = 0;

  virtual bool load(uint64_t seq, StoredMsg& out) const = 0;
  // The first message with sequence >= `start` whose subject matches
  // `filter` (empty: any; may hold * and >).
  virtual bool load_next(std::string_view filter, uint64_t start, StoredMsg& out) const = 0;
  // The newest message whose subject matches `filter` (literal or wildcard).
  virtual bool load_last(std::string_view filter, StoredMsg& out) const = 0;

  // False if `seq` is not there (never stored, or already removed).
  virtual bool remove(uint64_t seq) = 0;
  // Purge as nats' purge request: `filter` empty = every subject; `up_to`
  // > 0 removes only sequences below it; `keep` > 0 keeps the newest `keep`
  // (of the filter). Returns how many messages went. A full purge (no
  // filter, no up_to, no keep) leaves first_seq = last_seq + 1.
  virtual uint64_t purge(std::string_view filter, uint64_t up_to, uint64_t keep) = 0;

  virtual StoreState state() const = 0;
  // Messages held on one literal subject, and the oldest of them (0: none).
  virtual uint64_t subject_msgs(std::string_view subject) const = 0;
  virtual uint64_t subject_first_seq(std::string_view subject) const = 0;
  // Every subject matching `filter` (empty: all) with its message count.
  virtual void for_each_subject(std::string_view filter,
                                const std::function<void(std::string_view, uint64_t)>& fn) const = 0;

  // Durability. take_writes() hands out the writes that put everything
  // appended or removed so far into the files (none for memory); the caller
  // performs them in order and then calls writes_done(ok). An append counts
  // as stored for a client only after that (a kill -9 then loses nothing).
  virtual void take_writes(std::vector<WriteOp>& out) = 0;
  virtual void writes_done(bool ok) = 0;
  // Performs take_writes() itself with pwrite (shutdown, tests).
  virtual bool flush_blocking() = 0;
  // fsync what was written (sync_interval, or `sync: always`).
  virtual void sync() = 0;
  // The stream is deleted: remove its files. The store is unusable after.
  virtual void destroy() = 0;
};

// nats-server's per-message byte accounting for a stream's "bytes".
uint64_t mem_msg_bytes(size_t subject, size_t hdr, size_t data);
uint64_t file_msg_bytes(size_t subject, size_t hdr, size_t data);

std::unique_ptr<Store> make_memory_store();
// A file store in `dir` (created if missing), recovering what is there.
// `block_size`: bytes per block file before a new one starts. On failure
// returns null and sets `err`.
std::unique_ptr<Store> open_file_store(const std::string& dir, uint64_t block_size, std::string& err);

}  // namespace ringnats::js
