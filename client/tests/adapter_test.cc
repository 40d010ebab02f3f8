// The client library against a broker played by hand (FakeBroker): sign-in, batching, the
// window, acks both ways, re-sign-in and re-sending, de-duplication, bad frames, heartbeats.
#include "switchboard/client/adapter.h"

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.h"

namespace switchboard::client {
namespace {

using namespace std::chrono_literals;
using testing::ConnectAdapter;
using testing::FakeBroker;
using testing::ReceivedFrame;
using testing::WelcomeFields;

AdapterOptions Options(std::string client_id = "im-gateway") {
  AdapterOptions o;
  o.client_id = std::move(client_id);
  o.channels = {Channel::kIm, Channel::kMerchant};
  o.tenants = {"acme", "globex"};
  o.heartbeat = 10s;  // no heartbeats in the way unless a test wants them
  return o;
}

CustomerMessage Message(std::string text, std::string customer = "c-1") {
  CustomerMessage m;
  m.tenant = "acme";
  m.channel = Channel::kIm;
  m.customer_id = std::move(customer);
  m.text = std::move(text);
  return m;
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

// The seqs of the frame's CustomerMessage envelopes, in order.
std::vector<uint64_t> Seqs(const ReceivedFrame& f) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < f.envelope_count(); ++i) {
    if (f.envelope(i)->body_type() == wire::Body::CustomerMessage) {
      out.push_back(f.envelope(i)->seq());
    }
  }
  return out;
}

// The up_to of the frame's Ack envelope, or nullopt.
std::optional<uint64_t> AckIn(const ReceivedFrame& f) {
  for (size_t i = 0; i < f.envelope_count(); ++i) {
    if (const auto* ack = f.envelope(i)->body_as_Ack()) {
      return ack->up_to();
    }
  }
  return std::nullopt;
}

TEST(Adapter, ConnectSendsHelloAndSucceedsOnWelcome) {
  FakeBroker broker;
  AdapterOptions options = Options();
  options.heartbeat = 1500ms;
  WelcomeFields welcome;
  welcome.heartbeat_ms = 2000;
  welcome.max_text_bytes = 1000;
  welcome.broker_version = "switchboard 9.9";
  auto c = ConnectAdapter(broker, options, welcome);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;

  ASSERT_EQ(c.hello.envelope_count(), 1u);
  EXPECT_EQ(c.hello.envelope(0)->seq(), 0u);
  const wire::Hello* hello = c.hello.envelope(0)->body_as_Hello();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->role(), wire::Role::Adapter);
  EXPECT_EQ(Str(hello->client_id()), "im-gateway");
  EXPECT_NE(hello->epoch(), 0u);
  EXPECT_EQ(hello->epoch(), adapter.epoch());
  ASSERT_NE(hello->channels(), nullptr);
  ASSERT_EQ(hello->channels()->size(), 2u);
  EXPECT_EQ(hello->channels()->Get(0), wire::Channel::Im);
  EXPECT_EQ(hello->channels()->Get(1), wire::Channel::Merchant);
  ASSERT_NE(hello->tenants(), nullptr);
  ASSERT_EQ(hello->tenants()->size(), 2u);
  EXPECT_EQ(hello->tenants()->Get(0)->str(), "acme");
  EXPECT_EQ(hello->tenants()->Get(1)->str(), "globex");
  EXPECT_EQ(hello->heartbeat_ms(), 1500u);

  EXPECT_TRUE(adapter.connected());
  EXPECT_EQ(adapter.client_id(), "im-gateway");
  EXPECT_EQ(adapter.broker().version, "switchboard 9.9");
  EXPECT_EQ(adapter.broker().heartbeat, 2000ms);
  EXPECT_EQ(adapter.broker().max_text_bytes, 1000u);
  EXPECT_EQ(adapter.last_seq(), 0u);
  EXPECT_EQ(adapter.pending(), 0u);
  EXPECT_EQ(adapter.window(), 1000u);
}

