// A consumer's durable state, one small file per consumer, replaced whole on
// each save (write a temp file, then rename over the old one), so a reader
// after a crash sees the old state or the new one, never a mix.
//
// Called by the consumer's owning shard; the file is that consumer's alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ringnats::js {

struct PendingAck {
  uint64_t consumer_seq = 0;
  int64_t ts_ns = 0;  // when it was last delivered
};

struct ConsumerState {
  uint64_t delivered_consumer_seq = 0, delivered_stream_seq = 0;
  uint64_t ack_floor_consumer_seq = 0, ack_floor_stream_seq = 0;
  std::map<uint64_t, PendingAck> pending;    // by stream sequence
  std::map<uint64_t, uint64_t> redelivered;  // stream sequence -> times redelivered

  bool operator==(const ConsumerState&) const = default;
};
inline bool operator==(const PendingAck& a, const PendingAck& b) {
  return a.consumer_seq == b.consumer_seq && a.ts_ns == b.ts_ns;
}

// Writes `path`.tmp, fdatasyncs it when `durable`, renames it to `path`.
// False (with `err`) on any failure; the old file is then untouched.
bool save_consumer_state(const std::string& path, const ConsumerState& state, std::string& err,
                         bool durable = true);
// False (with `err`) when the file is missing, short, or fails its checksum.
bool load_consumer_state(const std::string& path, ConsumerState& state, std::string& err);

// The file's bytes (exposed for tests): magic "RNCS", version, the four
// sequences, the pending and redelivered maps, CRC32C of all before it.
std::string encode_consumer_state(const ConsumerState& state);
bool decode_consumer_state(const std::string& bytes, ConsumerState& state);

}  // namespace ringnats::js
