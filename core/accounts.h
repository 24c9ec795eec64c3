// The accounts this server hosts, fixed at start: id 0 is the global account
// "$G" (clients without one), then each configured account, then "$SYS" when
// the config names no system account. A connection names its account by id;
// each account has its own subject space in the subscription index, so
// nothing crosses between accounts except through exports and imports.
// Written once before the shards start; read by any thread afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/security_options.h"

namespace ringnats {

constexpr uint32_t kGlobalAccount = 0;
constexpr uint32_t kNoAccount = UINT32_MAX;

struct Account {
  uint32_t id = 0;
  std::string name;
  const AccountOptions* opts = nullptr;  // null for $G and an implicit $SYS
  std::vector<uint32_t> stream_imports;  // ids in AccountTable::stream_import
};

// A stream import, resolved: messages on `from` in `exporter` reach the
// importer's subscribers on `to` (`prefix` + the subject, a literal `to`, or
// the subject itself). A subscription in the importer that overlaps `to`
// has a shadow entry in the exporter's index (SubRef::import names this).
struct StreamImportRt {
  uint32_t importer = 0, exporter = 0;
  std::string from, to, prefix;  // prefix ends with '.' when set
  bool literal_to = false;       // `to` replaces the subject
};

class AccountTable {
 public:
  void build(const SecurityOptions& sec);
  uint32_t find(std::string_view name) const {
    for (const Account& a : accounts_)
      if (a.name == name) return a.id;
    return kNoAccount;
  }
  const Account& at(uint32_t id) const { return accounts_[id]; }
  size_t size() const { return accounts_.size(); }
  const std::vector<Account>& all() const { return accounts_; }
  uint32_t system() const { return system_; }
  const StreamImportRt& stream_import(uint32_t id) const { return imports_[id]; }

 private:
  std::vector<Account> accounts_;
  std::vector<StreamImportRt> imports_;
  uint32_t system_ = kNoAccount;
};

inline void AccountTable::build(const SecurityOptions& sec) {
  accounts_.clear();
  accounts_.push_back({kGlobalAccount, "$G", nullptr, {}});
  for (const AccountOptions& a : sec.accounts)
    accounts_.push_back({static_cast<uint32_t>(accounts_.size()), a.name, &a, {}});
  imports_.clear();
  for (Account& a : accounts_) {
    if (!a.opts) continue;
    for (const StreamImport& im : a.opts->stream_imports) {
      StreamImportRt rt;
      rt.importer = a.id;
      rt.exporter = find(im.account);
      if (rt.exporter == kNoAccount) continue;  // the config checked it
      rt.from = im.subject;
      if (!im.prefix.empty()) {
        rt.prefix = im.prefix;
        if (rt.prefix.back() != '.') rt.prefix.push_back('.');
        rt.to = rt.prefix;
        rt.to.append(im.subject);
      } else if (!im.to.empty() && im.to != im.subject) {
        rt.to = im.to;
        rt.literal_to = true;
      } else {
        rt.to = im.subject;
      }
      a.stream_imports.push_back(static_cast<uint32_t>(imports_.size()));
      imports_.push_back(std::move(rt));
    }
  }
  const std::string sys = sec.system_account.empty() ? "$SYS" : sec.system_account;
  system_ = find(sys);
  if (system_ == kNoAccount) {
    system_ = static_cast<uint32_t>(accounts_.size());
    accounts_.push_back({system_, sys, nullptr, {}});
  }
}

}  // namespace ringnats
