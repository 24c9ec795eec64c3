// ArgCursor (args.h).
#include "bench/pubsub/args.h"

#include <cstdio>

namespace ringnats::bench {

bool ArgCursor::next() {
  if (++i_ >= argc_) return false;
  name_ = argv_[i_];
  has_inline_ = false;
  if (name_.substr(0, 2) == "--") {
    if (auto eq = name_.find('='); eq != std::string_view::npos) {
      inline_ = name_.substr(eq + 1);
      name_ = name_.substr(0, eq);
      has_inline_ = true;
    }
  }
  return true;
}

bool ArgCursor::value(std::string_view& out) {
  if (has_inline_) {
    out = inline_;
    return true;
  }
  if (i_ + 1 >= argc_) {
    fprintf(stderr, "%s: %.*s needs a value\n", prog_, static_cast<int>(name_.size()), name_.data());
    return false;
  }
  out = argv_[++i_];
  return true;
}

int ArgCursor::bad(std::string_view v) const {
  fprintf(stderr, "%s: bad value for %.*s: %.*s\n", prog_, static_cast<int>(name_.size()), name_.data(),
          static_cast<int>(v.size()), v.data());
  return 2;
}

}  // namespace ringnats::bench
