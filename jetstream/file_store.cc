// The file store: messages in append-only block files under <dir>/msgs,
// the index (MsgIndex) in memory, rebuilt by scanning the blocks on open.
//
// Rules that keep a restart faithful:
//  1. A message's Delete record goes into the message's own block (which
//     may be older than the one being filled), so a block can be dropped on
//     its own without resurrecting anything elsewhere. Rule 3's Purge
//     record is the one record that speaks for other blocks.
//  2. A block whose messages are all gone is unlinked, except the newest
//     (`cur_`), whose records carry last_seq. Its last Delete records are
//     still written first, so a crash between unlinks never brings back
//     half of a purge.
//  3. Purges without a filter write one Purge record ("everything <= S is
//     gone") into the newest block instead of a Delete per message; only
//     a block that keeps messages (the boundary block) gets Deletes too, as
//     the Purge record can later go with its block. A full purge replaces
//     every block with a fresh one holding just that record.
//  4. Unlinks wait until the writes handed out before them have completed:
//     a block's removal must not reach the disk ahead of the records that
//     make it redundant (a Purge, the newer records that carry last_seq).
//  5. One batch of writes is in flight at a time (take_writes returns
//     nothing until writes_done).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jetstream/file_block.h"
#include "jetstream/msg_index.h"
#include "jetstream/store.h"

namespace ringnats::js {

// nats-server 2.9 (fileStoreMsgSize): record length 4 + seq 8 + ts 8 +
// subject length 2, the subject, header length 4 when there is a header,
// header, payload, and an 8-byte hash.
uint64_t file_msg_bytes(size_t subject, size_t hdr, size_t data) {
  return static_cast<uint64_t>(22 + subject + (hdr ? 4 + hdr : 0) + data + 8);
}

namespace {

namespace fs = std::filesystem;

struct FileEntry {
  SubjRef subj = nullptr;
  int64_t ts = 0;
  uint64_t bytes = 0;
  Block* blk = nullptr;
  uint64_t off = 0;
  uint32_t len = 0;
};

class FileStore final : public Store {
 public:
  FileStore(std::string dir, uint64_t block_size)
      : dir_(std::move(dir)), msgs_dir_(dir_ + "/msgs"), block_size_(block_size ? block_size : 1) {}

  bool open(std::string& err) {
    std::error_code ec;
    fs::create_directories(msgs_dir_, ec);
    if (ec) {
      err = "create " + msgs_dir_ + ": " + ec.message();
      return false;
    }
    std::vector<uint32_t> found;
    for (auto it = fs::directory_iterator(msgs_dir_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() < 5 || name.compare(name.size() - 4, 4, ".blk") != 0) continue;
      uint64_t v = 0;
      bool digits = true;
      for (size_t i = 0; i + 4 < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9' || v > 0xffffffffull / 10) { digits = false; break; }
        v = v * 10 + static_cast<uint64_t>(name[i] - '0');
      }
      if (digits && v > 0 && v <= 0xffffffffull) found.push_back(static_cast<uint32_t>(v));
    }
    if (ec) {
      err = "list " + msgs_dir_ + ": " + ec.message();
      return false;
    }
    std::sort(found.begin(), found.end());
    for (uint32_t idx : found) {
      auto b = Block::open(msgs_dir_, idx, err);
      if (!b) return false;
      Block* bp = b.get();
      if (!bp->recover([&](const RecordView& r, uint64_t off) { replay(bp, r, off); }, err)) return false;
      blocks_.emplace(idx, std::move(b));
      next_index_ = idx + 1;
    }
    ix_.fix_first();
    // Rule 2 at open: older blocks with nothing left go now.
    if (!blocks_.empty()) cur_ = std::prev(blocks_.end())->second.get();
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->second.get() != cur_ && it->second->live == 0) {
        it->second->unlink_and_close();
        it = blocks_.erase(it);
        dir_dirty_ = true;
      } else {
        ++it;
      }
    }
    return true;
  }

  uint64_t append(std::string_view subject, std::string_view hdr, std::string_view data, int64_t ts_ns) override {
    if (subject.size() > 0xffff || hdr.size() > 0xffffffffu || destroyed_) return 0;
    size_t len = record_size(subject.size(), hdr.size(), data.size());
    if (len > 0xffffffffu || !room_for(len)) return 0;
    uint64_t seq = ix_.last + 1;
    FileEntry e;
    e.subj = ix_.intern(subject);
    e.ts = ts_ns;
    e.bytes = file_msg_bytes(subject.size(), hdr.size(), data.size());
    e.blk = cur_;
    e.off = cur_->add(RecKind::Msg, seq, ts_ns, subject, hdr, data);
    e.len = static_cast<uint32_t>(len);
    queue(cur_);
    ++cur_->live;
    ix_.add(seq, e);
    ix_.last_ts = ts_ns;
    return seq;
  }

