// The file store's on-disk record: one self-checking unit appended to a
// block file. Every change a store makes (a message, a delete, a moved
// sequence floor) is one record; a block is a plain run of them.
//
//   off  size  field
//     0     4  len       whole record, these 4 bytes and the checksum included
//     4     1  kind      RecKind
//     5     2  subj_len
//     7     4  hdr_len
//    11     8  seq
//    19     8  ts_ns
//    27     -  subject, header, payload (payload = the rest)
//  len-4    4  crc32c of bytes [0, len-4)
//
// Little-endian (the hosts we build for). A torn or flipped record fails
// the length or checksum test, which is how recovery finds the tail to cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringnats::js {

enum class RecKind : uint8_t {
  Msg = 1,     // a message with sequence `seq`
  Delete = 2,  // the message `seq`, stored earlier in this same block, is gone
  Seq = 3,     // last_seq is at least `seq` (skip_to); ts = last_ts
  Purge = 4,   // every message with sequence <= `seq`, in any block, is gone;
               // last_seq is at least `seq`; ts = last_ts
};

constexpr size_t kRecHeader = 27;
constexpr size_t kRecOverhead = kRecHeader + 4;

inline size_t record_size(size_t subj, size_t hdr, size_t data) { return kRecOverhead + subj + hdr + data; }

// Appends one encoded record to `buf`.
void append_record(std::string& buf, RecKind kind, uint64_t seq, int64_t ts_ns,
                   std::string_view subj, std::string_view hdr, std::string_view data);

struct RecordView {
  RecKind kind = RecKind::Msg;
  uint32_t len = 0;
  uint64_t seq = 0;
  int64_t ts_ns = 0;
  std::string_view subject, hdr, data;  // point into the parsed bytes
};

// Parses the record at the start of `bytes` (which may run on past it).
// False when it is cut short, malformed or fails its checksum.
bool parse_record(std::string_view bytes, RecordView& out);

}  // namespace ringnats::js
