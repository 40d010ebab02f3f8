// Bad input against the real broker process: every malformed or unauthorised frame gets an
// Error with a code and a reason, the broker keeps serving, and the store is unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "protocol/frame.h"
#include "store/store.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "wire_generated.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;

// What a raw client got back, flattened.
struct Got {
  wire::Body type = wire::Body::NONE;
  uint64_t seq = 0;
  wire::ErrorCode code = wire::ErrorCode::Ok;
  std::string reason;
  uint64_t ref_seq = 0;
  uint64_t up_to = 0;
};

// A hand-driven DEALER, to send what the client library never would.
class RawClient {
 public:
  RawClient(zmq::context_t& ctx, const std::string& endpoint)
      : socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void SendBytes(const void* data, size_t size) {
    socket_.send(zmq::const_buffer(data, size), zmq::send_flags::none);
  }
  void Send(protocol::FrameBuilder& b) {
    auto bytes = b.Finish();
    SendBytes(bytes.data(), bytes.size());
    b.Reset();
  }

  // Waits for envelopes until `pred` holds for one of them or the deadline passes.
  template <typename Pred>
  std::optional<Got> WaitFor(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      zmq::message_t msg;
      while (socket_.recv(msg, zmq::recv_flags::dontwait)) {
        auto frame = protocol::VerifyFrame(protocol::Aligned(
            {static_cast<const std::byte*>(msg.data()), msg.size()}, scratch_));
        EXPECT_TRUE(frame.ok()) << frame.status().ToString();
        if (!frame.ok()) {
          continue;
        }
        for (const wire::Envelope* e : *(*frame)->envelopes()) {
          Got g;
          g.type = e->body_type();
          g.seq = e->seq();
          if (const auto* err = e->body_as_Error()) {
            g.code = err->code();
            g.reason = err->reason() ? err->reason()->str() : "";
            g.ref_seq = err->ref_seq();
          }
          if (const auto* ack = e->body_as_Ack()) {
            g.up_to = ack->up_to();
          }
          got_.push_back(g);
        }
      }
      for (size_t i = seen_; i < got_.size(); ++i) {
        if (pred(got_[i])) {
          seen_ = i + 1;
          return got_[i];
        }
      }
    }
    return std::nullopt;
  }

  std::optional<Got> WaitError(wire::ErrorCode code) {
    return WaitFor([code](const Got& g) { return g.type == wire::Body::Error && g.code == code; });
  }

 private:
  zmq::socket_t socket_;
  std::vector<uint64_t> scratch_;
  std::vector<Got> got_;
  size_t seen_ = 0;
};

void AddHello(protocol::FrameBuilder& b, wire::Role role, const std::string& id) {
  auto& fbb = b.fbb();
  std::vector<wire::Channel> channels = {wire::Channel::Im};
  auto ch = fbb.CreateVector(channels);
  auto name = fbb.CreateString(id);
  wire::HelloBuilder h(fbb);
  h.add_role(role);
  h.add_client_id(name);
  h.add_epoch(1);
  if (role == wire::Role::Adapter) {
    h.add_channels(ch);
  }
  b.Add(0, wire::Body::Hello, h.Finish().Union());
}

void AddCustomerMessage(protocol::FrameBuilder& b, uint64_t seq, const std::string& text) {
  auto& fbb = b.fbb();
  auto body = wire::CreateCustomerMessageDirect(fbb, "shop", wire::Channel::Im, "c1", text.c_str());
  b.Add(seq, wire::Body::CustomerMessage, body.Union());
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.emplace(dir_.Sub("data"), "ipc://" + dir_.Sub("broker.sock"));
    const std::string err = broker_->Start();
    ASSERT_EQ(err, "");
  }

  // Stops the broker and reports what its store holds.
  core::RecoveredState StoredState() {
    EXPECT_EQ(broker_->Terminate(), 0) << broker_->StderrLog();
    auto store = store::Store::Open(dir_.Sub("data"), {});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    auto state = (*store)->Recover();
    EXPECT_TRUE(state.ok());
    return std::move(state).value();
  }

  testing::TempDir dir_;
  std::optional<testing::BrokerProcess> broker_;
  zmq::context_t ctx_;
};

