// Helpers for the config tests: a scratch directory that cleans itself up
// and small file writers, so each test builds the files it reads.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace ringnats::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ringnats-conf-XXXXXX";
    char* p = mkdtemp(tmpl);
    path_ = p ? p : "/tmp";
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (path_.rfind("/tmp/ringnats-conf-", 0) == 0) (void)std::system(cmd.c_str());
  }
  const std::string& path() const { return path_; }
  // Writes `text` to dir/name (creating sub-directories) and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string full = path_ + "/" + name;
    size_t slash = full.rfind('/');
    std::string mk = "mkdir -p '" + full.substr(0, slash) + "'";
    (void)std::system(mk.c_str());
    std::ofstream f(full, std::ios::binary);
    f << text;
    return full;
  }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace ringnats::testing
