// Faults against the real broker process: SIGKILL at random moments, a worker that crashes
// (its sessions move on after the grace period, or resume if it is back in time), a stuck
// worker that must not stall the others, and SIGTERM's drain.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "conversation_load.h"
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

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

class GuaranteesTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string data_ = dir_.Sub("data");
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
};

// SWITCHBOARD_TORTURE_KILLS (default 5) and SWITCHBOARD_TORTURE_SEED (default 1) make the
// long version: see docs/operations.md.
TEST_F(GuaranteesTest, SigkillAtRandomMomentsLosesNothingAcknowledged) {
  const int kills = EnvInt("SWITCHBOARD_TORTURE_KILLS", 5);
  std::mt19937 rng(static_cast<unsigned>(EnvInt("SWITCHBOARD_TORTURE_SEED", 1)));
  testing::BrokerProcess broker(
      data_, endpoint_, {"--heartbeat-ms", std::to_string(testing::kHeartbeat.count())});
  ASSERT_EQ(broker.Start(), "");
  testing::Load load(endpoint_);
  ASSERT_TRUE(load.Connect());
  for (int k = 0; k < kills && !load.done(); ++k) {
    const int steps = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < steps && !load.done(); ++i) {
      load.Step(static_cast<int>(1 + rng() % 30));
    }
    broker.Kill();
    ASSERT_EQ(broker.Start(), "") << "restart " << k << ": " << broker.StderrLog();
  }
  ASSERT_TRUE(load.RunUntil([&] { return load.done(); }, 120s))
      << "sent " << load.next_ << ", workers got " << load.received_count() << ", adapter got "
      << load.reply_count() << "; errors: " << (load.errors_.empty() ? "" : load.errors_.front());
  load.CheckDeliveries();
  ASSERT_TRUE(load.adapter_->WaitAllAcked(10s).ok());
  for (auto& w : load.workers_) {
    ASSERT_TRUE(w.WaitAllAcked(10s).ok());
  }
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
  testing::CheckTranscripts(data_, load);
}

client::CustomerMessage Msg(const std::string& customer, const std::string& text) {
  client::CustomerMessage m;
  m.tenant = "shop";
  m.channel = client::Channel::kIm;
  m.customer_id = customer;
  m.text = text;
  return m;
}

client::WorkerOptions Agent(const std::string& id, int im = 1) {
  client::WorkerOptions o;
  o.agent_id = id;
  o.capacity = {{client::Channel::kIm, static_cast<uint16_t>(im)}};
  o.heartbeat = 100ms;
  return o;
}

client::AdapterOptions AdapterOpts() {
  client::AdapterOptions o;
  o.client_id = "im-adapter";
  o.channels = {client::Channel::kIm};
  o.heartbeat = 100ms;
  return o;
}

// Polls `c` until `pred(event)` holds for an event, handing every event to `pred`.
template <typename C, typename Pred>
bool PollUntil(C& c, Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto& e : c.Poll(10ms)) {
      if (pred(e)) {
        return true;
      }
    }
  }
  return false;
}

template <typename T>
const T* As(const client::Event& e) {
  return std::get_if<T>(&e);
}

TEST_F(GuaranteesTest, CrashedWorkersSessionsMoveOnAfterGraceWithTheirTranscript) {
  testing::BrokerProcess broker(data_, endpoint_,
                                {"--heartbeat-ms", "100", "--worker-grace-ms", "300"});
  ASSERT_EQ(broker.Start(), "");
  auto adapter = Adapter::Connect(endpoint_, AdapterOpts());
  ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
  uint64_t session = 0;
  {
    auto alice = Worker::Connect(endpoint_, Agent("alice"));
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE(adapter->Send(Msg("c1", "m0")).ok());
    adapter->Flush();
    ASSERT_TRUE(PollUntil(*alice, [&](const client::Event& e) {
      if (const auto* o = As<client::Offer>(e)) {
        session = o->session_id;
        EXPECT_TRUE(alice->Accept(*o).ok());
      }
      if (const auto* d = As<client::Delivery>(e)) {
        EXPECT_TRUE(alice->Reply(d->session_id, "re: m0").ok());
        EXPECT_TRUE(alice->Ack(d->delivery_id).ok());
        return true;
      }
      return false;
    }));
    ASSERT_TRUE(alice->WaitAllAcked(5s).ok());
  }  // alice's process is gone without a word
  ASSERT_TRUE(adapter->Send(Msg("c1", "m1")).ok());
  ASSERT_TRUE(adapter->WaitAllAcked(5s).ok());

  auto bob = Worker::Connect(endpoint_, Agent("bob"));
  ASSERT_TRUE(bob.ok());
  std::vector<client::Delivery> got;
  ASSERT_TRUE(PollUntil(*bob, [&](const client::Event& e) {
    if (const auto* o = As<client::Offer>(e)) {
      EXPECT_EQ(o->session_id, session);
      EXPECT_TRUE(bob->Accept(*o).ok());
    }
    if (const auto* d = As<client::Delivery>(e)) {
      got.push_back(*d);
      EXPECT_TRUE(bob->Ack(d->delivery_id).ok());
    }
    return got.size() == 3;
  }));
  EXPECT_EQ(got[0].text, "m0");
  EXPECT_EQ(got[1].text, "re: m0");
  EXPECT_EQ(got[1].from, client::Party::kAgent);
  EXPECT_EQ(got[1].agent_id, "alice");
  EXPECT_EQ(got[2].text, "m1");
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].index, i);
  }
  ASSERT_TRUE(bob->Reply(session, "bob here").ok());
  bob->Flush();
  std::string reply;
  ASSERT_TRUE(PollUntil(*adapter, [&](const client::Event& e) {
    if (const auto* d = As<client::Delivery>(e)) {
      reply = d->text;
      return d->agent_id == "bob";
    }
    return false;
  }));
  EXPECT_EQ(reply, "bob here");
}

