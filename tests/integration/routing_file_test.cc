// The routing file on a real broker: the rules send a VIP contact to the queue whose pool
// only skilled agents are in, and SIGHUP reloads the file (a broken file is refused and the
// routing in force stays).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/admin.h"
#include "switchboard/client/worker.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;

constexpr char kVipRouting[] = R"(
[routing]
default_queue = "general"

[[routing.queue]]
name = "general"

[[routing.queue]]
name = "vip"
  [[routing.queue.step]]
  pool = "agent.skill.vip >= 2"

[[routing.rule]]
name = "vip customers"
when = "contact.vip_level >= 2"
queue = "vip"
priority = 10
)";

// The same, but VIP contacts wait in "general" like everyone.
constexpr char kFlatRouting[] = R"(
[routing]
default_queue = "general"

[[routing.queue]]
name = "general"
)";

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

class RoutingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(routing_, kVipRouting);
    broker_.emplace(dir_.Sub("data"), endpoint_,
                    std::vector<std::string>{"--routing-config", routing_});
    ASSERT_EQ(broker_->Start(), "");
    client::AdapterOptions a;
    a.client_id = "im-1";
    a.channels = {client::Channel::kIm};
    auto adapter = client::Adapter::Connect(endpoint_, a);
    ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
    adapter_.emplace(std::move(adapter).value());
  }
  std::optional<client::Worker> SignIn(const std::string& id, int vip_level) {
    client::WorkerOptions w;
    w.agent_id = id;
    if (vip_level > 0) {
      w.skills = {{"vip", static_cast<uint8_t>(vip_level)}};
    }
    auto worker = client::Worker::Connect(endpoint_, w);
    EXPECT_TRUE(worker.ok()) << worker.error().ToString();
    if (!worker.ok()) return std::nullopt;
    return std::move(worker).value();
  }
  void Customer(const std::string& id, uint8_t vip_level) {
    client::CustomerMessage m;
    m.tenant = "shop";
    m.customer_id = id;
    m.text = "hello";
    m.attributes.vip_level = vip_level;
    ASSERT_TRUE(adapter_->Send(m).ok());
    ASSERT_TRUE(adapter_->WaitAllAcked(10s).ok());
  }
  // The next offer `worker` receives within `timeout`, polling the adapter too.
  std::optional<client::Offer> NextOffer(client::Worker& worker, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      (void)adapter_->Poll(0ms);
      for (client::Event& e : worker.Poll(20ms)) {
        if (auto* offer = std::get_if<client::Offer>(&e)) return *offer;
      }
    }
    return std::nullopt;
  }
  testing::TempDir dir_;
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
  std::string routing_ = dir_.Sub("routing.toml");
  std::optional<testing::BrokerProcess> broker_;
  std::optional<client::Adapter> adapter_;
};

TEST_F(RoutingFileTest, VipContactsGoOnlyToAgentsWithTheSkill) {
  auto plain = SignIn("plain", 0);
  ASSERT_TRUE(plain.has_value());
  Customer("big-spender", 3);
  // The VIP waits: the only agent signed in is not in the vip pool.
  EXPECT_FALSE(NextOffer(*plain, 300ms).has_value());
  auto expert = SignIn("expert", 2);
  ASSERT_TRUE(expert.has_value());
  auto offer = NextOffer(*expert, 5s);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->queue, "vip");
  EXPECT_EQ(offer->customer_id, "big-spender");
  // Everyone else goes to the general queue, which every agent serves.
  Customer("someone", 0);
  auto general = NextOffer(*plain, 5s);
  ASSERT_TRUE(general.has_value());
  EXPECT_EQ(general->queue, "general");
  EXPECT_EQ(broker_->Terminate(), 0) << broker_->StderrLog();
}

TEST_F(RoutingFileTest, SighupReloadsTheFileAndABrokenFileChangesNothing) {
  auto plain = SignIn("plain", 0);
  ASSERT_TRUE(plain.has_value());
  // A broken file: refused on SIGHUP, the VIP rule stays in force.
  Write(routing_, "[routing]\ndefault_queue = \"nowhere\"\n");
  ASSERT_EQ(kill(broker_->pid(), SIGHUP), 0);
  Customer("big-spender", 3);
  EXPECT_FALSE(NextOffer(*plain, 300ms).has_value());
  // A good file without the VIP queue: the waiting VIP moves to the default queue and the
  // plain agent gets it.
  Write(routing_, kFlatRouting);
  ASSERT_EQ(kill(broker_->pid(), SIGHUP), 0);
  auto offer = NextOffer(*plain, 5s);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->customer_id, "big-spender");
  EXPECT_EQ(offer->queue, "general");
  EXPECT_EQ(broker_->Terminate(), 0);
  const std::string log = broker_->StderrLog();
  EXPECT_NE(log.find("routing not reloaded"), std::string::npos) << log;
  EXPECT_NE(log.find("routing.toml:1"), std::string::npos) << log;
  EXPECT_NE(log.find("routing reloaded"), std::string::npos) << log;
}

TEST_F(RoutingFileTest, AnAdminReloadAnswersTheLoadErrorOrLoadsTheFile) {
  auto plain = SignIn("plain", 0);
  ASSERT_TRUE(plain.has_value());
  client::AdminOptions o;
  o.client_id = "ops";
  auto admin = client::Admin::Connect(endpoint_, o);
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  Write(routing_, "[routing]\ndefault_queue = \"general\"\n[[routing.queue]]\nname = \"general\"\n"
                  "bogus = 1\n");
  client::Status refused = admin->ReloadRouting(10s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), client::ErrorCode::kBadRequest);
  EXPECT_NE(refused.error().reason.find("routing.toml:5"), std::string::npos)
      << refused.error().reason;
  Customer("big-spender", 3);
  EXPECT_FALSE(NextOffer(*plain, 300ms).has_value());  // the VIP rule is still in force
  Write(routing_, kFlatRouting);
  ASSERT_TRUE(admin->ReloadRouting(10s).ok());
  auto offer = NextOffer(*plain, 5s);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->queue, "general");
  EXPECT_EQ(broker_->Terminate(), 0);
  EXPECT_NE(broker_->StderrLog().find("routing reloaded (admin 'ops')"), std::string::npos);
}

TEST_F(RoutingFileTest, ABrokenFileStopsTheBrokerAtStartWithItsLineAndField) {
  EXPECT_EQ(broker_->Terminate(), 0);
  Write(routing_, "[routing]\ndefault_queue = \"general\"\n\n[[routing.queue]]\nname = \"general\"\n"
                  "offer_timout_s = 5\n");
  testing::BrokerProcess broken(dir_.Sub("data2"), "ipc://" + dir_.Sub("b2.sock"),
                                {"--routing-config", routing_});
  const std::string error = broken.Start(10s);
  EXPECT_NE(error.find("routing.toml:6"), std::string::npos) << error;
  EXPECT_NE(error.find("offer_timout_s"), std::string::npos) << error;
}

}  // namespace
}  // namespace switchboard
