// Ratings from an adapter and order reports from a service, against a broker played by hand
// (FakeBroker): what goes on the wire, the checks made before sending, and errors that name
// the report they answer.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/service.h"

namespace switchboard::client {
namespace {

using namespace std::chrono_literals;
using testing::ConnectAdapter;
using testing::ConnectService;
using testing::FakeBroker;

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

AdapterOptions Adapter1() {
  AdapterOptions o;
  o.client_id = "im-gateway";
  o.channels = {Channel::kIm};
  o.heartbeat = 10s;
  return o;
}

ServiceOptions Service1() {
  ServiceOptions o;
  o.client_id = "order-service";
  o.heartbeat = 10s;
  return o;
}

TEST(Rating, GoesOutNumberedAndIsCheckedFirst) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, Adapter1());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;

  EXPECT_EQ(adapter.Rate(42, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(adapter.Rate(42, 6).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(adapter.Rate(0, 5).error().code, ErrorCode::kInvalidArgument);
  auto seq = adapter.Rate(42, 5);
  ASSERT_TRUE(seq.ok()) << seq.error().ToString();
  EXPECT_EQ(*seq, 1u);
  adapter.Flush();

  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->envelope_count(), 1u);
  EXPECT_EQ(frame->envelope(0)->seq(), 1u);
  const auto* r = frame->envelope(0)->body_as_Rating();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->session_id(), 42u);
  EXPECT_EQ(r->rating(), 5);

  broker.SendError(c.peer, wire::ErrorCode::UnknownSession, "session 42 is not known", 1);
  broker.SendAck(c.peer, 1);
  auto err = c.inbox.WaitFor<ErrorEvent>(adapter);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error.code, ErrorCode::kUnknownSession);
  EXPECT_EQ(err->request, RequestKind::kRating);
  EXPECT_EQ(err->session_id, 42u);
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(adapter).has_value());
  EXPECT_EQ(adapter.pending(), 0u);
}

TEST(Service, SignsInAsServiceAndReportsOrders) {
  FakeBroker broker;
  auto c = ConnectService(broker, Service1());
  ASSERT_TRUE(c.client.has_value());
  const auto* hello = c.hello.envelope(0)->body_as_Hello();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->role(), wire::Role::Service);
  EXPECT_EQ(Str(hello->client_id()), "order-service");
  Service& service = *c.client;

  EXPECT_EQ(service.ReportOrders("", "o-1").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(service.ReportOrders("acme", "o-1", 0).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(service.ReportOrders("acme", "o-1").ok());
  auto seq = service.ReportOrders("globex", "", 12, 1700000000000000);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 2u);
  service.Flush();

  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->envelope_count(), 2u);
  const auto* one = frame->envelope(0)->body_as_OrderReported();
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(Str(one->tenant()), "acme");
  EXPECT_EQ(Str(one->order_id()), "o-1");
  EXPECT_EQ(one->count(), 1u);
  const auto* batch = frame->envelope(1)->body_as_OrderReported();
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(Str(batch->tenant()), "globex");
  EXPECT_EQ(batch->order_id(), nullptr);
  EXPECT_EQ(batch->count(), 12u);
  EXPECT_EQ(batch->at_us(), 1700000000000000);

  broker.SendError(c.peer, wire::ErrorCode::BadRequest, "count too high", 2);
  broker.SendAck(c.peer, 2);
  auto err = c.inbox.WaitFor<ErrorEvent>(service);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->request, RequestKind::kOrder);
  EXPECT_EQ(err->tenant, "globex");
  EXPECT_EQ(RequestKindName(err->request), "OrderReported");
  EXPECT_TRUE(service.WaitAllAcked(5s).ok());
}

TEST(Service, ConnectNeedsAClientId) {
  ServiceOptions o;
  auto s = Service::Connect("tcp://127.0.0.1:1", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard::client