TEST_F(GuaranteesTest, CrashedWorkerBackWithinGraceResumesItsSessions) {
  testing::BrokerProcess broker(data_, endpoint_,
                                {"--heartbeat-ms", "100", "--worker-grace-ms", "600000"});
  ASSERT_EQ(broker.Start(), "");
  auto adapter = Adapter::Connect(endpoint_, AdapterOpts());
  ASSERT_TRUE(adapter.ok());
  auto bob = Worker::Connect(endpoint_, Agent("bob"));
  ASSERT_TRUE(bob.ok());
  uint64_t session = 0;
  {
    client::WorkerOptions first = Agent("alice");
    auto alice = Worker::Connect(endpoint_, first);
    ASSERT_TRUE(alice.ok());
    // bob signed in first, so he is the longest idle: make him busy with another customer.
    ASSERT_TRUE(adapter->Send(Msg("c0", "for bob")).ok());
    adapter->Flush();
    ASSERT_TRUE(PollUntil(*bob, [&](const client::Event& e) {
      if (const auto* o = As<client::Offer>(e)) {
        EXPECT_TRUE(bob->Accept(*o).ok());
        return true;
      }
      return false;
    }));
    ASSERT_TRUE(adapter->Send(Msg("c1", "m0")).ok());
    adapter->Flush();
    ASSERT_TRUE(PollUntil(*alice, [&](const client::Event& e) {
      if (const auto* o = As<client::Offer>(e)) {
        session = o->session_id;
        EXPECT_TRUE(alice->Accept(*o).ok());
      }
      if (const auto* d = As<client::Delivery>(e)) {
        EXPECT_TRUE(alice->Ack(d->delivery_id).ok());
        return true;
      }
      return false;
    }));
    ASSERT_TRUE(alice->WaitAllAcked(5s).ok());
  }
  ASSERT_TRUE(adapter->Send(Msg("c1", "m1")).ok());
  ASSERT_TRUE(adapter->WaitAllAcked(5s).ok());
  auto alice = Worker::Connect(endpoint_, Agent("alice"));  // a new process, same agent
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(PollUntil(*alice, [&](const client::Event& e) {
    if (const auto* d = As<client::Delivery>(e)) {
      EXPECT_EQ(d->text, "m1");
      EXPECT_EQ(d->session_id, session);
      EXPECT_TRUE(alice->Reply(session, "still here").ok());
      alice->Flush();
      return true;
    }
    EXPECT_EQ(As<client::Offer>(e), nullptr) << "alice should resume, not be offered";
    return false;
  }));
  ASSERT_TRUE(PollUntil(*adapter, [&](const client::Event& e) {
    const auto* d = As<client::Delivery>(e);
    return d != nullptr && d->text == "still here";
  }));
  // bob never saw c1's session.
  for (auto& e : bob->Poll(0ms)) {
    if (const auto* o = As<client::Offer>(e)) {
      EXPECT_NE(o->session_id, session);
    }
  }
}

TEST_F(GuaranteesTest, StuckWorkerDoesNotStallTheOthers) {
  testing::BrokerProcess broker(data_, endpoint_, {"--heartbeat-ms", "100"});
  ASSERT_EQ(broker.Start(), "");
  auto adapter = Adapter::Connect(endpoint_, AdapterOpts());
  ASSERT_TRUE(adapter.ok());
  auto stuck = Worker::Connect(endpoint_, Agent("stuck", 5));
  ASSERT_TRUE(stuck.ok());
  // stuck takes the first five customers, then stops reading its socket altogether.
  for (int c = 0; c < 5; ++c) {
    ASSERT_TRUE(adapter->Send(Msg("s" + std::to_string(c), "hello")).ok());
  }
  adapter->Flush();
  int accepted = 0;
  ASSERT_TRUE(PollUntil(*stuck, [&](const client::Event& e) {
    if (const auto* o = As<client::Offer>(e)) {
      EXPECT_TRUE(stuck->Accept(*o).ok());
      ++accepted;
    }
    return accepted == 5;
  }));
  stuck->Flush();
  ASSERT_TRUE(stuck->WaitAllAcked(5s).ok());
  // Traffic for stuck's sessions keeps coming while another worker serves new customers.
  auto fine = Worker::Connect(endpoint_, Agent("fine", 50));
  ASSERT_TRUE(fine.ok());
  int replies = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(adapter->Send(Msg("s" + std::to_string(round % 5), "anyone?")).ok());
    ASSERT_TRUE(adapter->Send(Msg("f" + std::to_string(round), "hi")).ok());
    adapter->Flush();
    ASSERT_TRUE(PollUntil(*fine, [&](const client::Event& e) {
      if (const auto* o = As<client::Offer>(e)) {
        EXPECT_TRUE(fine->Accept(*o).ok());
      }
      if (const auto* d = As<client::Delivery>(e)) {
        EXPECT_TRUE(fine->Reply(d->session_id, "answered").ok());
        EXPECT_TRUE(fine->Ack(d->delivery_id).ok());
        return true;
      }
      return false;
    })) << "round " << round;
    fine->Flush();
    ASSERT_TRUE(PollUntil(*adapter, [&](const client::Event& e) {
      const auto* d = As<client::Delivery>(e);
      if (d != nullptr) {
        EXPECT_TRUE(adapter->Ack(d->delivery_id).ok());
        ++replies;
      }
      return d != nullptr;
    })) << "round " << round;
  }
  EXPECT_EQ(replies, 20);
}