TEST_F(BadInputTest, EachBadFrameGetsACodedErrorAndChangesNothing) {
  RawClient bad(ctx_, broker_->endpoint());

  const char garbage[] = "this is not a flatbuffer at all";
  bad.SendBytes(garbage, sizeof garbage);
  auto e1 = bad.WaitError(wire::ErrorCode::BadFrame);
  ASSERT_TRUE(e1.has_value());
  EXPECT_FALSE(e1->reason.empty());

  protocol::FrameBuilder b;
  AddCustomerMessage(b, 1, "hello");
  auto full = b.Finish();
  std::vector<std::byte> truncated(full.begin(), full.begin() + full.size() / 2);
  bad.SendBytes(truncated.data(), truncated.size());
  ASSERT_TRUE(bad.WaitError(wire::ErrorCode::BadFrame).has_value());

  // A message before Hello.
  bad.SendBytes(full.data(), full.size());
  auto e3 = bad.WaitError(wire::ErrorCode::NotSignedIn);
  ASSERT_TRUE(e3.has_value());
  EXPECT_EQ(e3->ref_seq, 1u);
  b.Reset();

  // A frame of another protocol version.
  {
    flatbuffers::FlatBufferBuilder fbb;
    auto hb = wire::CreateHeartbeat(fbb, 1);
    std::vector<flatbuffers::Offset<wire::Envelope>> envs = {
        wire::CreateEnvelope(fbb, 0, wire::Body::Heartbeat, hb.Union())};
    auto frame = wire::CreateFrame(fbb, 99, fbb.CreateVector(envs));
    wire::FinishFrameBuffer(fbb, frame);
    bad.SendBytes(fbb.GetBufferPointer(), fbb.GetSize());
    auto e = bad.WaitError(wire::ErrorCode::UnsupportedVersion);
    ASSERT_TRUE(e.has_value());
    EXPECT_NE(e->reason.find("99"), std::string::npos);
  }

  // An envelope that names a body type and carries no body (once fatal to the broker).
  for (wire::Body type : {wire::Body::Hello, wire::Body::Ack}) {
    flatbuffers::FlatBufferBuilder fbb;
    wire::EnvelopeBuilder eb(fbb);
    eb.add_body_type(type);
    std::vector<flatbuffers::Offset<wire::Envelope>> envs = {eb.Finish()};
    wire::FinishFrameBuffer(fbb,
                            wire::CreateFrame(fbb, protocol::kProtocolVersion, fbb.CreateVector(envs)));
    bad.SendBytes(fbb.GetBufferPointer(), fbb.GetSize());
    ASSERT_TRUE(bad.WaitError(wire::ErrorCode::BadFrame).has_value());
  }

  // A two-part ZeroMQ message.
  {
    zmq::socket_t s(ctx_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(broker_->endpoint());
    s.send(zmq::str_buffer("part one"), zmq::send_flags::sndmore);
    s.send(zmq::str_buffer("part two"), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, 10s), 1);
    zmq::message_t reply;
    ASSERT_TRUE(s.recv(reply));
    std::vector<uint64_t> scratch;
    auto frame = protocol::VerifyFrame(
        protocol::Aligned({static_cast<const std::byte*>(reply.data()), reply.size()}, scratch));
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ((*frame)->envelopes()->Get(0)->body_as_Error()->code(), wire::ErrorCode::BadFrame);
  }

  // Signed in, then an unknown body type, a body only the broker sends, and a reply in a
  // session this worker does not hold.
  AddHello(b, wire::Role::Worker, "mallory");
  bad.Send(b);
  ASSERT_TRUE(bad.WaitFor([](const Got& g) { return g.type == wire::Body::Welcome; }));
  {
    auto hb = wire::CreateHeartbeat(b.fbb(), 1);
    b.Add(1, static_cast<wire::Body>(200), hb.Union());
    auto deliver = wire::CreateDeliver(b.fbb(), 1);
    b.Add(2, wire::Body::Deliver, deliver.Union());
    auto reply = wire::CreateAgentMessageDirect(b.fbb(), 12345, "not mine");
    b.Add(3, wire::Body::AgentMessage, reply.Union());
    bad.Send(b);
  }
  auto unknown = bad.WaitError(wire::ErrorCode::UnknownBody);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->ref_seq, 1u);
  auto wrong_role = bad.WaitError(wire::ErrorCode::WrongRole);
  ASSERT_TRUE(wrong_role.has_value());
  EXPECT_EQ(wrong_role->ref_seq, 2u);
  auto not_held = bad.WaitError(wire::ErrorCode::UnknownSession);
  ASSERT_TRUE(not_held.has_value());
  EXPECT_EQ(not_held->ref_seq, 3u);
  // Rejected envelopes still count as processed: the ack covers them.
  ASSERT_TRUE(bad.WaitFor([](const Got& g) { return g.type == wire::Body::Ack && g.up_to == 3; }));

  // A worker may not send customer messages.
  AddCustomerMessage(b, 4, "pretending");
  bad.Send(b);
  ASSERT_TRUE(bad.WaitError(wire::ErrorCode::WrongRole).has_value());

  // The same socket may sign in again, as another client.
  AddHello(b, wire::Role::Adapter, "im-1");
  bad.Send(b);
  ASSERT_TRUE(bad.WaitFor([](const Got& g) { return g.type == wire::Body::Welcome; }));

  core::RecoveredState state = StoredState();
  EXPECT_TRUE(state.open_sessions.empty());
  EXPECT_TRUE(state.outbox.empty());
  EXPECT_EQ(state.counters.next_session_id, 1u);
}

