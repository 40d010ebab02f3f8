#include "json.h"

#include <limits>

#include <gtest/gtest.h>

#include "payload.h"

namespace switchboard::bench {
namespace {

TEST(JsonWriter, WritesNestedValuesPrettyPrinted) {
  JsonWriter j;
  j.BeginObject();
  j.Field("name", "steady day");
  j.Field("n", int64_t{-3});
  j.Field("big", uint64_t{18446744073709551615u});
  j.Field("x", 0.25);
  j.Field("ok", true);
  j.NullField("none");
  j.Key("list").BeginArray().Value(1).Value("two").BeginObject().EndObject().EndArray();
  j.Key("empty").BeginArray().EndArray();
  j.EndObject();
  EXPECT_EQ(j.str(),
            "{\n"
            "  \"name\": \"steady day\",\n"
            "  \"n\": -3,\n"
            "  \"big\": 18446744073709551615,\n"
            "  \"x\": 0.25,\n"
            "  \"ok\": true,\n"
            "  \"none\": null,\n"
            "  \"list\": [\n"
            "    1,\n"
            "    \"two\",\n"
            "    {}\n"
            "  ],\n"
            "  \"empty\": []\n"
            "}\n");
}

TEST(JsonWriter, EscapesStringsAndWritesNonFiniteAsNull) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  JsonWriter j;
  j.BeginArray();
  j.Value(std::numeric_limits<double>::infinity());
  j.Value(std::numeric_limits<double>::quiet_NaN());
  j.Value(1e-7);
  j.EndArray();
  EXPECT_EQ(j.str(), "[\n  null,\n  null,\n  1e-07\n]\n");
}

TEST(JsonParser, ReadsBackWhatTheWriterWrote) {
  JsonWriter j;
  j.BeginObject();
  j.Field("text", "quote \" backslash \\ newline \n tab \t ctrl \x02 utf-8 \xe4\xb8\xad");
  j.Field("pi", 3.141592653589793);
  j.Field("n", int64_t{123456789012});
  j.Key("inner").BeginObject().Field("flag", false).NullField("nothing").EndObject();
  j.Key("list").BeginArray().Value(1.5).Value(-2).EndArray();
  j.EndObject();
  const JsonParseResult r = ParseJson(j.str());
  ASSERT_TRUE(r.value.has_value()) << r.error;
  const JsonValue& v = *r.value;
  EXPECT_EQ(v.Get("text")->string,
            "quote \" backslash \\ newline \n tab \t ctrl \x02 utf-8 \xe4\xb8\xad");
  EXPECT_DOUBLE_EQ(v.Get("pi")->number, 3.141592653589793);
  EXPECT_DOUBLE_EQ(v.Find("n")->number, 123456789012.0);
  ASSERT_NE(v.Find("inner.flag"), nullptr);
  EXPECT_EQ(v.Find("inner.flag")->type, JsonValue::Type::kBool);
  EXPECT_FALSE(v.Find("inner.flag")->boolean);
  EXPECT_TRUE(v.Find("inner.nothing")->is_null());
  EXPECT_EQ(v.Find("inner.missing"), nullptr);
  EXPECT_EQ(v.Find("text.deeper"), nullptr);
  ASSERT_EQ(v.Get("list")->array.size(), 2u);
  EXPECT_DOUBLE_EQ(v.Get("list")->array[1].number, -2);
}

TEST(JsonParser, ReadsEscapesAndSurrogatePairs) {
  const JsonParseResult r = ParseJson(R"(["\u00e9\ud83d\ude00\/", 1e3, true])");
  ASSERT_TRUE(r.value.has_value()) << r.error;
  EXPECT_EQ(r.value->array[0].string, "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_DOUBLE_EQ(r.value->array[1].number, 1000);
  EXPECT_TRUE(r.value->array[2].boolean);
}

TEST(JsonParser, RejectsMalformedDocuments) {
  for (const char* bad : {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"open", "tru",
                          "{\"a\": 1} x", "[\"\\q\"]", "{1: 2}", "-", "[\"a\nb\"]"}) {
    const JsonParseResult r = ParseJson(bad);
    EXPECT_FALSE(r.value.has_value()) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(Payload, RoundTripsAndPadsToTheRequestedSize) {
  Payload p;
  p.customer = 123456789;
  p.index = 3;
  p.count = 7;
  p.intended_ns = 9876543210;
  p.arrival_ns = 1234;
  p.handle_ns = -1;
  const std::string text = EncodePayload(p, 256);
  EXPECT_EQ(text.size(), 256u);
  EXPECT_EQ(text.substr(0, 4), "SB1 ");
  EXPECT_EQ(text.back(), '.');
  const auto back = DecodePayload(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, p);
  // A size below the header gives the header alone, still readable.
  const std::string small = EncodePayload(p, 1);
  EXPECT_GT(small.size(), 1u);
  EXPECT_LT(small.size(), 80u);
  EXPECT_EQ(DecodePayload(small), p);
  std::string reused = "old contents that are longer than the header and must go away......";
  EncodePayload(Payload{}, 10, reused);
  EXPECT_EQ(DecodePayload(reused), Payload{});
}

TEST(Payload, RejectsOtherTexts) {
  EXPECT_FALSE(DecodePayload("").has_value());
  EXPECT_FALSE(DecodePayload("hello").has_value());
  EXPECT_FALSE(DecodePayload("SB1 1 2 3").has_value());
  EXPECT_FALSE(DecodePayload("SB1 1 2 3 4 5 x ").has_value());
  EXPECT_FALSE(DecodePayload("SB1 1 2 3 4 5 6").has_value());  // no closing space
}

}  // namespace
}  // namespace switchboard::bench
