#include "fake_broker.h"

#include <cstring>
#include <utility>

#include <gtest/gtest.h>
#include <zmq_addon.hpp>

namespace switchboard::client::testing {

const wire::Frame* ReceivedFrame::frame() const {
  if (aligned_.size() * 8 < bytes.size() || aligned_.empty()) {
    aligned_.assign((bytes.size() + 7) / 8 + 1, 0);
    std::memcpy(aligned_.data(), bytes.data(), bytes.size());
  }
  auto verified = protocol::VerifyFrame(std::span<const std::byte>(
      reinterpret_cast<const std::byte*>(aligned_.data()), bytes.size()));
  EXPECT_TRUE(verified.ok()) << "the client sent an invalid frame: "
                             << verified.status().ToString();
  return verified.ok() ? *verified : nullptr;
}

size_t ReceivedFrame::envelope_count() const {
  const wire::Frame* f = frame();
  return f == nullptr ? 0 : f->envelopes()->size();
}

const wire::Envelope* ReceivedFrame::envelope(size_t i) const {
  const wire::Frame* f = frame();
  if (f == nullptr || i >= f->envelopes()->size()) {
    ADD_FAILURE() << "no envelope " << i;
    return nullptr;
  }
  return f->envelopes()->Get(static_cast<flatbuffers::uoffset_t>(i));
}

std::vector<wire::Body> ReceivedFrame::types() const {
  std::vector<wire::Body> out;
  if (const wire::Frame* f = frame()) {
    for (const wire::Envelope* e : *f->envelopes()) {
      out.push_back(e->body_type());
    }
  }
  return out;
}

FakeBroker::FakeBroker() : router_(context_, zmq::socket_type::router) {
  router_.set(zmq::sockopt::linger, 0);
  router_.bind("tcp://127.0.0.1:*");
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
}

FakeBroker::~FakeBroker() { router_.close(); }

std::optional<ReceivedFrame> FakeBroker::Receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) {
    return std::nullopt;
  }
  std::vector<zmq::message_t> parts;
  if (!zmq::recv_multipart(router_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  EXPECT_EQ(parts.size(), 2u) << "a client message must be one frame";
  if (parts.size() < 2) {
    return std::nullopt;
  }
  ReceivedFrame out;
  out.peer = parts[0].to_string();
  const auto* data = static_cast<const std::byte*>(parts[1].data());
  out.bytes.assign(data, data + parts[1].size());
  return out;
}

std::optional<ReceivedFrame> FakeBroker::ReceiveSkippingHeartbeats(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    auto f = Receive(left);
    if (!f.has_value()) {
      return f;
    }
    for (wire::Body t : f->types()) {
      if (t != wire::Body::Heartbeat) {
        return f;
      }
    }
  }
}

void FakeBroker::SendRaw(const std::string& peer, const void* data, size_t size) {
  router_.send(zmq::buffer(peer), zmq::send_flags::sndmore);
  router_.send(zmq::const_buffer(data, size), zmq::send_flags::none);
}

void FakeBroker::Send(const std::string& peer, protocol::FrameBuilder& b) {
  auto bytes = b.Finish();
  SendRaw(peer, bytes.data(), bytes.size());
  b.Reset();
}

void FakeBroker::SendWelcome(const std::string& peer, const WelcomeFields& w) {
  protocol::FrameBuilder b;
  auto version = b.fbb().CreateString(w.broker_version);
  auto body = wire::CreateWelcome(b.fbb(), version, protocol::kProtocolVersion, w.processed_seq,
                                  w.heartbeat_ms, w.max_frame_bytes, w.max_text_bytes, w.credit);
  b.Add(0, wire::Body::Welcome, body.Union());
  Send(peer, b);
}

void FakeBroker::SendAck(const std::string& peer, uint64_t up_to, uint32_t credit) {
  protocol::FrameBuilder b;
  b.Add(0, wire::Body::Ack, wire::CreateAck(b.fbb(), up_to, credit).Union());
  Send(peer, b);
}

