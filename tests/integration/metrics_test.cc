// The real broker's /metrics after a short conversation: a contact offered, answered,
// replied to and closed as resolved, a rating, two orders, and a re-contact on the same
// topic. The contact-centre counters and histograms moved, with their labels; the sampled
// gauges (agents by state, clients by role) show the signed-in clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/service.h"
#include "switchboard/client/worker.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using client::Adapter;
using client::Event;
using client::Service;
using client::Worker;
using Labels = std::map<std::string, std::string>;

// GET /metrics on 127.0.0.1:port; empty on failure.
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return "";
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample `name` with exactly `labels` in a text exposition, if present.
std::optional<double> Sample(const std::string& page, const std::string& name,
                             const Labels& labels) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const size_t space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    const size_t brace = series.find('{');
    if (series.substr(0, brace) != name) {
      continue;
    }
    Labels have;
    if (brace != std::string::npos) {
      // name{a="x",b="y"}: our label values have no quotes, commas or escapes.
      std::string rest = series.substr(brace + 1, series.size() - brace - 2);
      std::istringstream pairs(rest);
      std::string pair;
      while (std::getline(pairs, pair, ',')) {
        const size_t eq = pair.find('=');
        have[pair.substr(0, eq)] = pair.substr(eq + 2, pair.size() - eq - 3);
      }
    }
    if (have == labels) {
      return std::stod(line.substr(space + 1));
    }
  }
  return std::nullopt;
}

class MetricsScrapeTest : public ::testing::Test {
 protected:
  // Polls `client` until an event of type T arrives, at most `timeout`.
  template <typename T, typename C>
  std::optional<T> Next(C& client, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (Event& e : client.Poll(50ms)) {
        if (auto* t = std::get_if<T>(&e)) {
          return *t;
        }
      }
    }
    return std::nullopt;
  }

  // Scrapes until `name{labels}` reads `want` (the sampled gauges lag by up to a second).
  ::testing::AssertionResult Eventually(const std::string& name, const Labels& labels,
                                        double want) {
    std::optional<double> got;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      got = Sample(Scrape(broker_->metrics_port()), name, labels);
      if (got == want) {
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(50ms);  // between scrapes, not instead of a condition
    }
    return ::testing::AssertionFailure()
           << name << " is " << (got ? std::to_string(*got) : "absent") << ", want " << want;
  }

  testing::TempDir dir_;
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
  std::optional<testing::BrokerProcess> broker_;
};

