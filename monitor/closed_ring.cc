// The closed-connection ring (see closed_ring.h): shards record, HTTP threads
// copy; one mutex, held only for a move in or a copy out.
#include "monitor/closed_ring.h"

#include <utility>

namespace ringnats::monitor {

ClosedRing::ClosedRing(size_t capacity) : cap_(capacity ? capacity : 1) {}

void ClosedRing::record(ConnSnapshot c) {
  std::lock_guard<std::mutex> g(mu_);
  if (slots_.size() < cap_)
    slots_.push_back(std::move(c));
  else
    slots_[total_ % cap_] = std::move(c);
  ++total_;
}

std::vector<ConnSnapshot> ClosedRing::snapshot() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<ConnSnapshot> out;
  out.reserve(slots_.size());
  if (slots_.size() < cap_) {
    out = slots_;
  } else {
    size_t head = total_ % cap_;  // the oldest
    out.insert(out.end(), slots_.begin() + head, slots_.end());
    out.insert(out.end(), slots_.begin(), slots_.begin() + head);
  }
  return out;
}

size_t ClosedRing::size() const {
  std::lock_guard<std::mutex> g(mu_);
  return slots_.size();
}

uint64_t ClosedRing::total() const {
  std::lock_guard<std::mutex> g(mu_);
  return total_;
}

}  // namespace ringnats::monitor
