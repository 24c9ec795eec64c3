// Encoding and checking of one file store record (layout in file_record.h).
#include "jetstream/file_record.h"

#include <cstring>

#include "jetstream/crc32c.h"

namespace ringnats::js {
namespace {

template <class T>
void put(char* p, T v) { std::memcpy(p, &v, sizeof v); }
template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void append_record(std::string& buf, RecKind kind, uint64_t seq, int64_t ts_ns,
                   std::string_view subj, std::string_view hdr, std::string_view data) {
  size_t len = record_size(subj.size(), hdr.size(), data.size());
  size_t at = buf.size();
  buf.resize(at + len);
  char* p = buf.data() + at;
  put<uint32_t>(p, static_cast<uint32_t>(len));
  put<uint8_t>(p + 4, static_cast<uint8_t>(kind));
  put<uint16_t>(p + 5, static_cast<uint16_t>(subj.size()));
  put<uint32_t>(p + 7, static_cast<uint32_t>(hdr.size()));
  put<uint64_t>(p + 11, seq);
  put<int64_t>(p + 19, ts_ns);
  char* q = p + kRecHeader;
  if (!subj.empty()) std::memcpy(q, subj.data(), subj.size());
  q += subj.size();
  if (!hdr.empty()) std::memcpy(q, hdr.data(), hdr.size());
  q += hdr.size();
  if (!data.empty()) std::memcpy(q, data.data(), data.size());
  put<uint32_t>(p + len - 4, crc32c(0, p, len - 4));
}

bool parse_record(std::string_view bytes, RecordView& out) {
  if (bytes.size() < kRecOverhead) return false;
  const char* p = bytes.data();
  uint32_t len = get<uint32_t>(p);
  if (len < kRecOverhead || len > bytes.size()) return false;
  uint8_t kind = get<uint8_t>(p + 4);
  if (kind < 1 || kind > 4) return false;
  size_t subj = get<uint16_t>(p + 5);
  size_t hdr = get<uint32_t>(p + 7);
  if (subj + hdr > len - kRecOverhead) return false;
  if (get<uint32_t>(p + len - 4) != crc32c(0, p, len - 4)) return false;
  out.kind = static_cast<RecKind>(kind);
  out.len = len;
  out.seq = get<uint64_t>(p + 11);
  out.ts_ns = get<int64_t>(p + 19);
  out.subject = std::string_view(p + kRecHeader, subj);
  out.hdr = std::string_view(p + kRecHeader + subj, hdr);
  out.data = std::string_view(p + kRecHeader + subj + hdr, len - kRecOverhead - subj - hdr);
  return true;
}

}  // namespace ringnats::js
