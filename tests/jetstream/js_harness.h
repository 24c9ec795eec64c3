// What the JetStream socket tests share beside tests/integration/harness.h:
// a store directory per test, removed afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace itest {

struct StoreDir {
  std::string path;
  StoreDir() {
    char tmpl[] = "/tmp/ringnats-js-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~StoreDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  StoreDir(const StoreDir&) = delete;
  StoreDir& operator=(const StoreDir&) = delete;
};

}  // namespace itest
