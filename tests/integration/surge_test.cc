// A launch-day surge against the real broker: new contacts arrive far faster than the agents
// can take them, and the agents stall. The broker answers Busy (with a position) to new
// contacts over the queue limit, withholds credit once the messages it holds reach their
// bound, keeps its memory bounded, and when the agents work again everything it accepted is
// delivered, exactly once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/worker.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using client::Adapter;
using client::Worker;

constexpr int kMaxQueue = 20;
constexpr int kMaxHeld = 200;
constexpr int kCustomers = 300;

// Resident memory of a process, in KiB (VmRSS of /proc/PID/status).
long RssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

TEST(SurgeTest, BusyAndCreditHoldTheLineAndEverythingAcceptedIsDelivered) {
  testing::TempDir dir;
  const std::string endpoint = "ipc://" + dir.Sub("broker.sock");
  testing::BrokerProcess broker(
      dir.Sub("data"), endpoint,
      {"--heartbeat-ms", "200", "--max-queue-size", std::to_string(kMaxQueue), "--max-outbox",
       std::to_string(kMaxHeld), "--window", "40", "--worker-grace-ms", "600000"});
  ASSERT_EQ(broker.Start(), "");
  const long rss_start = RssKib(broker.pid());

  client::AdapterOptions ao;
  ao.client_id = "im-adapter";
  ao.channels = {client::Channel::kIm};
  ao.heartbeat = 200ms;
  auto adapter = Adapter::Connect(endpoint, ao);
  ASSERT_TRUE(adapter.ok());
  EXPECT_EQ(adapter->credit(), 40u);
  std::vector<Worker> workers;
  for (int i = 0; i < 2; ++i) {
    client::WorkerOptions wo;
    wo.agent_id = "agent-" + std::to_string(i);
    wo.capacity = {{client::Channel::kIm, 5}};
    wo.heartbeat = 200ms;
    auto w = Worker::Connect(endpoint, wo);
    ASSERT_TRUE(w.ok());
    workers.push_back(std::move(w).value());
  }

  std::map<uint64_t, std::string> sent;  // seq -> text
  std::set<uint64_t> refused;            // seqs answered with an error
  std::set<std::string> busy_customers;
  uint32_t last_position = 0;
  bool saw_credit_wait = false;
  std::map<std::string, int> received;  // text -> times a worker got it
  bool agents_work = false;
  std::vector<std::set<uint64_t>> held(2);  // sessions each agent accepted

  auto poll_all = [&] {
    for (auto& e : adapter->Poll(1ms)) {
      if (const auto* err = std::get_if<client::ErrorEvent>(&e)) {
        ASSERT_EQ(err->error.code, client::ErrorCode::kBusy) << err->error.ToString();
        refused.insert(err->error.ref_seq);
        busy_customers.insert(err->customer_id);
        last_position = err->error.position;
      } else if (const auto* d = std::get_if<client::Delivery>(&e)) {
        EXPECT_TRUE(adapter->Ack(d->delivery_id).ok());
      } else if (const auto* c = std::get_if<client::SessionClosed>(&e)) {
        EXPECT_TRUE(adapter->Ack(c->delivery_id).ok());
      }
    }
    for (size_t i = 0; i < workers.size(); ++i) {
      Worker& w = workers[i];
      for (auto& e : w.Poll(1ms)) {
        if (const auto* o = std::get_if<client::Offer>(&e)) {
          EXPECT_TRUE(w.Accept(*o).ok());
          held[i].insert(o->session_id);
        } else if (const auto* d = std::get_if<client::Delivery>(&e)) {
          ++received[d->text];
          if (agents_work) {  // stalled agents read but neither answer nor acknowledge
            EXPECT_TRUE(w.Ack(d->delivery_id).ok());
          }
        }
      }
    }
  };
  auto send = [&](int customer, int n) {
    client::CustomerMessage m;
    m.tenant = "shop";
    m.channel = client::Channel::kIm;
    m.customer_id = "c" + std::to_string(customer);
    m.text = m.customer_id + " m" + std::to_string(n);
    auto seq = adapter->Send(m);
    if (!seq.ok()) {
      EXPECT_EQ(seq.code(), client::ErrorCode::kWouldBlock);
      if (adapter->credit() == 0) {
        saw_credit_wait = true;
      }
      return false;
    }
    sent[*seq] = m.text;
    return true;
  };

  // The surge: every customer writes, then writes again and again, far faster than two
  // stalled agents with five sessions each can ever answer.
  long rss_peak = rss_start;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  int round = 0;
  while (!(saw_credit_wait && !busy_customers.empty()) &&
         std::chrono::steady_clock::now() < deadline) {
    for (int c = 0; c < kCustomers; ++c) {
      if (!send(c, round)) {
        break;
      }
    }
    poll_all();
    rss_peak = std::max(rss_peak, RssKib(broker.pid()));
    ++round;
  }
  ASSERT_TRUE(saw_credit_wait) << "never ran out of credit";
  ASSERT_FALSE(busy_customers.empty()) << "never got Busy";
  EXPECT_GE(last_position, static_cast<uint32_t>(kMaxQueue));
  // Memory stays bounded: a generous ceiling over the start, whatever the surge's length.
  EXPECT_LT(rss_peak - rss_start, 64 * 1024) << "RSS grew from " << rss_start << " to "
                                             << rss_peak << " KiB";

  // The surge ends; the agents work again: they acknowledge what they got and close each
  // session they hold (its messages still reach them: deliveries outlive the close), so the
  // queue moves and every waiting contact is offered with its messages.
  agents_work = true;
  auto all_delivered = [&] {
    if (adapter->pending() > 0) {
      return false;
    }
    for (const auto& [seq, text] : sent) {
      if (!refused.count(seq) && received[text] == 0) {
        return false;
      }
    }
    return true;
  };
  const auto drain_deadline = std::chrono::steady_clock::now() + 60s;
  while (!all_delivered() && std::chrono::steady_clock::now() < drain_deadline) {
    poll_all();
    for (size_t i = 0; i < workers.size(); ++i) {
      for (uint64_t session : held[i]) {
        EXPECT_TRUE(workers[i].Close(session, client::Disposition::kResolved).ok());
      }
      held[i].clear();
      workers[i].Flush();
    }
  }
  ASSERT_TRUE(all_delivered());
  size_t accepted = 0;
  for (const auto& [seq, text] : sent) {
    if (refused.count(seq)) {
      EXPECT_EQ(received[text], 0) << text << " was refused yet delivered";
    } else {
      ++accepted;
      EXPECT_EQ(received[text], 1) << text;
    }
  }
  EXPECT_GT(accepted, static_cast<size_t>(kMaxHeld));  // more than ever held at once
}

}  // namespace
}  // namespace switchboard
