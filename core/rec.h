// Records carried between shards on the SPSC rings. Plain structs: the data
// path (Deliver) carries only pointers into reference-counted blocks; control
// records point to a heap object the receiver frees.
#pragma once

#include <cstdint>
#include <string>

#include "core/block.h"
#include "core/sublist.h"

namespace ringnats {

enum class RecKind : uint8_t {
  Deliver,      // bytes [off,len) of `block` (+ optional payload ref) to sub (slot,gen)
  DeliverConn,  // same, addressed to a connection (slot,gen): routes
  BatchDone,    // the producer is finished with `block`: drop its reference
  SubAdd,       // ctl = SubOp: insert into this shard's partition
  SubRemove,    // ctl = SubOp: remove from this shard's partition
  SubAck,       // SubAdd applied; conn (slot,gen) may continue
  NewConn,      // slot = accepted fd, handed to this shard
  StallConn,    // stall publisher (slot,gen) of this shard: it reached a subscriber past half its max_pending
  StallRelease, // the subscribers of the sending shard caught up: its stalls may end now
  Control,      // ctl = std::function<void(Shard&)>*: run on this shard (control path)
};

struct SubOp {
  std::string subject;
  std::string queue;
  SubRef ref;
  uint16_t origin = 0;       // shard to ack
  uint32_t conn_slot = 0, conn_gen = 0;
  bool ack = false;
  uint32_t account = 0;      // whose subject space (AccountTable id)
};

struct Rec {
  RecKind kind;
  uint8_t hops = 0;       // Deliver to a queue member: times it was redirected
  bool queued = false;    // Deliver to a queue member: a QueueStash precedes `off`
  bool is_msg = false;    // DeliverConn: a message (counted as sent), of msg_size bytes
  uint32_t slot = 0, gen = 0;
  uint32_t off = 0, len = 0;
  uint32_t msg_size = 0;  // Deliver, and DeliverConn when is_msg: the message's size
  Block* block = nullptr;
  Block* payload = nullptr;  // referenced for this record; receiver unrefs
  uint32_t poff = 0, plen = 0;
  // Control records: the object to run or apply. Deliver: the publishing
  // client on the sending shard, as (slot << 32 | gen), 0 for none.
  void* ctl = nullptr;
};

// Written just before the MSG line of a delivery to a queue member, so the
// member's shard can hand the message to another member if this one is gone:
// [group name][headers the MSG line dropped][QueueStash].
struct QueueStash {
  uint64_t pub_cid;
  uint32_t group_len;
  uint32_t hdr_len;
  uint32_t account;  // the subject space a redirect matches in
  uint64_t visited[4];  // shards (bit per id, 256 at most) a redirect found no member able to take it
};

}  // namespace ringnats