TEST(Adapter, ConnectTimesOutWithoutWelcome) {
  FakeBroker broker;  // bound, never answers
  AdapterOptions options = Options();
  options.connect_timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto adapter = Adapter::Connect(broker.endpoint(), options);
  ASSERT_FALSE(adapter.ok());
  EXPECT_EQ(adapter.code(), ErrorCode::kTimeout) << adapter.error().ToString();
  EXPECT_NE(adapter.error().reason.find(broker.endpoint()), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Adapter, ConnectReturnsTheBrokersRefusal) {
  FakeBroker broker;
  auto pending = std::async(std::launch::async, [endpoint = broker.endpoint()] {
    return Adapter::Connect(endpoint, Options());
  });
  auto hello = broker.Receive();
  ASSERT_TRUE(hello.has_value());
  broker.SendError(hello->peer, wire::ErrorCode::ShuttingDown, "draining");
  auto adapter = pending.get();
  ASSERT_FALSE(adapter.ok());
  EXPECT_EQ(adapter.code(), ErrorCode::kShuttingDown);
  EXPECT_NE(adapter.error().reason.find("draining"), std::string::npos);
}

TEST(Adapter, ConnectRejectsBadArguments) {
  AdapterOptions no_name = Options("");
  EXPECT_EQ(Adapter::Connect("tcp://127.0.0.1:1", no_name).code(), ErrorCode::kInvalidArgument);
  AdapterOptions no_window = Options();
  no_window.window = 0;
  EXPECT_EQ(Adapter::Connect("tcp://127.0.0.1:1", no_window).code(), ErrorCode::kInvalidArgument);
  auto bad = Adapter::Connect("no-such-transport://x", Options());
  EXPECT_EQ(bad.code(), ErrorCode::kTransport) << bad.error().ToString();
}

TEST(Adapter, BatchesSendsIntoOneFrameWithSeqsFromOne) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;

  CustomerMessage first = Message("hello", "c-9");
  first.channel = Channel::kMerchant;
  first.attributes.topic = "refund";
  first.attributes.vip_level = 3;
  first.sent_at_us = 1234;
  for (uint64_t i = 1; i <= 5; ++i) {
    auto seq = adapter.Send(i == 1 ? first : Message("message " + std::to_string(i)));
    ASSERT_TRUE(seq.ok()) << seq.error().ToString();
    EXPECT_EQ(*seq, i);
  }
  EXPECT_EQ(adapter.pending(), 5u);
  EXPECT_EQ(adapter.last_seq(), 5u);
  adapter.Flush();

  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->peer, c.peer);
  EXPECT_EQ(Seqs(*frame), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  ASSERT_EQ(frame->envelope_count(), 5u);
  const auto* m = frame->envelope(0)->body_as_CustomerMessage();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Str(m->tenant()), "acme");
  EXPECT_EQ(m->channel(), wire::Channel::Merchant);
  EXPECT_EQ(Str(m->customer_id()), "c-9");
  EXPECT_EQ(Str(m->text()), "hello");
  EXPECT_EQ(m->sent_at_us(), 1234);
  ASSERT_NE(m->attributes(), nullptr);
  EXPECT_EQ(Str(m->attributes()->topic()), "refund");
  EXPECT_EQ(m->attributes()->vip_level(), 3);
  EXPECT_EQ(Str(frame->envelope(4)->body_as_CustomerMessage()->text()), "message 5");
}

TEST(Adapter, PollSendsWhatIsWaitingAndReportsAcks) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(adapter.Send(Message("m")).ok());
  }
  EXPECT_TRUE(adapter.Poll(0ms).empty());  // flushes; nothing has happened yet
  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(Seqs(*frame), (std::vector<uint64_t>{1, 2, 3}));

  broker.SendAck(c.peer, 2);
  auto acked = c.inbox.WaitFor<Acked>(adapter);
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->up_to, 2u);
  EXPECT_EQ(adapter.acked_seq(), 2u);
  EXPECT_EQ(adapter.pending(), 1u);

  broker.SendAck(c.peer, 3);
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());
  EXPECT_EQ(adapter.pending(), 0u);
}

