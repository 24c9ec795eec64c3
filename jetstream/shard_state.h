// The JetStream state of one shard (see jetstream.h): its streams with the
// acks waiting on their writes, its internal connections, and the requests
// and answers of the turn. Only that shard's thread touches it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "jetstream/jetstream.h"

namespace ringnats::js {

struct JetStream::StreamSlot {
  std::unique_ptr<Stream> stream;
  uint32_t gen = 0;
  uint32_t nsubs = 0;
  std::vector<Outgoing> waiting;  // acks for appends not yet handed to writes
  std::vector<Outgoing> writing;  // acks for the batch being written
  int inflight = 0;
  bool write_failed = false;
  bool dirty = false;    // waiting to be flushed at the end of the turn
  bool changed = false;  // state changed since the registry saw it
  bool doomed = false;   // deleted; freed when its writes are back
  bool unsynced = false;
  std::vector<WriteOp> ops;
};

struct JetStream::ShardState {
  std::vector<Conn*> conns;  // by account, opened on first use
  std::vector<std::unique_ptr<StreamSlot>> slots;
  std::vector<uint32_t> free;
  absl::flat_hash_map<std::string, uint32_t> by_name;  // reg_key -> slot
  std::vector<ApiRequest> api;      // $JS.API requests (shard 0), handled at end_turn
  std::vector<ApiRequest> stream_ops;  // requests for streams this shard owns
  std::vector<uint32_t> dirty;
  std::vector<std::pair<uint32_t, Outgoing>> replies;      // (account, answer)
  std::vector<std::pair<uint32_t, Outgoing>> after_subs;  // sent once subscriptions are in
  int64_t next_sync_ns = 0;
};

inline void mark_dirty(JetStream::ShardState& st, uint32_t index) {
  JetStream::StreamSlot& slot = *st.slots[index];
  slot.changed = true;
  if (slot.dirty) return;
  slot.dirty = true;
  st.dirty.push_back(index);
}

}  // namespace ringnats::js
