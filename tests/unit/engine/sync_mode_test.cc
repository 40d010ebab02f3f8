// The engine in sync mode, with a real RocksDB in a temporary directory on a file system that
// can fail WAL syncs, and a real client over ipc://. Sync mode writes a turn without the fsync
// and holds the turn's frames until a later fsync covers it: an acknowledgement must never
// leave before its fsync, and a failed fsync must acknowledge nothing.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include "common/clock.h"
#include "engine/engine.h"
#include "store/store.h"
#include "support/fault_fs.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"

namespace switchboard::engine {
namespace {

using namespace std::chrono_literals;
using switchboard::testing::FaultInjectionFs;

class SyncModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FaultInjectionFs>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
    store::Options options;
    options.durability = store::Durability::kSync;
    options.env = env_.get();
    auto opened = store::Store::Open(dir_.Sub("data"), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    EngineConfig config;
    config.bind = "ipc://" + dir_.Sub("broker.sock");
    config.background_wal_sync = false;  // sync mode
    config.drain_time = 0;               // Stop returns at the next turn
    engine_ = std::make_unique<Engine>(config, *store_, nullptr, clock_);
    auto bound = engine_->Start();
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    endpoint_ = *bound;
    run_ = std::thread([this] { result_ = engine_->Run(); });
  }

  void TearDown() override {
    if (run_.joinable()) {
      engine_->Stop();
      run_.join();
    }
  }

  static client::AdapterOptions Options() {
    client::AdapterOptions o;
    o.client_id = "im-adapter";
    o.channels = {client::Channel::kIm};
    return o;
  }

  static client::CustomerMessage Message(int customer, int n) {
    client::CustomerMessage m;
    m.tenant = "shop";
    m.customer_id = "c" + std::to_string(customer);
    m.text = "message " + std::to_string(n);
    return m;
  }

  switchboard::testing::TempDir dir_;
  std::shared_ptr<FaultInjectionFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<store::Store> store_;
  SystemClock clock_;
  std::unique_ptr<Engine> engine_;
  std::string endpoint_;
  std::thread run_;
  Status result_;
};

TEST_F(SyncModeTest, AcknowledgesAfterAnFsyncAndKeepsEveryMessage) {
  auto adapter = client::Adapter::Connect(endpoint_, Options());
  ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
  const int syncs_before = fs_->wal_syncs();
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; ++i) {
    auto seq = adapter->Send(Message(i % 7, i));
    ASSERT_TRUE(seq.ok()) << seq.error().ToString();
  }
  ASSERT_TRUE(adapter->WaitAllAcked(10s).ok());
  EXPECT_GT(fs_->wal_syncs(), syncs_before);

  engine_->Stop();
  run_.join();
  ASSERT_TRUE(result_.ok()) << result_.ToString();
  auto state = store_->Recover();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->open_sessions.size(), 7u);
  EXPECT_EQ(state->waiting_entries.size(), static_cast<size_t>(kMessages));  // no agent took any
}

TEST_F(SyncModeTest, AFailedFsyncAcknowledgesNothingAndStopsTheBroker) {
  auto adapter = client::Adapter::Connect(endpoint_, Options());
  ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
  fs_->set_fail_wal_syncs(true);
  std::vector<uint64_t> sent;
  for (int i = 0; i < 20; ++i) {
    auto seq = adapter->Send(Message(1, i));
    ASSERT_TRUE(seq.ok()) << seq.error().ToString();
    sent.push_back(*seq);
  }
  adapter->Flush();
  run_.join();  // the engine stops by itself on the failed fsync
  EXPECT_EQ(result_.code(), Code::kStoreFailure) << result_.ToString();
  EXPECT_GT(fs_->faults_injected(), 0);

  // Whatever the broker sent before it stopped has reached the client's socket by now (ipc);
  // none of it may acknowledge a message whose fsync failed.
  std::vector<client::Event> events;
  adapter->Poll(200ms, events);
  for (const client::Event& e : events) {
    if (const auto* acked = std::get_if<client::Acked>(&e)) {
      EXPECT_LT(acked->up_to, sent.front()) << "acknowledged without an fsync";
    }
  }
}

}  // namespace
}  // namespace switchboard::engine
