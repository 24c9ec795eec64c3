// Bucket arithmetic for the log-linear histogram: values below 2^kSubBits
// are exact, above that each power of two is cut into 2^(kSubBits-1) slices.

#include "bench/client/histogram.h"

#include <algorithm>
#include <cmath>

namespace ringnats::bench {

namespace {
constexpr uint64_t kLinear = uint64_t{1} << Histogram::kSubBits;
constexpr uint64_t kHalf = kLinear / 2;
// Largest index: msb 63 gives shift 64-kSubBits.
constexpr size_t kBuckets = static_cast<size_t>((64 - Histogram::kSubBits + 1) * kHalf + kLinear);
}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

size_t Histogram::index_of(uint64_t v) {
  if (v < kLinear) return static_cast<size_t>(v);
  const int msb = 63 - __builtin_clzll(v);
  const int shift = msb - kSubBits + 1;
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kHalf + (v >> shift));
}

uint64_t Histogram::lowest_of(size_t idx) {
  if (idx < kLinear) return idx;
  const uint64_t shift = idx / kHalf - 1;
  const uint64_t mant = idx - shift * kHalf;
  return mant << shift;
}

uint64_t Histogram::highest_of(size_t idx) {
  if (idx < kLinear) return idx;
  const uint64_t shift = idx / kHalf - 1;
  return lowest_of(idx) + ((uint64_t{1} << shift) - 1);
}

void Histogram::record(uint64_t v) {
  ++buckets_[index_of(v)];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& o) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

void Histogram::reset() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(highest_of(i), max_);
  }
  return max_;
}

}  // namespace ringnats::bench
