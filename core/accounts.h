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

 private:
  std::vector<Account> accounts_;
  uint32_t system_ = kNoAccount;
};

inline void AccountTable::build(const SecurityOptions& sec) {
  accounts_.clear();
  accounts_.push_back({kGlobalAccount, "$G", nullptr});
  for (const AccountOptions& a : sec.accounts)
    accounts_.push_back({static_cast<uint32_t>(accounts_.size()), a.name, &a});
  const std::string sys = sec.system_account.empty() ? "$SYS" : sec.system_account;
  system_ = find(sys);
  if (system_ == kNoAccount) {
    system_ = static_cast<uint32_t>(accounts_.size());
    accounts_.push_back({system_, sys, nullptr});
  }
}

}  // namespace ringnats