void FakeBroker::SendError(const std::string& peer, wire::ErrorCode code, const std::string& reason,
                           uint64_t ref_seq, uint32_t position, uint32_t expected_wait_ms) {
  protocol::FrameBuilder b;
  auto r = b.fbb().CreateString(reason);
  b.Add(0, wire::Body::Error,
        wire::CreateError(b.fbb(), code, r, ref_seq, position, expected_wait_ms).Union());
  Send(peer, b);
}

void FakeBroker::SendHeartbeat(const std::string& peer) {
  protocol::FrameBuilder b;
  b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), 1).Union());
  Send(peer, b);
}

void FakeBroker::SendDeliveries(const std::string& peer, const std::vector<uint64_t>& ids,
                                uint64_t session_id, const std::string& text) {
  protocol::FrameBuilder b;
  for (uint64_t id : ids) {
    auto& f = b.fbb();
    auto body = wire::CreateDeliverDirect(f, session_id, static_cast<uint32_t>(id), "acme",
                                          wire::Channel::Im, "c-1", wire::Party::Agent, "agent-1",
                                          text.c_str(), 1700000000000000);
    b.Add(id, wire::Body::Deliver, body.Union());
  }
  Send(peer, b);
}

void FakeBroker::SendClose(const std::string& peer, uint64_t delivery_id, uint64_t session_id,
                           wire::Disposition disposition) {
  protocol::FrameBuilder b;
  auto body =
      wire::CreateCloseDirect(b.fbb(), session_id, disposition, "acme", wire::Channel::Im, "c-1");
  b.Add(delivery_id, wire::Body::Close, body.Union());
  Send(peer, b);
}

void FakeBroker::SendOffer(const std::string& peer, uint64_t session_id, uint64_t attempt) {
  protocol::FrameBuilder b;
  auto body = wire::CreateOfferDirect(b.fbb(), session_id, attempt, "acme", wire::Channel::Im,
                                      "c-1", "default", 0, 15000, 250);
  b.Add(0, wire::Body::Offer, body.Union());
  Send(peer, b);
}

namespace {

template <typename C, typename Options>
Connected<C> ConnectClient(FakeBroker& broker, Options options, const WelcomeFields& welcome) {
  Connected<C> out;
  std::string endpoint = broker.endpoint();
  auto pending = std::async(std::launch::async, [endpoint, options = std::move(options)] {
    return C::Connect(endpoint, options);
  });
  auto hello = broker.Receive(5s);
  if (!hello.has_value()) {
    ADD_FAILURE() << "no Hello within 5 s";
    return out;
  }
  EXPECT_EQ(hello->types(), std::vector<wire::Body>{wire::Body::Hello});
  broker.SendWelcome(hello->peer, welcome);
  Result<C> connected = pending.get();
  if (!connected.ok()) {
    ADD_FAILURE() << "Connect failed: " << connected.error().ToString();
    return out;
  }
  out.client.emplace(std::move(connected).value());
  out.peer = hello->peer;
  out.hello = std::move(*hello);
  return out;
}

}  // namespace

Connected<Adapter> ConnectAdapter(FakeBroker& broker, AdapterOptions options,
                                  const WelcomeFields& welcome) {
  return ConnectClient<Adapter>(broker, std::move(options), welcome);
}

Connected<Worker> ConnectWorker(FakeBroker& broker, WorkerOptions options,
                                const WelcomeFields& welcome) {
  return ConnectClient<Worker>(broker, std::move(options), welcome);
}

Connected<Service> ConnectService(FakeBroker& broker, ServiceOptions options,
                                  const WelcomeFields& welcome) {
  return ConnectClient<Service>(broker, std::move(options), welcome);
}

Connected<Admin> ConnectAdmin(FakeBroker& broker, AdminOptions options,
                              const WelcomeFields& welcome) {
  return ConnectClient<Admin>(broker, std::move(options), welcome);
}

}  // namespace switchboard::client::testing
