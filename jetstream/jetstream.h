// JetStream on the shards: the object behind core's JetStreamHooks. Each
// stream lives on one shard (its owner, by the hash of its name), which owns
// its store, its subscriptions and its writes; the API ($JS.API.>) is
// subscribed on shard 0, which answers what it can from the registry and
// hands the rest to the owner. Threads: per-shard state only on its shard;
// the registry (names, configs, usage) under mu_, touched on API requests
// and once per turn by owners whose streams changed, never per message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "config/options.h"
#include "core/jetstream_hooks.h"
#include "jetstream/consumer.h"
#include "jetstream/stream.h"

namespace ringnats {
class Server;
}

namespace ringnats::js {

// A stream's key in the registry and in a shard's by-name map: account id,
// NUL, name (names cannot hold NUL).
// FNV-1a: which shard owns a stream, and which node of a cluster creates it.
inline uint64_t name_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

inline std::string reg_key(uint32_t account, std::string_view name) {
  std::string k = std::to_string(account);
  k += '\0';
  k.append(name);
  return k;
}

// One request to the JetStream API, copied off the publish that carried it.
struct ApiRequest {
  uint32_t account = 0;
  std::string subject, reply, body;
  // In a cluster: forwarded to the node that holds its stream, which
  // answers it (see cluster_directory.cc).
  bool at_owner = false;
  // In a cluster: a create another node sent here, the node its name hashes to.
  bool placed = false;
};

// Which stream the API request `op` (the subject after "$JS.API.") is
// about, and of which kind (a number per subject form); false for a request
// about no one stream.
bool stream_of_request(std::string_view op, int& marker, std::string_view& stream);
// The sids of shard 0's subscriptions to the API, to the cluster's stream
// directory, to creates placed here and to the answers it relays; the size
// of a file store's blocks.
inline constexpr char kApiSid[] = "api";
inline constexpr char kDirSid[] = "dir";
inline constexpr char kPlaceSid[] = "place";
inline constexpr char kRelaySid[] = "relay";
inline constexpr uint64_t kBlockSize = 8u << 20;

// An answer (ack or API response) waiting to be published.
struct Outgoing {
  Outgoing() = default;
  Outgoing(std::string s, std::string b, int64_t h = -1, std::string r = {}, std::string sh = {},
           std::string ft = {})
      : subject(std::move(s)), body(std::move(b)), hdr(h), reply(std::move(r)), shown(std::move(sh)),
        fail_type(std::move(ft)) {}
  std::string subject, body;
  int64_t hdr = -1;  // header bytes at the front of body (direct get), -1: none
  std::string reply, shown;  // consumer traffic: its reply, and the subject subscribers see
  // An API answer that waits for the stream's writes (purge, message
  // delete): its response type, to answer an error if the write fails.
  std::string fail_type;
};

class JetStream final : public JetStreamHooks {
 public:
  JetStream(Server& srv, const JetStreamOptions& opts);
  ~JetStream() override;

  // Recovers the streams on disk, then puts each shard's part in place.
  bool start(std::string& err);
  const std::string& store_dir() const { return store_dir_; }
  int64_t max_memory() const { return max_memory_; }
  int64_t max_store() const { return max_store_; }

  // Whether `account` has JetStream: the global account when the config
  // names no accounts, else the accounts whose `jetstream` enables it.
  bool enabled_for(uint32_t account) const;
  // An account's limit on streams or consumers (-1: none).
  int64_t account_max_streams(uint32_t account) const;
  int64_t account_max_consumers(uint32_t account) const;

  // The internal connection of `account` on shard `s` (opened on first use).
  Conn* internal_conn(Shard& s, uint32_t account) { return conn_for(s, account); }

  // JetStreamHooks
  void internal_msg(Shard& s, Conn* c, const Sub& sub, const proto::MsgArgs& m, std::string_view payload) override;
  void internal_subs_ready(Shard& s, Conn* c) override;
  void end_turn(Shard& s) override;
  void write_done(Shard& s, uint32_t tag, uint32_t op, int res) override;
  void shard_timer(Shard& s) override;
  void shard_stopping(Shard& s) override;