TEST(Adapter, FullWindowWouldBlockUntilAnAck) {
  FakeBroker broker;
  AdapterOptions options = Options();
  options.window = 3;
  auto c = ConnectAdapter(broker, options);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(adapter.Send(Message("m")).ok());
  }
  auto blocked = adapter.Send(Message("one too many"));
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.code(), ErrorCode::kWouldBlock);
  EXPECT_EQ(adapter.pending(), 3u);
  EXPECT_EQ(adapter.last_seq(), 3u);  // the refused message took no seq

  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());
  broker.SendAck(c.peer, 2);
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());
  EXPECT_EQ(adapter.pending(), 1u);

  auto a = adapter.Send(Message("fits again"));
  auto b = adapter.Send(Message("fits too"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, 4u);
  EXPECT_EQ(*b, 5u);
  EXPECT_EQ(adapter.Send(Message("full again")).code(), ErrorCode::kWouldBlock);
}

TEST(Adapter, BrokerCreditBoundsWhatMayBeOutstanding) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  EXPECT_EQ(adapter.credit(), 1000u);
  ASSERT_TRUE(adapter.Send(Message("m1")).ok());
  ASSERT_TRUE(adapter.Send(Message("m2")).ok());
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());
  broker.SendAck(c.peer, 1, /*credit=*/0);  // the broker is behind: nothing more for now
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());
  EXPECT_EQ(adapter.credit(), 0u);
  auto blocked = adapter.Send(Message("m3"));
  EXPECT_EQ(blocked.code(), ErrorCode::kWouldBlock);
  EXPECT_NE(blocked.error().reason.find("credit"), std::string::npos);
  broker.SendAck(c.peer, 1, /*credit=*/2);  // granted again, with nothing new acknowledged
  auto granted = c.inbox.WaitFor<Acked>(adapter);
  ASSERT_TRUE(granted.has_value());
  EXPECT_EQ(granted->up_to, 1u);
  ASSERT_TRUE(adapter.Send(Message("m3")).ok());  // m2 and m3 outstanding: 2 allowed
  EXPECT_EQ(adapter.Send(Message("m4")).code(), ErrorCode::kWouldBlock);
}

TEST(Adapter, NotSignedInMakesItSayHelloAgainOnTheSameSocket) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.Send(Message("m")).ok());
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());

  // The broker restarted and no longer knows this routing id.
  broker.SendError(c.peer, wire::ErrorCode::NotSignedIn, "say Hello first", 1);
  std::vector<Event> others;
  auto lost = c.inbox.WaitFor<Disconnected>(adapter, 5s, &others);
  ASSERT_TRUE(lost.has_value());
  EXPECT_FALSE(adapter.connected());
  for (const Event& e : others) {
    EXPECT_FALSE(std::holds_alternative<ErrorEvent>(e)) << "NotSignedIn is handled, not reported";
  }

  auto hello = broker.Receive();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->peer, c.peer);  // the same socket
  ASSERT_EQ(hello->types(), std::vector<wire::Body>{wire::Body::Hello});
  EXPECT_EQ(hello->envelope(0)->body_as_Hello()->epoch(), adapter.epoch());

  broker.SendWelcome(c.peer);
  auto back = c.inbox.WaitFor<Reconnected>(adapter);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->resent, 1u);
  EXPECT_TRUE(adapter.connected());
  auto resent = broker.Receive();
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(Seqs(*resent), std::vector<uint64_t>{1});
}

