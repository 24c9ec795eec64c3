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
#include "proto/subject.h"

namespace ringnats {

constexpr uint32_t kGlobalAccount = 0;
constexpr uint32_t kNoAccount = UINT32_MAX;

struct Account {
  uint32_t id = 0;
  std::string name;
  const AccountOptions* opts = nullptr;  // null for $G and an implicit $SYS
  std::vector<uint32_t> stream_imports;  // ids in AccountTable::stream_import
  std::vector<uint32_t> service_imports;  // ids in AccountTable::service_import
  bool serves_imports = false;  // some account imports a service of this one
};

// A service import, resolved: a request the importer publishes on `from`
// goes to `exporter` on `to`, with its reply subject replaced by a response
// subject in the exporter that leads back to the requester (see
// core/service_imports.cc).
struct ServiceImportRt {
  uint32_t importer = 0, exporter = 0;
  std::string from, to;
  bool literal_to = false;  // `to` replaces the subject (else it is kept)
  ResponseType response_type = ResponseType::Singleton;
  int64_t threshold_ns = 0;
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
  void build(const SecurityOptions& sec, const std::string& server_id);
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
  const ServiceImportRt& service_import(uint32_t id) const { return services_[id]; }
  size_t service_imports() const { return services_.size(); }
  // "_R_.<random>." : the start of every response subject this server makes,
  // and "_R_.<random>.>" : the pattern that catches the responses.
  const std::string& response_prefix() const { return response_prefix_; }
  const std::string& response_pattern() const { return response_pattern_; }

 private:
  std::vector<Account> accounts_;
  std::vector<StreamImportRt> imports_;
  std::vector<ServiceImportRt> services_;
  std::string response_prefix_, response_pattern_;
  uint32_t system_ = kNoAccount;
};

inline void AccountTable::build(const SecurityOptions& sec, const std::string& server_id) {
  // A token of the server id keeps this server's response subjects apart
  // from every other server's in the cluster.
  response_prefix_ = "_R_.";
  response_prefix_.append(server_id.substr(server_id.size() > 8 ? server_id.size() - 8 : 0));
  response_prefix_.push_back('.');
  response_pattern_ = response_prefix_;
  response_pattern_.push_back('>');
  accounts_.clear();
  accounts_.push_back({kGlobalAccount, "$G", nullptr, {}, {}, false});
  for (const AccountOptions& a : sec.accounts)
    accounts_.push_back({static_cast<uint32_t>(accounts_.size()), a.name, &a, {}, {}, false});
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
  services_.clear();
  for (Account& a : accounts_) {
    if (!a.opts) continue;
    for (const ServiceImport& im : a.opts->service_imports) {
      ServiceImportRt rt;
      rt.importer = a.id;
      rt.exporter = find(im.account);
      if (rt.exporter == kNoAccount) continue;  // the config checked it
      rt.from = im.to.empty() ? im.subject : im.to;
      rt.to = im.subject;
      rt.literal_to = rt.from != rt.to;
      for (const ServiceExport& e : accounts_[rt.exporter].opts->service_exports)
        if (proto::subject_is_subset(rt.to, e.subject)) {
          rt.response_type = e.response_type;
          rt.threshold_ns = e.response_threshold_ns;
          break;
        }
      accounts_[rt.exporter].serves_imports = true;
      a.service_imports.push_back(static_cast<uint32_t>(services_.size()));
      services_.push_back(std::move(rt));
    }
  }
  const std::string sys = sec.system_account.empty() ? "$SYS" : sec.system_account;
  system_ = find(sys);
  if (system_ == kNoAccount) {
    system_ = static_cast<uint32_t>(accounts_.size());
    accounts_.push_back({system_, sys, nullptr, {}, {}, false});
  }
}

}  // namespace ringnats