  void skip_to(uint64_t seq) override {
    if (seq <= ix_.last || destroyed_ || !room_for(kRecOverhead)) return;
    cur_->add(RecKind::Seq, seq, ix_.last_ts, {}, {}, {});
    queue(cur_);
    ix_.skip_to(seq);
  }

  bool load(uint64_t seq, StoredMsg& out) const override {
    auto it = ix_.msgs.find(seq);
    return it != ix_.msgs.end() && fill(it, out);
  }
  bool load_next(std::string_view filter, uint64_t start, StoredMsg& out) const override {
    auto it = ix_.next_match(filter, start);
    return it != ix_.msgs.end() && fill(it, out);
  }
  bool load_last(std::string_view filter, StoredMsg& out) const override {
    auto it = ix_.last_match(filter);
    return it != ix_.msgs.end() && fill(it, out);
  }

  bool remove(uint64_t seq) override {
    auto it = ix_.msgs.find(seq);
    if (it == ix_.msgs.end()) return false;
    drop(it);
    return true;
  }

  uint64_t purge(std::string_view filter, uint64_t up_to, uint64_t keep) override {
    PurgePlan p = ix_.plan_purge(filter, up_to, keep);
    if (!p.everything) {
      if (p.seqs.empty()) return 0;
      if (p.floor) {  // rule 3
        if (!room_for(kRecOverhead)) return 0;
        cur_->add(RecKind::Purge, p.floor, ix_.last_ts, {}, {}, {});
        queue(cur_);
      }
      for (uint64_t s : p.seqs) drop(ix_.msgs.find(s), p.floor != 0);
      return p.seqs.size();
    }
    uint64_t n = ix_.msgs.size();
    uint64_t new_last = std::max(ix_.last, p.new_last);
    if (n == 0 && new_last == ix_.last) return 0;
    // Rule 3: a fresh block with one Purge record replaces them all.
    std::string err;
    auto fresh = Block::create(msgs_dir_, next_index_, err);
    if (!fresh) return 0;
    ++next_index_;
    dir_dirty_ = true;
    while (!blocks_.empty()) kill(blocks_.begin()->second.get(), true);
    ix_.clear_all();
    ix_.skip_to(new_last);
    cur_ = fresh.get();
    blocks_.emplace(cur_->index(), std::move(fresh));
    cur_->add(RecKind::Purge, ix_.last, ix_.last_ts, {}, {}, {});
    queue(cur_);
    return n;
  }

  StoreState state() const override { return ix_.state(); }
  uint64_t subject_msgs(std::string_view s) const override { return ix_.subject_msgs(s); }
  uint64_t subject_first_seq(std::string_view s) const override { return ix_.subject_first_seq(s); }
  void for_each_subject(std::string_view filter,
                        const std::function<void(std::string_view, uint64_t)>& fn) const override {
    ix_.for_each_subject(filter, fn);
  }

  void take_writes(std::vector<WriteOp>& out) override {
    if (in_flight_) return;
    std::sort(queued_.begin(), queued_.end(), [](Block* a, Block* b) { return a->index() < b->index(); });
    for (Block* b : queued_) {
      b->queued = false;
      if (!b->has_pending()) continue;  // dead ones too: rule 2
      b->take(out);
      inflight_.push_back(b);
    }
    queued_.clear();
    for (auto& d : dead_waiting_) dead_after_.push_back(std::move(d));
    dead_waiting_.clear();
    if (inflight_.empty()) {
      finish_unlinks();  // nothing ahead of them (rule 4)
      return;
    }
    in_flight_ = true;
  }

  void writes_done(bool ok) override {
    if (!in_flight_) return;
    in_flight_ = false;
    for (Block* b : inflight_) {
      b->done(ok);
      if (!ok) queue(b);
    }
    inflight_.clear();
    if (ok) {
      finish_unlinks();
    } else {
      for (auto& d : dead_after_) dead_waiting_.push_back(std::move(d));
      dead_after_.clear();
    }
  }