TEST_F(MetricsScrapeTest, AShortConversationMovesTheContactCentreCounters) {
  broker_.emplace(dir_.Sub("data"), endpoint_,
                  std::vector<std::string>{"--metrics-bind", "127.0.0.1:0",
                                           "--service-level-seconds", "20,45"});
  ASSERT_EQ(broker_->Start(), "");
  ASSERT_GT(broker_->metrics_port(), 0);

  client::AdapterOptions ao;
  ao.client_id = "im-gateway";
  ao.channels = {client::Channel::kIm};
  auto adapter = Adapter::Connect(endpoint_, ao);
  ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
  client::WorkerOptions wo;
  wo.agent_id = "alice";
  wo.group = "post-sale";
  auto worker = Worker::Connect(endpoint_, wo);
  ASSERT_TRUE(worker.ok()) << worker.error().ToString();
  client::ServiceOptions so;
  so.client_id = "orders";
  auto service = Service::Connect(endpoint_, so);
  ASSERT_TRUE(service.ok()) << service.error().ToString();

  client::CustomerMessage m;
  m.tenant = "acme";
  m.channel = client::Channel::kIm;
  m.customer_id = "c-1";
  m.text = "my parcel is late";
  m.attributes.topic = "delivery";
  ASSERT_TRUE(adapter->Send(m).ok());
  adapter->Flush();
  auto offer = Next<client::Offer>(*worker);
  ASSERT_TRUE(offer.has_value());
  ASSERT_TRUE(worker->Accept(*offer).ok());
  ASSERT_TRUE(Next<client::Delivery>(*worker).has_value());
  ASSERT_TRUE(worker->Reply(offer->session_id, "it leaves today").ok());
  ASSERT_TRUE(worker->Close(offer->session_id, client::Disposition::kResolved).ok());
  ASSERT_TRUE(worker->WaitAllAcked(10s).ok());
  auto closed = Next<client::SessionClosed>(*adapter);
  ASSERT_TRUE(closed.has_value());
  ASSERT_TRUE(adapter->Rate(closed->session_id, 5).ok());
  ASSERT_TRUE(adapter->Send(m).ok());  // the customer is back on the same topic
  ASSERT_TRUE(adapter->WaitAllAcked(10s).ok());
  ASSERT_TRUE(service->ReportOrders("acme", "o-1", 2).ok());
  ASSERT_TRUE(service->WaitAllAcked(10s).ok());

  // Every acknowledged envelope was committed, and counted before its ack was sent.
  const std::string page = Scrape(broker_->metrics_port());
  ASSERT_FALSE(page.empty());
  const Labels contact = {
      {"queue", "default"}, {"channel", "im"}, {"tenant", "acme"}, {"topic", "delivery"}};
  const Labels wait = {{"queue", "default"}, {"channel", "im"}, {"tenant", "acme"}};
  Labels resolved = contact;
  resolved["disposition"] = "resolved";
  Labels rated = wait;
  rated["group"] = "post-sale";
  rated["rating"] = "5";
  const Labels group = {{"queue", "default"}, {"channel", "im"}, {"group", "post-sale"}};

  EXPECT_EQ(Sample(page, "switchboard_contacts_offered_total", contact), 2);
  EXPECT_EQ(Sample(page, "switchboard_contacts_answered_total", contact), 1);
  EXPECT_EQ(Sample(page, "switchboard_sessions_opened_total",
                   {{"channel", "im"}, {"tenant", "acme"}, {"topic", "delivery"}}),
            2);
  EXPECT_EQ(Sample(page, "switchboard_sessions_closed_total", resolved), 1);
  EXPECT_EQ(Sample(page, "switchboard_recontacts_total", resolved), 1);
  EXPECT_EQ(Sample(page, "switchboard_customer_messages_total", wait), 2);
  EXPECT_EQ(Sample(page, "switchboard_agent_messages_total", wait), 1);
  EXPECT_EQ(Sample(page, "switchboard_ratings_total", rated), 1);
  EXPECT_EQ(Sample(page, "switchboard_orders_total", {{"tenant", "acme"}}), 2);
  EXPECT_EQ(Sample(page, "switchboard_receptions_total", group), 1);
  EXPECT_EQ(Sample(page, "switchboard_answer_wait_seconds_count", wait), 1);
  Labels sl = wait;
  sl["le"] = "45";  // the threshold given on the command line is a bucket
  EXPECT_EQ(Sample(page, "switchboard_answer_wait_seconds_bucket", sl), 1);
  sl["le"] = "20";
  EXPECT_EQ(Sample(page, "switchboard_answer_wait_seconds_bucket", sl), 1);
  EXPECT_EQ(Sample(page, "switchboard_first_response_seconds_count", wait), 1);
  EXPECT_EQ(Sample(page, "switchboard_response_seconds_count", wait), 1);
  EXPECT_EQ(Sample(page, "switchboard_handle_seconds_count", group), 1);
  EXPECT_EQ(Sample(page, "switchboard_clients_connected", {{"role", "adapter"}}), 1);
  EXPECT_EQ(Sample(page, "switchboard_clients_connected", {{"role", "worker"}}), 1);
  EXPECT_EQ(Sample(page, "switchboard_clients_connected", {{"role", "service"}}), 1);
  EXPECT_TRUE(Sample(page, "switchboard_rocksdb_write_stopped", {}).has_value());
  EXPECT_EQ(Sample(page, "switchboard_routing_repairs_total", {}), 0);  // exported, nothing stuck

  // Sampled once a second: alice holds the re-contact's offer, so she is busy and handling.
  EXPECT_TRUE(Eventually("switchboard_agents", {{"group", "post-sale"}, {"state", "busy"}}, 1));
  EXPECT_TRUE(
      Eventually("switchboard_agents", {{"group", "post-sale"}, {"state", "available"}}, 0));
}

}  // namespace
}  // namespace switchboard
