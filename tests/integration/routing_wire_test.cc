// The routing messages against the real broker process: a customer leaving while waiting and
// while answered, the position in the queue, a profile update, the answers of requests this
// broker does not support yet, ReloadRouting on a broker without a routing file, and routing
// bodies with bad fields from a hand-driven socket.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "protocol/frame.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/admin.h"
#include "switchboard/client/worker.h"
#include "wire_generated.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using client::Channel;

constexpr auto kTimeout = 10s;

class RoutingWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.emplace(dir_.Sub("data"), endpoint_, std::vector<std::string>{"--heartbeat-ms", "100"});
    ASSERT_EQ(broker_->Start(), "");
    client::AdapterOptions a;
    a.client_id = "im-adapter";
    a.channels = {Channel::kIm};
    a.heartbeat = 100ms;
    a.auto_ack = true;
    auto adapter = client::Adapter::Connect(endpoint_, a);
    ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
    adapter_.emplace(std::move(adapter).value());
  }

  void ConnectWorker() {
    client::WorkerOptions w;
    w.agent_id = "alice";
    w.capacity = {{Channel::kIm, 1}};
    w.attributes = {{"language", "de"}};
    w.heartbeat = 100ms;
    w.auto_ack = true;
    auto worker = client::Worker::Connect(endpoint_, w);
    ASSERT_TRUE(worker.ok()) << worker.error().ToString();
    worker_.emplace(std::move(worker).value());
  }

  void Say(const std::string& customer) {
    client::CustomerMessage m;
    m.tenant = "acme";
    m.customer_id = customer;
    m.text = "hello";
    auto seq = adapter_->Send(m);
    ASSERT_TRUE(seq.ok()) << seq.error().ToString();
  }

  // Polls the clients, collecting their events, until `done` holds or the time is up.
  bool PumpUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      for (auto& e : adapter_->Poll(5ms)) {
        adapter_events_.push_back(std::move(e));
      }
      if (worker_) {
        for (auto& e : worker_->Poll(5ms)) {
          worker_events_.push_back(std::move(e));
        }
      }
    }
    return true;
  }

  template <typename T>
  static std::vector<T> All(const std::vector<client::Event>& events) {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const T* t = std::get_if<T>(&e)) {
        out.push_back(*t);
      }
    }
    return out;
  }

  // Waits for the next event of type T among `events` after the first `seen` of them.
  template <typename T>
  std::optional<T> Next(std::vector<client::Event>& events, size_t& seen) {
    std::optional<T> found;
    PumpUntil([&] {
      auto all = All<T>(events);
      if (all.size() > seen) {
        found = all[seen];
        return true;
      }
      return false;
    });
    if (found) {
      ++seen;
    }
    return found;
  }

  std::string Describe(const std::vector<client::Event>& events) const {
    std::string out;
    for (const auto& e : All<client::ErrorEvent>(events)) {
      out += e.error.ToString() + "; ";
    }
    return out.empty() ? "no errors" : out;
  }

  testing::TempDir dir_;
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
  std::optional<testing::BrokerProcess> broker_;
  std::optional<client::Adapter> adapter_;
  std::optional<client::Worker> worker_;
  std::vector<client::Event> adapter_events_;
  std::vector<client::Event> worker_events_;
  size_t positions_seen_ = 0;
  size_t closes_seen_ = 0;
};