  bool flush_blocking() override {
    if (in_flight_) return false;
    std::vector<WriteOp> ops;
    take_writes(ops);
    if (!in_flight_) return true;
    bool ok = true;
    for (const WriteOp& op : ops) {
      size_t done = 0;
      while (ok && done < op.len) {
        ssize_t n = ::pwrite(op.fd, op.data + done, op.len - done, static_cast<off_t>(op.offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        else done += static_cast<size_t>(n);
      }
    }
    writes_done(ok);
    return ok;
  }

  void sync() override {
    for (auto& [idx, b] : blocks_) b->datasync();
    if (dir_dirty_) {
      int fd = ::open(msgs_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      dir_dirty_ = false;
    }
  }

  void destroy() override {
    destroyed_ = true;
    queued_.clear();
    inflight_.clear();
    in_flight_ = false;
    cur_ = nullptr;
    blocks_.clear();
    dead_waiting_.clear();
    dead_after_.clear();
    ix_.clear_all();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

 private:
  // Recovery: one record of block `b` at offset `off`.
  void replay(Block* b, const RecordView& r, uint64_t off) {
    switch (r.kind) {
      case RecKind::Msg: {
        // Sequences only grow across a store's records; anything else is
        // not ours to index (the index appends at its end).
        if (!ix_.msgs.empty() && r.seq <= ix_.msgs.rbegin()->first) return;
        FileEntry e;
        e.subj = ix_.intern(r.subject);
        e.ts = r.ts_ns;
        e.bytes = file_msg_bytes(r.subject.size(), r.hdr.size(), r.data.size());
        e.blk = b;
        e.off = off;
        e.len = r.len;
        ++b->live;
        if (r.seq >= ix_.last) ix_.last_ts = r.ts_ns;
        ix_.add(r.seq, e);
        break;
      }
      case RecKind::Delete: {
        auto it = ix_.msgs.find(r.seq);
        if (it != ix_.msgs.end() && it->second.blk == b) {
          ix_.take(it);
          --b->live;
        }
        break;
      }
      case RecKind::Purge:
        while (!ix_.msgs.empty() && ix_.msgs.begin()->first <= r.seq) {
          --ix_.msgs.begin()->second.blk->live;
          ix_.take(ix_.msgs.begin());
        }
        [[fallthrough]];
      case RecKind::Seq:
        if (r.seq > ix_.last) {
          ix_.last = r.seq;
          ix_.last_ts = r.ts_ns;
        }
        break;
    }
  }

  // Makes sure `cur_` can take a record of `len` bytes, rolling to a new
  // block when the current one is full (a lone large record still fits).
  bool room_for(size_t len) {
    if (cur_ && (cur_->end() == 0 || cur_->end() + len <= block_size_)) return true;
    std::string err;
    auto b = Block::create(msgs_dir_, next_index_, err);
    if (!b) return false;
    ++next_index_;
    dir_dirty_ = true;
    Block* old = cur_;
    cur_ = b.get();
    blocks_.emplace(cur_->index(), std::move(b));
    if (old && old->live == 0) kill(old, false);  // rule 2: no longer the newest
    return true;
  }

  // Removes one message. `floored`: a Purge record just written covers it.
  void drop(MsgIndex<FileEntry>::Map::iterator it, bool floored = false) {
    uint64_t seq = it->first;
    FileEntry e = ix_.take(it);
    Block* b = e.blk;
    --b->live;
    bool dies = b->live == 0 && b != cur_;
    // The boundary block needs its Deletes (the Purge record may go first);
    // a dying block is covered by the Purge, the newest by the Purge in it.
    // Anything else a dying block has pending is written (rule 2).
    if (!floored || (!dies && b != cur_)) {
      b->add(RecKind::Delete, seq, 0, {}, {}, {});
      queue(b);
    }
    if (dies) kill(b, false);  // its own unwritten records still go out
  }

  // The block leaves the store; its file goes after the next batch (rule
  // 4), with its pending bytes written first unless `drop` (rule 2).
  void kill(Block* b, bool drop) {
    auto it = blocks_.find(b->index());
    b->dead = true;
    if (drop) b->drop_pending();
    dead_waiting_.push_back(std::move(it->second));
    blocks_.erase(it);
    if (b == cur_) cur_ = nullptr;
  }

  void finish_unlinks() {
    for (auto& d : dead_after_) d->unlink_and_close();
    if (!dead_after_.empty()) dir_dirty_ = true;
    dead_after_.clear();
  }

  void queue(Block* b) {
    if (b->queued) return;
    b->queued = true;
    queued_.push_back(b);
  }

  bool fill(MsgIndex<FileEntry>::CIt it, StoredMsg& out) const {
    const FileEntry& e = it->second;
    RecordView r;
    if (!e.blk->read(e.off, e.len, scratch_, r) || r.kind != RecKind::Msg || r.seq != it->first) return false;
    out.seq = r.seq;
    out.ts_ns = r.ts_ns;
    out.subject.assign(r.subject);
    out.hdr.assign(r.hdr);
    out.data.assign(r.data);
    return true;
  }

  std::string dir_, msgs_dir_;
  uint64_t block_size_;
  std::map<uint32_t, std::unique_ptr<Block>> blocks_;  // live blocks by index
  Block* cur_ = nullptr;                                // the newest: appends go here
  uint32_t next_index_ = 1;
  std::vector<Block*> queued_;                          // blocks with pending bytes
  std::vector<Block*> inflight_;                        // blocks in the batch in flight
  bool in_flight_ = false;
  std::vector<std::unique_ptr<Block>> dead_waiting_;    // killed since the last take
  std::vector<std::unique_ptr<Block>> dead_after_;      // unlink when the batch in flight is done
  bool dir_dirty_ = false;
  bool destroyed_ = false;
  MsgIndex<FileEntry> ix_;
  mutable std::string scratch_;
};

}  // namespace

std::unique_ptr<Store> open_file_store(const std::string& dir, uint64_t block_size, std::string& err) {
  auto s = std::make_unique<FileStore>(dir, block_size);
  if (!s->open(err)) return nullptr;
  return s;
}

}  // namespace ringnats::js