TEST(Adapter, ResendsOnlyWhatTheBrokerHadNotProcessedInOrder) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(adapter.Send(Message("m" + std::to_string(i))).ok());
  }
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());

  broker.SendError(c.peer, wire::ErrorCode::NotSignedIn, "who are you?");
  ASSERT_TRUE(c.inbox.WaitFor<Disconnected>(adapter).has_value());
  ASSERT_TRUE(broker.Receive().has_value());  // the Hello
  // Messages sent while signing in wait for the Welcome, after the older ones.
  ASSERT_TRUE(adapter.Send(Message("m6")).ok());
  adapter.Flush();

  WelcomeFields welcome;
  welcome.processed_seq = 2;
  broker.SendWelcome(c.peer, welcome);
  std::vector<Event> events;
  auto back = c.inbox.WaitFor<Reconnected>(adapter, 5s, &events);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->processed_seq, 2u);
  EXPECT_EQ(back->resent, 4u);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<Acked>(events[0]));
  EXPECT_EQ(std::get<Acked>(events[0]).up_to, 2u);
  EXPECT_EQ(adapter.acked_seq(), 2u);
  EXPECT_EQ(adapter.pending(), 4u);

  auto resent = broker.Receive();
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(Seqs(*resent), (std::vector<uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(Str(resent->envelope(0)->body_as_CustomerMessage()->text()), "m3");
  EXPECT_EQ(Str(resent->envelope(3)->body_as_CustomerMessage()->text()), "m6");
}

TEST(Adapter, BrokerThatLostAcknowledgedMessagesGetsANewEpoch) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  const uint64_t first_epoch = adapter.epoch();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(adapter.Send(Message("m" + std::to_string(i))).ok());
  }
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());
  broker.SendAck(c.peer, 3);
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());

  // The broker comes back having kept only seq 1 (its store lost writes it had acknowledged):
  // re-sending from seq 2 would be refused as skipping ahead.
  broker.SendError(c.peer, wire::ErrorCode::NotSignedIn, "restarted");
  ASSERT_TRUE(c.inbox.WaitFor<Disconnected>(adapter).has_value());
  ASSERT_TRUE(broker.Receive().has_value());  // Hello, old epoch
  WelcomeFields lost;
  lost.processed_seq = 1;
  broker.SendWelcome(c.peer, lost);
  auto loss = c.inbox.WaitFor<ErrorEvent>(adapter);
  ASSERT_TRUE(loss.has_value());
  EXPECT_EQ(loss->error.code, ErrorCode::kDataLoss) << loss->error.ToString();
  EXPECT_EQ(loss->origin, ErrorOrigin::kClient);

  auto hello = broker.Receive();
  ASSERT_TRUE(hello.has_value());
  ASSERT_EQ(hello->types(), std::vector<wire::Body>{wire::Body::Hello});
  const uint64_t new_epoch = hello->envelope(0)->body_as_Hello()->epoch();
  EXPECT_NE(new_epoch, first_epoch);
  EXPECT_EQ(adapter.epoch(), new_epoch);
  broker.SendWelcome(c.peer);  // a new epoch: nothing processed
  auto back = c.inbox.WaitFor<Reconnected>(adapter);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->resent, 2u);

  // On the wire the new epoch counts from 1; the application keeps its seqs 4, 5, 6.
  auto resent = broker.Receive();
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(Seqs(*resent), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Str(resent->envelope(0)->body_as_CustomerMessage()->text()), "m4");
  auto next = adapter.Send(Message("m6"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 6u);
  adapter.Flush();
  auto more = broker.Receive();
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(Seqs(*more), std::vector<uint64_t>{3});
  broker.SendError(c.peer, wire::ErrorCode::Busy, "full", 1);
  broker.SendAck(c.peer, 2);
  auto busy = c.inbox.WaitFor<ErrorEvent>(adapter);
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->error.ref_seq, 4u);
  auto acked = c.inbox.WaitFor<Acked>(adapter);
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->up_to, 5u);
  EXPECT_EQ(adapter.pending(), 1u);
}

