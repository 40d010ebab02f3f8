// End to end against the real broker process on ipc://: 100 sessions, 1,000 customer
// messages, 5 workers. Every message reaches its session's agent in order, every reply
// reaches the adapter, every transcript is complete; and the same holds when the broker is
// killed with SIGKILL in the middle of the load and started again on the same data.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/worker.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using client::Adapter;
using client::Worker;

constexpr int kCustomers = 100;
constexpr int kMessagesPerCustomer = 10;
constexpr int kWorkers = 5;
constexpr auto kHeartbeat = 200ms;

std::string CustomerText(int customer, int n) {
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
void CheckTranscripts(const std::string& data_dir, const Load& load) {
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

class ConversationTest : public ::testing::Test {
 protected:
  std::vector<std::string> BrokerArgs() const {
    return {"--heartbeat-ms", std::to_string(kHeartbeat.count())};
  }
  testing::TempDir dir_;
  std::string data_ = dir_.Sub("data");
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
};

TEST_F(ConversationTest, EveryMessageReachesItsAgentInOrderAndEveryReplyComesBack) {
  testing::BrokerProcess broker(data_, endpoint_, BrokerArgs());
  ASSERT_EQ(broker.Start(), "");
  Load load(endpoint_);
  ASSERT_TRUE(load.Connect());
  ASSERT_TRUE(load.RunUntil([&] { return load.done(); }, 60s))
      << "sent " << load.next_ << ", workers got " << load.received_count() << ", adapter got "
      << load.reply_count() << " replies; errors: "
      << (load.errors_.empty() ? "" : load.errors_.front());
  load.CheckDeliveries();
  // The agents' sessions were spread over all five workers (capacity 30 each).
  std::set<std::string> agents;
  for (const auto& [s, a] : load.agent_of_session_) agents.insert(a);
  EXPECT_EQ(agents.size(), static_cast<size_t>(kWorkers));
  ASSERT_TRUE(load.adapter_->WaitAllAcked(10s).ok());
  for (auto& w : load.workers_) {
    ASSERT_TRUE(w.WaitAllAcked(10s).ok());
  }
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
  CheckTranscripts(data_, load);
}

TEST_F(ConversationTest, SigkillDuringLoadLosesNothingAcknowledged) {
  testing::BrokerProcess broker(data_, endpoint_, BrokerArgs());
  ASSERT_EQ(broker.Start(), "");
  Load load(endpoint_);
  ASSERT_TRUE(load.Connect());
  // Run until a good part is acknowledged and some replies flowed, then kill mid-stream.
  ASSERT_TRUE(load.RunUntil([&] { return load.adapter_acked_ >= 400 && load.reply_count() >= 100; },
                            60s, /*budget=*/20));
  const uint64_t acked_before_kill = load.adapter_->acked_seq();
  const auto agents_before = load.agent_of_session_;
  EXPECT_FALSE(load.done());
  EXPECT_EQ(load.reconnects_, 0);
  broker.Kill();
  ASSERT_EQ(broker.Start(), "") << broker.StderrLog();
  ASSERT_TRUE(load.RunUntil([&] { return load.done(); }, 90s))
      << "sent " << load.next_ << ", workers got " << load.received_count() << ", adapter got "
      << load.reply_count() << "; errors: " << (load.errors_.empty() ? "" : load.errors_.front());
  load.CheckDeliveries();
  EXPECT_EQ(load.reconnects_, 1 + kWorkers);  // every client signed in again
  for (const auto& [session, agent] : agents_before) {
    EXPECT_EQ(load.agent_of_session_.at(session), agent) << "session " << session;
  }
  EXPECT_GE(load.adapter_->acked_seq(), acked_before_kill);
  ASSERT_TRUE(load.adapter_->WaitAllAcked(10s).ok());
  for (auto& w : load.workers_) {
    ASSERT_TRUE(w.WaitAllAcked(10s).ok());
  }
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
  CheckTranscripts(data_, load);
}

}  // namespace
}  // namespace switchboard
