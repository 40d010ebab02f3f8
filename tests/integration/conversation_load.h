// A conversation load for integration tests: one adapter and five workers driven from the
// test's thread against a real broker, recording everything they see, and the checks of
// order and completeness that follow. Used by the end-to-end and the fault tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/worker.h"

namespace switchboard::testing {

using namespace std::chrono_literals;
using client::Adapter;
using client::Worker;

inline constexpr int kCustomers = 100;
inline constexpr int kMessagesPerCustomer = 10;
inline constexpr int kWorkers = 5;
inline constexpr auto kHeartbeat = 200ms;

inline std::string CustomerText(int customer, int n) {
  return "c" + std::to_string(customer) + " m" + std::to_string(n);
}

// Drives one adapter and five workers from this thread and records everything they see.
class Load {
 public:
  explicit Load(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  ::testing::AssertionResult Connect() {
    client::AdapterOptions ao;
    ao.client_id = "im-adapter";
    ao.channels = {client::Channel::kIm};
    ao.heartbeat = kHeartbeat;
    auto adapter = Adapter::Connect(endpoint_, ao);
    if (!adapter.ok()) {
      return ::testing::AssertionFailure() << "adapter: " << adapter.error().ToString();
    }
    adapter_.emplace(std::move(adapter).value());
    for (int i = 0; i < kWorkers; ++i) {
      client::WorkerOptions wo;
      wo.agent_id = "agent-" + std::to_string(i);
      wo.group = "post-sale";
      wo.capacity = {{client::Channel::kIm, 30}};
      wo.heartbeat = kHeartbeat;
      auto worker = Worker::Connect(endpoint_, wo);
      if (!worker.ok()) {
        return ::testing::AssertionFailure() << wo.agent_id << ": " << worker.error().ToString();
      }
      workers_.push_back(std::move(worker).value());
    }
    return ::testing::AssertionSuccess();
  }

  // Sends the next customer message in round-robin order; false if the window is full.
  bool SendNext() {
    const int customer = next_ % kCustomers;
    const int n = next_ / kCustomers;
    client::CustomerMessage m;
    m.tenant = "shop";
    m.channel = client::Channel::kIm;
    m.customer_id = "cust-" + std::to_string(customer);
    m.text = CustomerText(customer, n);
    m.attributes.topic = "delivery";
    auto seq = adapter_->Send(m);
    if (!seq.ok()) {
      EXPECT_EQ(seq.code(), client::ErrorCode::kWouldBlock) << seq.error().ToString();
      return false;
    }
    sent_by_seq_[seq.value()] = m.text;
    ++next_;
    return true;
  }
  bool all_sent() const { return next_ == kCustomers * kMessagesPerCustomer; }

  // One round: send what the window allows (up to `budget`), poll everyone once.
  void Step(int budget) {
    for (int i = 0; i < budget && !all_sent(); ++i) {
      if (!SendNext()) {
        break;
      }
    }
    for (auto& event : adapter_->Poll(1ms)) {
      std::visit(client::Overloaded{
                     [&](const client::Delivery& d) {
                       replies_[d.session_id].push_back(d.text);
                       EXPECT_TRUE(adapter_->Ack(d.delivery_id).ok());
                     },
                     [&](const client::Acked& a) { adapter_acked_ = a.up_to; },
                     [&](const client::ErrorEvent& e) { errors_.push_back(e.error.ToString()); },
                     [&](const client::Reconnected&) { ++reconnects_; },
                     [](const auto&) {},
                 },
                 event);
    }
    for (auto& w : workers_) {
      for (auto& event : w.Poll(1ms)) {
        std::visit(client::Overloaded{
                       [&](const client::Offer& o) {
                         auto r = w.Accept(o);
                         EXPECT_TRUE(r.ok()) << r.error().ToString();
                       },
                       [&](const client::Delivery& d) { OnCustomerMessage(w, d); },
                       [&](const client::ErrorEvent& e) {
                         // A stale offer may follow a broker restart; anything else is a bug.
                         if (e.error.code != client::ErrorCode::kStaleOffer) {
                           errors_.push_back(w.agent_id() + ": " + e.error.ToString());
                         }
                       },
                       [&](const client::Reconnected&) { ++reconnects_; },
                       [](const auto&) {},
                   },
                   event);
      }
    }
  }

  void OnCustomerMessage(Worker& w, const client::Delivery& d) {
    auto [it, inserted] = agent_of_session_.emplace(d.session_id, w.agent_id());
    if (!inserted) {
      EXPECT_EQ(it->second, w.agent_id()) << "session " << d.session_id << " changed agent";
    }
    received_[d.session_id].push_back(d.text);
    customer_of_session_[d.session_id] = d.customer_id;
    auto r = w.Reply(d.session_id, "re: " + d.text);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_TRUE(w.Ack(d.delivery_id).ok());
  }

  size_t received_count() const {
    size_t n = 0;
    for (const auto& [s, texts] : received_) n += texts.size();
    return n;
  }
  size_t reply_count() const {
    size_t n = 0;
    for (const auto& [s, texts] : replies_) n += texts.size();
    return n;
  }
  bool done() const {
    return all_sent() && received_count() >= sent_by_seq_.size() &&
           reply_count() >= sent_by_seq_.size();
  }

  // Runs rounds until `until` holds or the deadline passes.
  template <typename Pred>
  bool RunUntil(Pred until, std::chrono::seconds timeout, int budget = 50) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!until()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      Step(budget);
    }
    return true;
  }