TEST(Adapter, SilentBrokerMeansANewSocketAndAHello) {
  FakeBroker broker;
  AdapterOptions options = Options();
  options.heartbeat = 50ms;
  auto c = ConnectAdapter(broker, options);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.Send(Message("before the outage")).ok());

  // The broker hears the client (heartbeats, the message) but says nothing.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool saw_heartbeat = false;
  bool disconnected = false;
  std::optional<ReceivedFrame> hello;
  while (!hello.has_value() && std::chrono::steady_clock::now() < deadline) {
    for (Event& e : adapter.Poll(10ms)) {
      disconnected = disconnected || std::holds_alternative<Disconnected>(e);
    }
    while (auto f = broker.Receive(0ms)) {
      auto types = f->types();
      if (types == std::vector<wire::Body>{wire::Body::Hello}) {
        hello = std::move(f);
        break;
      }
      EXPECT_EQ(f->peer, c.peer);
      saw_heartbeat = saw_heartbeat || types == std::vector<wire::Body>{wire::Body::Heartbeat};
    }
  }
  ASSERT_TRUE(hello.has_value()) << "no new Hello after 3 silent heartbeats";
  EXPECT_TRUE(saw_heartbeat);
  EXPECT_TRUE(disconnected);
  EXPECT_NE(hello->peer, c.peer) << "expected a new socket (a new routing id)";
  EXPECT_EQ(hello->envelope(0)->body_as_Hello()->epoch(), adapter.epoch());

  broker.SendWelcome(hello->peer);
  auto back = c.inbox.WaitFor<Reconnected>(adapter);
  ASSERT_TRUE(back.has_value());
  auto resent = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->peer, hello->peer);
  EXPECT_EQ(Seqs(*resent), std::vector<uint64_t>{1});
}

TEST(Adapter, WaitsQuietlyWhileTheBrokerIsAway) {
  std::optional<FakeBroker> broker(std::in_place);
  AdapterOptions options = Options();
  options.heartbeat = 100ms;  // due during the Poll below; the broker is declared dead at 300 ms
  auto c = ConnectAdapter(*broker, options);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  broker.reset();  // the connection drops; with ZMQ_IMMEDIATE sends now would block
  EXPECT_TRUE(adapter.Poll(20ms).empty());
  ASSERT_TRUE(adapter.Send(Message("nobody there")).ok());
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(adapter.Poll(220ms).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 220ms);
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  EXPECT_LT(cpu_s, 0.05) << "Poll must wait, not spin, while its frame cannot go";
  EXPECT_EQ(adapter.pending(), 1u);
}

TEST(Adapter, HeartbeatsWhenIdleAndStaysConnectedWhileTheBrokerAnswers) {
  FakeBroker broker;
  AdapterOptions options = Options();
  options.heartbeat = 100ms;
  auto c = ConnectAdapter(broker, options);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  // Answer every heartbeat for well over 3 intervals: no reconnect may happen.
  int heartbeats = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (heartbeats < 6 && std::chrono::steady_clock::now() < deadline) {
    for (const Event& e : adapter.Poll(5ms)) {
      EXPECT_FALSE(std::holds_alternative<Disconnected>(e)) << std::get<Disconnected>(e).reason;
    }
    while (auto f = broker.Receive(0ms)) {
      EXPECT_EQ(f->peer, c.peer);
      ASSERT_EQ(f->types(), std::vector<wire::Body>{wire::Body::Heartbeat});
      EXPECT_EQ(f->envelope(0)->seq(), 0u);
      broker.SendHeartbeat(f->peer);
      ++heartbeats;
    }
  }
  EXPECT_EQ(heartbeats, 6);
  EXPECT_TRUE(adapter.connected());
}

