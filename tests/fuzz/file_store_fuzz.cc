// libFuzzer target: file-store recovery from whatever bytes a block file
// holds after a crash or a bad disk. The input becomes msgs/1.blk; opening
// must not crash, everything it recovers must load, and an append after it
// must survive a reopen.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "jetstream/store.h"

namespace {
using namespace ringnats::js;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}

std::string dir() {
  static std::string d = [] {
    std::string p = "/tmp/ringnats-fuzz-store-" + std::to_string(getpid());
    return p;
  }();
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(dir(), ec);
  fs::create_directories(dir() + "/msgs", ec);
  {
    std::ofstream f(dir() + "/msgs/1.blk", std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::string err;
  uint64_t last = 0;
  {
    auto store = open_file_store(dir(), 1 << 16, err);
    if (!store) return 0;  // refused whole: fine, as long as it did not crash
    StoreState st = store->state();
    StoredMsg m;
    uint64_t n = 0;
    for (uint64_t s = st.first_seq; s <= st.last_seq && n < 100000 && store->load_next({}, s, m); s = m.seq + 1) ++n;
    require(n == st.msgs, "every message the state counts loads");
    last = store->append("fuzz.after", {}, "after", 1);
    if (last == 0) return 0;
    require(store->flush_blocking(), "append after recovery is written");
  }
  auto again = open_file_store(dir(), 1 << 16, err);
  require(again != nullptr, "reopens after its own append");
  StoredMsg m;
  require(again->load(last, m) && m.data == "after", "the append survives a reopen");
  return 0;
}