TEST_F(BadInputTest, AFrameRefusedWholeEndsTheSignedInConnection) {
  RawClient c(ctx_, broker_->endpoint());
  protocol::FrameBuilder b;
  AddHello(b, wire::Role::Adapter, "im-1");
  c.Send(b);
  ASSERT_TRUE(c.WaitFor([](const Got& g) { return g.type == wire::Body::Welcome; }));
  const char junk[] = "junk junk junk junk";
  c.SendBytes(junk, sizeof junk);
  ASSERT_TRUE(c.WaitError(wire::ErrorCode::BadFrame).has_value());
  // Its seqs were not processed: the client must sign in again before anything else.
  AddCustomerMessage(b, 1, "hello");
  c.Send(b);
  auto e = c.WaitError(wire::ErrorCode::NotSignedIn);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->ref_seq, 1u);
  // A frame far over the limit costs the connection without a reply (ZMQ_MAXMSGSIZE).
  AddHello(b, wire::Role::Adapter, "im-1");
  c.Send(b);
  ASSERT_TRUE(c.WaitFor([](const Got& g) { return g.type == wire::Body::Welcome; }));
  std::vector<char> huge(3 * protocol::kDefaultMaxFrameBytes, 'x');
  c.SendBytes(huge.data(), huge.size());
  // ZeroMQ reconnects the DEALER on its own, under a new routing id the broker does not know.
  bool signed_out = false;
  for (int i = 0; i < 100 && !signed_out; ++i) {
    b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), i).Union());
    c.Send(b);
    signed_out = c.WaitFor(
                      [](const Got& g) {
                        return g.type == wire::Body::Error &&
                               g.code == wire::ErrorCode::NotSignedIn;
                      },
                      100ms)
                     .has_value();
  }
  EXPECT_TRUE(signed_out);
  core::RecoveredState state = StoredState();
  EXPECT_TRUE(state.open_sessions.empty());
}

TEST_F(BadInputTest, AWellBehavedClientIsServedBetweenBadFrames) {
  RawClient bad(ctx_, broker_->endpoint());
  RawClient good(ctx_, broker_->endpoint());
  protocol::FrameBuilder b;
  AddHello(b, wire::Role::Adapter, "im-1");
  good.Send(b);
  ASSERT_TRUE(good.WaitFor([](const Got& g) { return g.type == wire::Body::Welcome; }));
  for (int i = 1; i <= 20; ++i) {
    const char junk[] = {'\x01', '\x02', '\x03', static_cast<char>(i)};
    bad.SendBytes(junk, sizeof junk);
    AddCustomerMessage(b, i, "message " + std::to_string(i));
    good.Send(b);
  }
  ASSERT_TRUE(good.WaitFor([](const Got& g) { return g.type == wire::Body::Ack && g.up_to == 20; }));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(bad.WaitError(wire::ErrorCode::BadFrame).has_value()) << i;
  }
  core::RecoveredState state = StoredState();
  ASSERT_EQ(state.open_sessions.size(), 1u);
  EXPECT_EQ(state.open_sessions[0].transcript_size, 20u);
  ASSERT_EQ(state.waiting_entries.size(), 20u);
  EXPECT_EQ(state.waiting_entries[19].text, "message 20");
}

}  // namespace
}  // namespace switchboard