TEST(Adapter, DropsDeliveriesItHasAlreadySeen) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  broker.SendDeliveries(c.peer, {5, 6}, 1, "first");
  broker.SendDeliveries(c.peer, {5, 6, 7}, 1, "again");  // as after a reconnect
  broker.SendClose(c.peer, 8, 1, wire::Disposition::Resolved);
  broker.SendClose(c.peer, 8, 1, wire::Disposition::Resolved);
  broker.SendDeliveries(c.peer, {9}, 2, "last");

  std::vector<uint64_t> ids;
  std::vector<std::string> texts;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((ids.empty() || ids.back() != 9) && std::chrono::steady_clock::now() < deadline) {
    for (const Event& e : adapter.Poll(100ms)) {
      if (const auto* d = std::get_if<Delivery>(&e)) {
        ids.push_back(d->delivery_id);
        texts.push_back(d->text);
      } else if (const auto* closed = std::get_if<SessionClosed>(&e)) {
        ids.push_back(closed->delivery_id);
        texts.push_back("closed");
        EXPECT_EQ(closed->session_id, 1u);
        EXPECT_EQ(closed->disposition, Disposition::kResolved);
        EXPECT_EQ(closed->customer_id, "c-1");
      }
    }
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(texts, (std::vector<std::string>{"first", "first", "again", "closed", "last"}));
}

TEST(Adapter, DeliveryCarriesEveryField) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  broker.SendDeliveries(c.peer, {3}, 42, "How can I help?");
  auto d = c.inbox.WaitFor<Delivery>(*c.client);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->delivery_id, 3u);
  EXPECT_EQ(d->session_id, 42u);
  EXPECT_EQ(d->index, 3u);
  EXPECT_EQ(d->tenant, "acme");
  EXPECT_EQ(d->channel, Channel::kIm);
  EXPECT_EQ(d->customer_id, "c-1");
  EXPECT_EQ(d->from, Party::kAgent);
  EXPECT_EQ(d->agent_id, "agent-1");
  EXPECT_EQ(d->text, "How can I help?");
  EXPECT_EQ(d->at_us, 1700000000000000);
}

TEST(Adapter, AcksAreCumulativeAndNeverSkipAnUnhandledDelivery) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  broker.SendDeliveries(c.peer, {3, 4, 9});
  std::vector<uint64_t> ids;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ids.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    for (const Event& e : adapter.Poll(100ms)) {
      if (const auto* d = std::get_if<Delivery>(&e)) {
        ids.push_back(d->delivery_id);
      }
    }
  }
  ASSERT_EQ(ids, (std::vector<uint64_t>{3, 4, 9}));

  EXPECT_EQ(adapter.Ack(100).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(adapter.Ack(0).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(adapter.Ack(4).ok());  // 3 is not handled yet: nothing to acknowledge
  adapter.Flush();
  ASSERT_TRUE(adapter.Ack(3).ok());
  ASSERT_TRUE(adapter.Ack(4).ok());  // twice is fine
  adapter.Flush();
  auto first = broker.Receive();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->types(), std::vector<wire::Body>{wire::Body::Ack});
  EXPECT_EQ(AckIn(*first), 4u) << "one cumulative Ack, sent only once 3 and 4 were handled";
  EXPECT_EQ(first->envelope(0)->seq(), 0u);

  ASSERT_TRUE(adapter.Ack(9).ok());
  adapter.Poll(0ms);
  auto second = broker.Receive();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(AckIn(*second), 9u);
}

TEST(Adapter, AckTravelsInTheSameFrameAsMessages) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  broker.SendDeliveries(c.peer, {7});
  auto d = c.inbox.WaitFor<Delivery>(adapter);
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(adapter.Ack(d->delivery_id).ok());
  ASSERT_TRUE(adapter.Send(Message("reply")).ok());
  adapter.Flush();
  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->types(),
            (std::vector<wire::Body>{wire::Body::Ack, wire::Body::CustomerMessage}));
  EXPECT_EQ(AckIn(*frame), 7u);
}

TEST(Adapter, AutoAckAcknowledgesOnArrival) {
  FakeBroker broker;
  AdapterOptions options = Options();
  options.auto_ack = true;
  auto c = ConnectAdapter(broker, options);
  ASSERT_TRUE(c.client.has_value());
  broker.SendDeliveries(c.peer, {11, 12});
  ASSERT_TRUE(c.inbox.WaitFor<Delivery>(*c.client).has_value());
  c.client->Poll(0ms);
  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(AckIn(*frame), 12u);
  EXPECT_TRUE(c.client->Ack(11).ok());
}