TEST_F(RoutingWireTest, ACustomerLeavingWhileWaitingAbandonsAndLeavesTheQueue) {
  Say("c1");
  Say("c2");
  auto p2 = (adapter_->RequestPosition("acme", Channel::kIm, "c2"));
  ASSERT_TRUE(p2.ok());
  auto position = Next<client::Position>(adapter_events_, positions_seen_);
  ASSERT_TRUE(position.has_value()) << Describe(adapter_events_);
  EXPECT_EQ(position->customer_id, "c2");
  EXPECT_EQ(position->position, 2u);

  ASSERT_TRUE(adapter_->CustomerLeft("acme", Channel::kIm, "c1").ok());
  auto closed = Next<client::SessionClosed>(adapter_events_, closes_seen_);
  ASSERT_TRUE(closed.has_value()) << Describe(adapter_events_);
  EXPECT_EQ(closed->customer_id, "c1");
  EXPECT_EQ(closed->disposition, client::Disposition::kAbandoned);

  ASSERT_TRUE(adapter_->RequestPosition("acme", Channel::kIm, "c2").ok());
  position = Next<client::Position>(adapter_events_, positions_seen_);
  ASSERT_TRUE(position.has_value()) << Describe(adapter_events_);
  EXPECT_EQ(position->position, 1u);  // c1 is out of the queue
  const uint64_t c2_session = position->session_id;

  ASSERT_TRUE(adapter_->CustomerLeft("acme", Channel::kIm, "c2").ok());
  closed = Next<client::SessionClosed>(adapter_events_, closes_seen_);
  ASSERT_TRUE(closed.has_value()) << Describe(adapter_events_);
  EXPECT_EQ(closed->session_id, c2_session);

  // The queue is empty again: c1 has no session any more, and an agent signing in now is
  // offered only the next customer.
  auto unknown = adapter_->RequestPosition("acme", Channel::kIm, "c1");
  ASSERT_TRUE(unknown.ok());
  ASSERT_TRUE(PumpUntil([&] {
    for (const auto& e : All<client::ErrorEvent>(adapter_events_)) {
      if (e.error.ref_seq == *unknown) {
        return true;
      }
    }
    return false;
  }));
  for (const auto& e : All<client::ErrorEvent>(adapter_events_)) {
    if (e.error.ref_seq == *unknown) {
      EXPECT_EQ(e.error.code, client::ErrorCode::kUnknownSession);
      EXPECT_EQ(e.request, client::RequestKind::kPositionRequest);
    }
  }
  ConnectWorker();
  Say("c3");
  size_t offers_seen = 0;
  auto offer = Next<client::Offer>(worker_events_, offers_seen);
  ASSERT_TRUE(offer.has_value()) << Describe(worker_events_);
  EXPECT_EQ(offer->customer_id, "c3");

  // What the store keeps: c1's session closed as abandoned, never answered.
  client::AdminOptions o;
  o.client_id = "qa";
  o.heartbeat = 100ms;
  auto admin = client::Admin::Connect(endpoint_, o);
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  auto page = admin->SessionsOfCustomer("acme", "c1", 0, 0, "", 10, kTimeout);
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->sessions.size(), 1u);
  EXPECT_EQ(page->sessions[0].state, client::SessionState::kClosed);
  EXPECT_EQ(page->sessions[0].disposition, client::Disposition::kAbandoned);
  EXPECT_EQ(page->sessions[0].answered_at_us, 0);
  EXPECT_TRUE(All<client::Offer>(worker_events_).size() == 1u);
}

TEST_F(RoutingWireTest, ACustomerLeavingAnAnsweredSessionClosesItForTheAgent) {
  ConnectWorker();
  Say("c1");
  size_t offers_seen = 0;
  auto offer = Next<client::Offer>(worker_events_, offers_seen);
  ASSERT_TRUE(offer.has_value()) << Describe(worker_events_);
  ASSERT_TRUE(worker_->Accept(*offer).ok());
  ASSERT_TRUE(PumpUntil([&] { return !All<client::Delivery>(worker_events_).empty(); }))
      << Describe(worker_events_);

  ASSERT_TRUE(adapter_->RequestPosition("acme", Channel::kIm, "c1").ok());
  auto position = Next<client::Position>(adapter_events_, positions_seen_);
  ASSERT_TRUE(position.has_value());
  EXPECT_EQ(position->position, 0u);  // answered: not waiting

  ASSERT_TRUE(adapter_->CustomerLeft("acme", Channel::kIm, "c1").ok());
  size_t agent_closes = 0;
  auto agent_closed = Next<client::SessionClosed>(worker_events_, agent_closes);
  ASSERT_TRUE(agent_closed.has_value()) << Describe(worker_events_);
  EXPECT_EQ(agent_closed->session_id, offer->session_id);
  EXPECT_EQ(agent_closed->disposition, client::Disposition::kAbandoned);
  auto adapter_closed = Next<client::SessionClosed>(adapter_events_, closes_seen_);
  ASSERT_TRUE(adapter_closed.has_value()) << Describe(adapter_events_);
  EXPECT_EQ(adapter_closed->session_id, offer->session_id);

  // The agent no longer holds it, and has room for the next customer.
  auto reply = worker_->Reply(offer->session_id, "still there?");
  ASSERT_TRUE(reply.ok());
  Say("c2");
  auto next = Next<client::Offer>(worker_events_, offers_seen);
  ASSERT_TRUE(next.has_value()) << Describe(worker_events_);
  EXPECT_EQ(next->customer_id, "c2");
  std::optional<client::ErrorEvent> refused;
  ASSERT_TRUE(PumpUntil([&] {
    for (const auto& e : All<client::ErrorEvent>(worker_events_)) {
      if (e.error.ref_seq == *reply) {
        refused = e;
      }
    }
    return refused.has_value();
  })) << "no answer to the reply in a closed session; "
      << Describe(worker_events_);
  EXPECT_EQ(refused->error.code, client::ErrorCode::kUnknownSession);
  EXPECT_EQ(refused->session_id, offer->session_id);
}

