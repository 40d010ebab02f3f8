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

#include "conversation_load.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using namespace switchboard::testing;

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