  struct StreamSlot;
  struct ShardState;

 private:
  struct Recovered {
    std::unique_ptr<Stream> stream;
    std::vector<std::unique_ptr<Consumer>> consumers;
  };

  struct Registered {
    int owner = 0;
    StreamConfig cfg;
    uint64_t msgs = 0, bytes = 0;
    int consumers = 0;
    // Held by another node of the cluster (its server name), as its last
    // directory message told: its info JSON (config, created, state).
    std::string remote;
    std::string remote_info;
    uint64_t dir_seq = 0;  // the number of the message it came in
  };
  struct ListJob;

  // --- per shard (jetstream.cc) ---
  ShardState& state(const Shard& s);
  Conn* conn_for(Shard& s, uint32_t account);
  int owner_of(std::string_view name) const;
  // A stream adopted by shard `s`: subscribed, registered; `done` runs
  // (on `s`) once its subscriptions are in the index everywhere.
  uint32_t adopt(Shard& s, std::unique_ptr<Stream> st, std::vector<std::unique_ptr<Consumer>> consumers = {});
  void subscribe_stream(Shard& s, StreamSlot& slot, uint32_t index);
  void queue_pump(ShardState& st, uint32_t index);
  void unsubscribe_stream(Shard& s, StreamSlot& slot, uint32_t index);
  void drop_stream(Shard& s, uint32_t index);
  void free_doomed(ShardState& st, uint32_t index);
  StreamSlot* slot_of(ShardState& st, uint32_t account, std::string_view name);
  void queue(ShardState& st, uint32_t account, std::string_view subject, std::string body, int64_t hdr = -1);
  // `publish_as`: the account that sends it, if not `account` (the one
  // whose subscriptions it waits for).
  void queue_after_subs(Shard& s, uint32_t account, std::string_view subject, std::string body,
                        uint32_t publish_as = UINT32_MAX);
  void flush_slot(Shard& s, uint32_t index);
  void publish_outgoing(Shard& s, uint32_t account, std::vector<Outgoing>& out, size_t n);
  void sync_stores(Shard& s, bool force);
  std::string stream_dir(uint32_t account, std::string_view name) const;
  bool write_meta(const Stream& st, std::string& err) const;
  void recover(std::vector<Recovered>& found);
  void update_registry(Shard& s, const std::vector<uint32_t>& flushed);

  // --- in a cluster (cluster_directory.cc) ---
  // A stream's request subscriptions, announced to the routes.
  void subscribe_markers(Shard& s, StreamSlot& slot, uint32_t index);
  void unsubscribe_markers(Shard& s, StreamSlot& slot, uint32_t index);
  void marker_msg(Shard& s, Conn* c, const Sub& sub, const proto::MsgArgs& m, std::string_view body);
  // The directory: each node tells the others which streams it holds.
  std::string dir_header(uint64_t seq) const;
  std::string dir_entry(const StreamSlot& slot) const;
  void dir_added(Shard& s, const StreamSlot& slot);
  void dir_gone(Shard& s, uint32_t account, const std::string& name);
  void dir_full(Shard& s);
  void dir_received(Shard& s, std::string_view payload);
  void dir_tick(Shard& s);
  void dir_start(Shard& s);  // shard 0
  // Whether a peer's subscriptions say it holds `stream` now (its route up).
  bool peer_holds(Shard& s, uint32_t account, std::string_view stream);
  // Where a new stream is made: the server id of the node its name hashes
  // to among the JetStream nodes in touch (sorted by name), "" for this one.
  std::string placement_target(Shard& s, uint32_t account, std::string_view stream);
  // A create for `r` on the node chosen (shard 0), or a placed one arriving.
  void place_create(Shard& s, ApiRequest& r, const std::string& target);
  // A request about a stream a peer holds, sent on to it (shard 0).
  void forward_to_holder(Shard& s, ApiRequest& r, std::string_view stream);
  void placed_msg(Shard& s, Conn* c, const proto::MsgArgs& m, std::string_view body);
  // The reply subject a request sent on to another node carries: this
  // node's, which passes the answer on to the client's own (shard 0).
  std::string relay_reply(Shard& s, ApiRequest& r);
  void relayed_msg(Shard& s, Conn* c, const proto::MsgArgs& m, std::string_view payload);
  void expire_relays(Shard& s);