TEST_F(RoutingWireTest, TransferOfAnUnknownSessionAndReloadWithoutAFileGetClearAnswers) {
  ConnectWorker();
  client::WorkerProfile profile;
  profile.capacity = {{Channel::kIm, 2}};
  profile.tier = 2;
  profile.attributes = {{"language", "fr"}};
  ASSERT_TRUE(worker_->UpdateProfile(profile).ok());
  auto transfer = worker_->Transfer(1, "post-sale", "", "note");
  ASSERT_TRUE(transfer.ok());
  ASSERT_TRUE(worker_->WaitAllAcked(kTimeout).ok());
  ASSERT_TRUE(PumpUntil([&] { return !All<client::ErrorEvent>(worker_events_).empty(); }));
  auto errors = All<client::ErrorEvent>(worker_events_);
  ASSERT_EQ(errors.size(), 1u) << Describe(worker_events_);  // the update was taken
  EXPECT_EQ(errors[0].error.ref_seq, *transfer);
  EXPECT_EQ(errors[0].error.code, client::ErrorCode::kUnknownSession);
  EXPECT_EQ(errors[0].error.reason, "session 1 is not open");

  // The update gave alice room for two IM sessions.
  Say("c1");
  Say("c2");
  ASSERT_TRUE(PumpUntil([&] { return All<client::Offer>(worker_events_).size() == 2; }))
      << Describe(worker_events_);

  client::AdminOptions o;
  o.client_id = "ops";
  o.heartbeat = 100ms;
  auto admin = client::Admin::Connect(endpoint_, o);
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  client::Status reload = admin->ReloadRouting(kTimeout);
  EXPECT_EQ(reload.code(), client::ErrorCode::kBadRequest);
  EXPECT_EQ(reload.error().reason, "this broker has no routing file");
}

// What a hand-driven socket got back: (body type, error code, ref_seq, request_id, ack up_to).
struct RawReply {
  wire::Body type = wire::Body::NONE;
  wire::ErrorCode code = wire::ErrorCode::Ok;
  uint64_t ref_seq = 0;
  uint64_t request_id = 0;
  uint64_t up_to = 0;
  std::string reason;
};

// Sends `b` as one frame on `socket` and collects replies until `done` holds (10 s at most).
bool Exchange(zmq::socket_t& socket, protocol::FrameBuilder& b, std::vector<RawReply>& got,
              const std::function<bool()>& done) {
  if (!b.empty()) {
    auto bytes = b.Finish();
    socket.send(zmq::const_buffer(bytes.data(), bytes.size()), zmq::send_flags::none);
    b.Reset();
  }
  std::vector<uint64_t> scratch;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(20));
    zmq::message_t msg;
    while (socket.recv(msg, zmq::recv_flags::dontwait)) {
      auto frame = protocol::VerifyFrame(
          protocol::Aligned({static_cast<const std::byte*>(msg.data()), msg.size()}, scratch));
      EXPECT_TRUE(frame.ok()) << frame.status().ToString();
      if (!frame.ok()) {
        continue;
      }
      for (const wire::Envelope* e : *(*frame)->envelopes()) {
        RawReply r;
        r.type = e->body_type();
        if (const auto* err = e->body_as_Error()) {
          r.code = err->code();
          r.ref_seq = err->ref_seq();
          r.request_id = err->request_id();
          r.reason = err->reason() ? err->reason()->str() : "";
        }
        if (const auto* ack = e->body_as_Ack()) {
          r.up_to = ack->up_to();
        }
        got.push_back(r);
      }
    }
  }
  return true;
}