TEST_F(GuaranteesTest, SigtermDrainsTellsClientsAndExitsZero) {
  testing::BrokerProcess broker(data_, endpoint_, {"--heartbeat-ms", "100", "--drain-ms", "5000"});
  ASSERT_EQ(broker.Start(), "");
  auto adapter = Adapter::Connect(endpoint_, AdapterOpts());
  ASSERT_TRUE(adapter.ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(adapter->Send(Msg("c" + std::to_string(i % 7), "m" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(adapter->WaitAllAcked(5s).ok());
  // The broker stops in another thread while this one keeps the adapter polling, as a real
  // adapter would.
  int exit_code = -1;
  std::thread stopper([&] { exit_code = broker.Terminate(); });
  const bool told = PollUntil(*adapter, [](const client::Event& e) {
    const auto* err = As<client::ErrorEvent>(e);
    return err != nullptr && err->error.code == client::ErrorCode::kShuttingDown;
  });
  // While draining, a new contact is refused; a message of an open session is taken.
  bool refused = false;
  if (told) {
    ASSERT_TRUE(adapter->Send(Msg("newcomer", "hello?")).ok());
    ASSERT_TRUE(adapter->Send(Msg("c1", "one more")).ok());
    refused = PollUntil(*adapter, [](const client::Event& e) {
      const auto* err = As<client::ErrorEvent>(e);
      return err != nullptr && err->error.code == client::ErrorCode::kShuttingDown &&
             err->customer_id == "newcomer";
    });
    EXPECT_TRUE(adapter->WaitAllAcked(5s).ok());
  }
  adapter = client::Error{client::ErrorCode::kClosed, "done"};  // the last client goes...
  stopper.join();  // ...so the broker ends its drain early
  EXPECT_TRUE(told);
  EXPECT_TRUE(refused);
  EXPECT_EQ(exit_code, 0) << broker.StderrLog();
  EXPECT_NE(broker.StderrLog().find("stopped cleanly"), std::string::npos);
  auto store = store::Store::Open(data_, {});
  ASSERT_TRUE(store.ok());
  auto state = (*store)->Recover();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->open_sessions.size(), 7u);  // not the newcomer
  EXPECT_EQ(state->waiting_entries.size(), 51u);
}


TEST_F(GuaranteesTest, FastModeNeverIssuesAnIdTwiceAcrossRestarts) {
  // An OS crash in fast mode can lose the WAL's last second, counters included: after any
  // restart, new ids start past what that second could have issued.
  uint64_t first_session = 0;
  uint64_t first_delivery = 0;
  for (int run = 0; run < 2; ++run) {
    testing::BrokerProcess broker(data_, endpoint_, {"--heartbeat-ms", "100"});
    ASSERT_EQ(broker.Start(), "");
    auto adapter = Adapter::Connect(endpoint_, AdapterOpts());
    ASSERT_TRUE(adapter.ok());
    auto alice = Worker::Connect(endpoint_, Agent("alice-" + std::to_string(run)));
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE(adapter->Send(Msg("c" + std::to_string(run), "hello")).ok());
    adapter->Flush();
    uint64_t session = 0;
    uint64_t delivery = 0;
    ASSERT_TRUE(PollUntil(*alice, [&](const client::Event& e) {
      if (const auto* o = As<client::Offer>(e)) {
        EXPECT_TRUE(alice->Accept(*o).ok());
      }
      if (const auto* d = As<client::Delivery>(e)) {
        session = d->session_id;
        delivery = d->delivery_id;
        return true;
      }
      return false;
    }));
    if (run == 0) {
      first_session = session;
      first_delivery = delivery;
      broker.Kill();
    } else {
      EXPECT_GT(session, first_session + (uint64_t{1} << 20) - 1);
      EXPECT_GT(delivery, first_delivery + (uint64_t{1} << 24) - 1);
    }
  }
}

}  // namespace
}  // namespace switchboard