  // Checks order and completeness of what the workers and the adapter saw.
  void CheckDeliveries() const {
    EXPECT_TRUE(errors_.empty()) << errors_.front();
    ASSERT_EQ(received_.size(), static_cast<size_t>(kCustomers));
    for (const auto& [session, texts] : received_) {
      const std::string& customer = customer_of_session_.at(session);
      const int c = std::stoi(customer.substr(5));
      ASSERT_EQ(texts.size(), static_cast<size_t>(kMessagesPerCustomer)) << customer;
      for (int n = 0; n < kMessagesPerCustomer; ++n) {
        EXPECT_EQ(texts[n], CustomerText(c, n)) << "session " << session;
      }
      const auto& replies = replies_.at(session);
      ASSERT_EQ(replies.size(), static_cast<size_t>(kMessagesPerCustomer)) << customer;
      for (int n = 0; n < kMessagesPerCustomer; ++n) {
        EXPECT_EQ(replies[n], "re: " + CustomerText(c, n));
      }
    }
  }

  std::optional<Adapter> adapter_;
  std::vector<Worker> workers_;
  std::string endpoint_;
  int next_ = 0;
  uint64_t adapter_acked_ = 0;
  std::map<uint64_t, std::string> sent_by_seq_;
  std::map<uint64_t, std::vector<std::string>> received_;  // session -> customer texts
  std::map<uint64_t, std::vector<std::string>> replies_;   // session -> agent texts at adapter
  std::map<uint64_t, std::string> agent_of_session_;
  std::map<uint64_t, std::string> customer_of_session_;
  std::vector<std::string> errors_;
  int reconnects_ = 0;
};

// Reads every transcript of the store (after the broker stopped) and checks it: each
// customer message exactly once, in order, each followed by its reply; sessions kept their
// agent.
inline void CheckTranscripts(const std::string& data_dir, const Load& load) {
  auto store = store::Store::Open(data_dir, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const auto& [session, agent] : load.agent_of_session_) {
    auto s = (*store)->GetSession(session);
    ASSERT_TRUE(s.ok() && s->has_value()) << "session " << session;
    EXPECT_EQ((*s)->agent_id, agent) << "session " << session;
    auto transcript = (*store)->Transcript(session);
    ASSERT_TRUE(transcript.ok());
    const int c = std::stoi(load.customer_of_session_.at(session).substr(5));
    std::vector<std::string> customer_texts;
    std::vector<std::string> agent_texts;
    for (const core::TranscriptEntry& e : *transcript) {
      (e.from == core::Party::kCustomer ? customer_texts : agent_texts).push_back(e.text);
    }
    ASSERT_EQ(customer_texts.size(), static_cast<size_t>(kMessagesPerCustomer))
        << "session " << session;
    ASSERT_EQ(agent_texts.size(), static_cast<size_t>(kMessagesPerCustomer));
    for (int n = 0; n < kMessagesPerCustomer; ++n) {
      EXPECT_EQ(customer_texts[n], CustomerText(c, n));
      EXPECT_EQ(agent_texts[n], "re: " + CustomerText(c, n));
    }
    for (size_t i = 0; i < transcript->size(); ++i) {
      EXPECT_EQ((*transcript)[i].index, i);
    }
  }
}


}  // namespace switchboard::testing