  // --- the API (api.cc) ---
  void api_request(Shard& s, ApiRequest& r);       // on shard 0
  void stream_request(Shard& s, ApiRequest& r);    // on the stream's owner
  void create_stream(Shard& s, ApiRequest& r, const StreamConfig& cfg);
  std::string account_info(uint32_t account);
  std::string stream_info_json(const Stream& st, const char* type, std::string_view body, bool did_create = false,
                               int consumers = 0);
  void answer_error(Shard& s, const ApiRequest& r, const char* type, Err e, std::string description = {});
  void list_streams(Shard& s, ApiRequest& r);
  bool overlaps_other(uint32_t account, std::string_view name, const std::vector<std::string>& subjects);
  void answer_after_writes(ShardState& st, StreamSlot& slot, const ApiRequest& r, std::string body, const char* type);
  // Consumers (consumer_api.cc), on the stream's owner.
  void consumer_request(Shard& s, ApiRequest& r);
  void add_consumer(Shard& s, StreamSlot& slot, std::unique_ptr<Consumer> c);
  void delete_consumer(Shard& s, StreamSlot& slot, const std::string& name);
  void pump_consumers(Shard& s, StreamSlot& slot);
  void consumer_timers(Shard& s, StreamSlot& slot, int64_t now);
  void save_consumers(StreamSlot& slot, bool durable);
  void retire_acked(ShardState& st, StreamSlot& slot, const std::vector<uint64_t>& acked);
  // Interest retention: messages at the front that every interested
  // consumer is done with go (ack-none deliveries, a consumer deleted).
  void sweep_interest(ShardState& st, StreamSlot& slot);
  bool write_consumer_meta(const Stream& st, const Consumer& c, std::string& err) const;
  void recover_consumers(Stream& st, std::vector<std::unique_ptr<Consumer>>& out);

  Server& srv_;
  JetStreamOptions opts_;
  bool clustered_ = false;
  std::string server_id_;
  // Each directory message of this node has a number (a full one the number
  // it had when it began gathering), so a peer applies what is newer only:
  // the owners' messages and shard 0's full ones take different paths.
  std::atomic<uint64_t> dir_seq_{0};
  // Shard 0 only: what we know of each peer (by server name), and when ours goes.
  struct DirPeer {
    std::string id;  // its server id: a new one means it restarted
    int64_t seen_ns = 0;
    uint64_t full_seq = 0;  // its last full directory applied
    absl::flat_hash_map<std::string, uint64_t> gone;  // reg_key -> the number that deleted it
  };
  absl::flat_hash_map<std::string, DirPeer> dir_peers_;
  int64_t dir_next_full_ns_ = 0;
  bool dir_full_running_ = false;
  std::string store_dir_;
  int64_t max_memory_ = 0, max_store_ = 0;
  int nshards_;
  std::vector<std::unique_ptr<ShardState>> shards_;
  std::vector<Recovered> recovered_;  // start() -> owners
  std::vector<int> recovered_owner_;

  std::mutex mu_;  // guards everything below
  absl::flat_hash_map<std::string, Registered> registry_;  // account id + '\0' + stream name
  uint64_t api_total_ = 0, api_errors_ = 0;
  // Bytes held by every stream of each storage kind, as of each owner's last
  // turn (read on the publish path: relaxed atomics, no lock).
  std::atomic<int64_t> mem_used_{0}, file_used_{0};
};

// Starts JetStream when the options ask for it (called by main after the
// shards run); logs as nats-server does.
bool start_jetstream(Server& srv, std::string& err);
void stop_jetstream(Server& srv);
// The "Node:" of nats' start-up banner (a hash of the server name).
std::string node_id(std::string_view server_name);

}  // namespace ringnats::js
