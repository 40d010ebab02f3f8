// The two bodies clients report contact-centre figures with: Rating and OrderReported verify
// and read back; an OrderReported without its required tenant is refused as a bad frame.
#include <vector>

#include <gtest/gtest.h>

#include "protocol/frame.h"
#include "wire_generated.h"

namespace switchboard::protocol {
namespace {

std::vector<std::byte> Copy(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

TEST(ReportBodies, RatingAndOrderReportedVerifyAndReadBack) {
  FrameBuilder b;
  b.Add(1, wire::Body::Rating, wire::CreateRating(b.fbb(), 77, 4).Union());
  b.Add(2, wire::Body::OrderReported,
        wire::CreateOrderReportedDirect(b.fbb(), "shop", "o-9", 3, 1700000000000000).Union());
  auto bytes = Copy(b.Finish());
  auto frame = VerifyFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  const auto* envs = (*frame)->envelopes();
  ASSERT_EQ(envs->size(), 2u);
  const auto* rating = envs->Get(0)->body_as_Rating();
  ASSERT_NE(rating, nullptr);
  EXPECT_EQ(rating->session_id(), 77u);
  EXPECT_EQ(rating->rating(), 4);
  const auto* order = envs->Get(1)->body_as_OrderReported();
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->tenant()->str(), "shop");
  EXPECT_EQ(order->order_id()->str(), "o-9");
  EXPECT_EQ(order->count(), 3u);
  EXPECT_EQ(order->at_us(), 1700000000000000);
  EXPECT_EQ(BodyName(wire::Body::OrderReported), "OrderReported");
}

TEST(ReportBodies, OrderCountDefaultsToOne) {
  FrameBuilder b;
  auto tenant = b.fbb().CreateString("shop");
  wire::OrderReportedBuilder order(b.fbb());
  order.add_tenant(tenant);
  b.Add(1, wire::Body::OrderReported, order.Finish().Union());
  auto bytes = Copy(b.Finish());
  auto frame = VerifyFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ((*frame)->envelopes()->Get(0)->body_as_OrderReported()->count(), 1u);
}

TEST(ReportBodies, OrderWithoutTenantIsABadFrame) {
  FrameBuilder b;
  // Built by hand: the generated builder's Finish() asserts the required tenant in debug
  // builds, and a sender that is not this library can omit it.
  auto& fbb = b.fbb();
  const auto start = fbb.StartTable();
  fbb.AddElement<uint32_t>(wire::OrderReported::VT_COUNT, 2, 1);
  const flatbuffers::Offset<wire::OrderReported> order(fbb.EndTable(start));
  b.Add(1, wire::Body::OrderReported, order.Union());
  auto bytes = Copy(b.Finish());
  EXPECT_EQ(VerifyFrame(bytes).status().code(), Code::kBadFrame);
}

}  // namespace
}  // namespace switchboard::protocol