TEST_F(RoutingWireTest, RoutingBodiesWithBadFieldsGetCodedErrors) {
  zmq::context_t ctx(1);
  zmq::socket_t worker(ctx, zmq::socket_type::dealer);
  worker.set(zmq::sockopt::linger, 0);
  worker.connect(endpoint_);
  std::vector<RawReply> got;
  auto has = [&](wire::Body type) {
    return [&got, type] {
      for (const RawReply& r : got) {
        if (r.type == type) {
          return true;
        }
      }
      return false;
    };
  };
  protocol::FrameBuilder b;
  auto& fbb = b.fbb();
  // No capacity: the contact below must go to the real agent.
  std::vector<flatbuffers::Offset<wire::ChannelCapacity>> none = {
      wire::CreateChannelCapacity(fbb, wire::Channel::Im, 0)};
  b.Add(0, wire::Body::Hello,
        wire::CreateHelloDirect(fbb, wire::Role::Worker, "mallory", 1, nullptr, nullptr, nullptr,
                                nullptr, &none)
            .Union());
  ASSERT_TRUE(Exchange(worker, b, got, has(wire::Body::Welcome)));

  b.Add(1, wire::Body::AgentUpdate,
        wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 7).Union());
  b.Add(2, wire::Body::Transfer,
        wire::CreateTransferDirect(fbb, 5, "q", "agent-2", nullptr).Union());
  b.Add(3, wire::Body::CustomerLeft,
        wire::CreateCustomerLeftDirect(fbb, "acme", wire::Channel::Im, "c1").Union());
  b.Add(4, wire::Body::Position, wire::CreatePositionDirect(fbb, 1).Union());
  b.Add(5, wire::Body::Presence,
        wire::CreatePresence(fbb, static_cast<wire::PresenceState>(9)).Union());
  b.Add(0, wire::Body::ReloadRouting, wire::CreateReloadRouting(fbb, 31).Union());
  auto acked = [&] {
    for (const RawReply& r : got) {
      if (r.type == wire::Body::Ack && r.up_to == 5) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(Exchange(worker, b, got, acked));
  std::map<uint64_t, RawReply> by_seq;
  std::optional<RawReply> reload;
  for (const RawReply& r : got) {
    if (r.type != wire::Body::Error) {
      continue;
    }
    if (r.request_id != 0) {
      reload = r;
    } else {
      by_seq[r.ref_seq] = r;
    }
  }
  EXPECT_EQ(by_seq[1].code, wire::ErrorCode::BadRequest);
  EXPECT_NE(by_seq[1].reason.find("tier 7"), std::string::npos) << by_seq[1].reason;
  EXPECT_EQ(by_seq[2].code, wire::ErrorCode::BadRequest);
  EXPECT_NE(by_seq[2].reason.find("exactly one"), std::string::npos) << by_seq[2].reason;
  EXPECT_EQ(by_seq[3].code, wire::ErrorCode::WrongRole);
  EXPECT_EQ(by_seq[4].code, wire::ErrorCode::WrongRole);
  EXPECT_EQ(by_seq[5].code, wire::ErrorCode::BadRequest);
  ASSERT_TRUE(reload.has_value());
  EXPECT_EQ(reload->request_id, 31u);
  EXPECT_EQ(reload->ref_seq, 0u);
  EXPECT_EQ(reload->code, wire::ErrorCode::WrongRole);

  // The broker goes on serving: the adapter's customer is still offered to a real agent.
  ConnectWorker();
  Say("c1");
  size_t offers_seen = 0;
  auto offer = Next<client::Offer>(worker_events_, offers_seen);
  ASSERT_TRUE(offer.has_value()) << Describe(worker_events_);
}

}  // namespace
}  // namespace switchboard