TEST(Adapter, RepeatsItsAckAfterSigningInAgain) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  broker.SendDeliveries(c.peer, {5});
  ASSERT_TRUE(c.inbox.WaitFor<Delivery>(adapter).has_value());
  ASSERT_TRUE(adapter.Ack(5).ok());
  adapter.Flush();
  auto ack = broker.Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(AckIn(*ack), 5u);

  broker.SendError(c.peer, wire::ErrorCode::NotSignedIn, "restarted");
  ASSERT_TRUE(c.inbox.WaitFor<Disconnected>(adapter).has_value());
  ASSERT_TRUE(broker.Receive().has_value());  // Hello
  broker.SendWelcome(c.peer);
  broker.SendDeliveries(c.peer, {5});  // re-sent: the Ack was lost with the restart
  ASSERT_TRUE(c.inbox.WaitFor<Reconnected>(adapter).has_value());
  auto again = broker.Receive();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(AckIn(*again), 5u);
}

TEST(Adapter, GarbageFromTheBrokerIsAnErrorEventAndTheClientSignsInAgain) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.Send(Message("m")).ok());
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());

  // An unreadable frame may have held deliveries: the client must not ack past them, so it
  // reports the frame and signs in again, and the broker re-sends what is unacknowledged.
  const std::string garbage = "this is not a flatbuffer at all";
  broker.SendRaw(c.peer, garbage.data(), garbage.size());
  auto bad = c.inbox.WaitFor<ErrorEvent>(adapter);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->origin, ErrorOrigin::kClient);
  EXPECT_EQ(bad->error.code, ErrorCode::kBadFrame) << bad->error.ToString();
  auto hello = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(hello.has_value());
  ASSERT_GE(hello->envelope_count(), 1u);
  EXPECT_EQ(hello->envelope(0)->body_type(), wire::Body::Hello);
  WelcomeFields w;
  w.processed_seq = 1;
  broker.SendWelcome(hello->peer, w);
  ASSERT_TRUE(c.inbox.WaitFor<Reconnected>(adapter).has_value());
  EXPECT_TRUE(adapter.connected());
  EXPECT_EQ(adapter.acked_seq(), 1u);
  auto seq = adapter.Send(Message("still working"));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 2u);
}

TEST(Adapter, UnexpectedBodyIsReportedAndTheRestOfTheFrameRead) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  protocol::FrameBuilder b;
  auto body = wire::CreateCustomerMessageDirect(b.fbb(), "acme", wire::Channel::Im, "c-1", "?");
  b.Add(1, wire::Body::CustomerMessage, body.Union());
  b.Add(0, wire::Body::NONE, 0);
  auto deliver = wire::CreateDeliverDirect(b.fbb(), 1, 0, "acme", wire::Channel::Im, "c-1",
                                           wire::Party::System, nullptr, "notice");
  b.Add(4, wire::Body::Deliver, deliver.Union());
  broker.Send(c.peer, b);

  std::vector<Event> events;
  auto d = c.inbox.WaitFor<Delivery>(*c.client, 5s, &events);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->text, "notice");
  EXPECT_EQ(d->from, Party::kSystem);
  ASSERT_EQ(events.size(), 2u);
  for (const Event& e : events) {
    ASSERT_TRUE(std::holds_alternative<ErrorEvent>(e));
    EXPECT_EQ(std::get<ErrorEvent>(e).error.code, ErrorCode::kUnknownBody);
    EXPECT_EQ(std::get<ErrorEvent>(e).origin, ErrorOrigin::kClient);
  }
}

TEST(Adapter, BrokerErrorNamesTheMessageItAnswers) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.Send(Message("one", "c-1")).ok());
  CustomerMessage second = Message("two", "c-2");
  second.channel = Channel::kSocial;
  ASSERT_TRUE(adapter.Send(second).ok());
  adapter.Flush();
  ASSERT_TRUE(broker.Receive().has_value());

  broker.SendError(c.peer, wire::ErrorCode::Busy, "queue full", 2, 40, 30000);
  broker.SendAck(c.peer, 2);
  std::vector<Event> events;
  auto err = c.inbox.WaitFor<ErrorEvent>(adapter, 5s, &events);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->origin, ErrorOrigin::kBroker);
  EXPECT_EQ(err->error.code, ErrorCode::kBusy);
  EXPECT_EQ(err->error.ref_seq, 2u);
  EXPECT_EQ(err->error.position, 40u);
  EXPECT_EQ(err->error.expected_wait_ms, 30000u);
  EXPECT_EQ(err->request, RequestKind::kCustomerMessage);
  EXPECT_EQ(err->tenant, "acme");
  EXPECT_EQ(err->channel, Channel::kSocial);
  EXPECT_EQ(err->customer_id, "c-2");
  EXPECT_EQ(err->error.ToString(),
            "Busy: queue full (ref_seq 2, position 40, expected wait 30000 ms)");
  EXPECT_TRUE(events.empty()) << "the error comes before the Ack";
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());
}

TEST(Adapter, FramesStayUnderTheBrokersMaxFrameBytes) {
  FakeBroker broker;
  WelcomeFields welcome;
  welcome.max_frame_bytes = 4096;
  auto c = ConnectAdapter(broker, Options(), welcome);
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  CustomerMessage big = Message(std::string(300, 'x'));
  big.attributes.topic = std::string(100, 't');
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(adapter.Send(big).ok());
  }
  adapter.Flush();
  std::vector<uint64_t> seqs;
  int frames = 0;
  while (seqs.size() < 40) {
    auto f = broker.Receive();
    ASSERT_TRUE(f.has_value()) << "got " << seqs.size() << " of 40 messages";
    EXPECT_LE(f->bytes.size(), 4096u);
    ++frames;
    for (uint64_t s : Seqs(*f)) {
      seqs.push_back(s);
    }
  }
  EXPECT_GT(frames, 1);
  EXPECT_LT(frames, 10) << "frames should be filled, not one message each";
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], i + 1);
  }
}

TEST(Adapter, RefusesATextOverTheBrokersLimit) {
  FakeBroker broker;
  WelcomeFields welcome;
  welcome.max_text_bytes = 100;
  auto c = ConnectAdapter(broker, Options(), welcome);
  ASSERT_TRUE(c.client.has_value());
  EXPECT_EQ(c.client->Send(Message(std::string(101, 'x'))).code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(c.client->Send(Message("hi", "")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.client->pending(), 0u);
  auto ok = c.client->Send(Message(std::string(100, 'x')));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 1u);
}

TEST(Adapter, WaitAllAckedKeepsTheEventsForPoll) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.Send(Message("a")).ok());
  ASSERT_TRUE(adapter.Send(Message("b")).ok());
  EXPECT_EQ(adapter.WaitAllAcked(50ms).code(), ErrorCode::kTimeout);  // it also flushed
  ASSERT_TRUE(broker.Receive().has_value());

  broker.SendDeliveries(c.peer, {1});
  broker.SendAck(c.peer, 2);
  Status s = adapter.WaitAllAcked(5s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(adapter.pending(), 0u);
  auto events = adapter.Poll(0ms);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Delivery>(events[0]));
  ASSERT_TRUE(std::holds_alternative<Acked>(events[1]));
  EXPECT_EQ(std::get<Acked>(events[1]).up_to, 2u);
}

TEST(Adapter, MovedFromObjectAnswersClosed) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Adapter moved = std::move(*c.client);
  EXPECT_TRUE(moved.connected());
  Adapter& old = *c.client;
  EXPECT_EQ(old.Send(Message("m")).code(), ErrorCode::kClosed);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(old.Ack(1).code(), ErrorCode::kClosed);
  EXPECT_TRUE(old.Poll(0ms).empty());
  EXPECT_FALSE(old.connected());
  EXPECT_EQ(old.client_id(), "");
}

}  // namespace
}  // namespace switchboard::client
