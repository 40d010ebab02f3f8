#include "core/routing/expr.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::core::routing {
namespace {

Expr Contact(std::string_view text) {
  Result<Expr> expr = Expr::Parse(text, /*allow_contact=*/true, /*allow_agent=*/false);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().message();
  return expr.ok() ? std::move(expr).value() : Expr::True();
}

Expr Agent(std::string_view text) {
  Result<Expr> expr = Expr::Parse(text, /*allow_contact=*/false, /*allow_agent=*/true);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().message();
  return expr.ok() ? std::move(expr).value() : Expr::True();
}

Expr Both(std::string_view text) {
  Result<Expr> expr = Expr::Parse(text, true, true);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().message();
  return expr.ok() ? std::move(expr).value() : Expr::True();
}

// The error message of a parse that must fail.
std::string ErrorOf(std::string_view text, bool allow_contact = true, bool allow_agent = true) {
  Result<Expr> expr = Expr::Parse(text, allow_contact, allow_agent);
  EXPECT_FALSE(expr.ok()) << text << " parsed";
  if (expr.ok()) {
    return "";
  }
  EXPECT_EQ(expr.status().code(), Code::kBadRequest);
  return expr.status().message();
}

const Attributes kNone;

TEST(Attributes, SetInsertsAndReplacesFindReadsBack) {
  Attributes a;
  a.Set("topic", std::string("refund"));
  a.Set("vip_level", int64_t{2});
  a.Set("country", std::string("DE"));
  a.Set("topic", std::string("complaint"));
  ASSERT_EQ(a.size(), 3u);
  ASSERT_NE(a.Find("topic"), nullptr);
  EXPECT_EQ(std::get<std::string>(*a.Find("topic")), "complaint");
  EXPECT_EQ(std::get<int64_t>(*a.Find("vip_level")), 2);
  EXPECT_EQ(a.Find("language"), nullptr);
  EXPECT_EQ(a.entries()[0].first, "country");  // sorted by name
  Attributes b;
  b.Set("vip_level", int64_t{2});
  b.Set("topic", std::string("complaint"));
  b.Set("country", std::string("DE"));
  EXPECT_TRUE(a == b);
  b.Set("country", std::string("FR"));
  EXPECT_FALSE(a == b);
}

TEST(Expr, TrueAndDefaultAreAlwaysTrue) {
  Expr t = Expr::True();
  EXPECT_EQ(t.text(), "true");
  EXPECT_TRUE(t.Eval(kNone, kNone));
  EXPECT_FALSE(t.uses_contact());
  EXPECT_FALSE(t.uses_agent());
  EXPECT_TRUE(Expr().Eval(kNone, kNone));
}

TEST(Expr, IntegerComparisons) {
  Attributes contact;
  contact.Set("vip_level", int64_t{2});
  EXPECT_TRUE(Contact("contact.vip_level >= 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.vip_level > 1").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.vip_level > 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.vip_level <= 2").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.vip_level < 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.vip_level == 2").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.vip_level != 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("2 == contact.vip_level").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.vip_level > -1").Eval(contact, kNone));
}

TEST(Expr, MissingReadsAsZeroOrEmpty) {
  EXPECT_TRUE(Agent("agent.skill.refunds == 0").Eval(kNone, kNone));
  EXPECT_FALSE(Agent("agent.skill.refunds >= 1").Eval(kNone, kNone));
  EXPECT_TRUE(Contact("contact.topic == \"\"").Eval(kNone, kNone));
  EXPECT_FALSE(Contact("contact.topic").Eval(kNone, kNone));
  EXPECT_TRUE(Contact("not contact.topic").Eval(kNone, kNone));
}

TEST(Expr, StringComparisonsAndDottedNames) {
  Attributes agent;
  agent.Set("skill.presale", int64_t{3});
  agent.Set("site", std::string("lisbon"));
  EXPECT_TRUE(Agent("agent.skill.presale >= 3 and agent.site == \"lisbon\"").Eval(kNone, agent));
  EXPECT_FALSE(Agent("agent.site != \"lisbon\"").Eval(kNone, agent));
  EXPECT_TRUE(Agent("agent.site < \"madrid\"").Eval(kNone, agent));
  EXPECT_FALSE(Agent("agent.skill.post_sale >= 1").Eval(kNone, agent));
  // An integer attribute compared with a string literal reads as its decimal text.
  EXPECT_TRUE(Agent("agent.skill.presale == \"3\"").Eval(kNone, agent));
}

TEST(Expr, StringAttributeComparedWithIntegerLiteral) {
  Attributes contact;
  contact.Set("tier", std::string("2"));
  contact.Set("topic", std::string("refund"));
  EXPECT_TRUE(Contact("contact.tier == 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.tier > 1").Eval(contact, kNone));
  // A string that is not a number equals no number and orders with none.
  EXPECT_FALSE(Contact("contact.topic == 0").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.topic != 0").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.topic < 5").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.topic >= 5").Eval(contact, kNone));
}

TEST(Expr, InLists) {
  Attributes contact;
  contact.Set("topic", std::string("complaint"));
  contact.Set("vip_level", int64_t{3});
  EXPECT_TRUE(Contact("contact.topic in [\"refund\", \"complaint\"]").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.topic in [\"refund\"]").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.vip_level in [2, 3]").Eval(contact, kNone));
  EXPECT_FALSE(Contact("contact.vip_level in [0,1]").Eval(contact, kNone));
  EXPECT_TRUE(Contact("not contact.vip_level in [0,1]").Eval(contact, kNone));
  EXPECT_TRUE(Contact("contact.language in [\"\"]").Eval(contact, kNone));
}

TEST(Expr, PrecedenceNotBindsLooserThanComparisonAndBeforeOr) {
  Attributes contact;
  contact.Set("a", int64_t{1});
  contact.Set("b", int64_t{0});
  // not (a == 1) -> false
  EXPECT_FALSE(Contact("not contact.a == 1").Eval(contact, kNone));
  // true or (false and false) -> true
  EXPECT_TRUE(Contact("contact.a == 1 or contact.b == 1 and contact.b == 2").Eval(contact, kNone));
  // (true or false) and false -> false
  EXPECT_FALSE(
      Contact("(contact.a == 1 or contact.b == 1) and contact.b == 2").Eval(contact, kNone));
  EXPECT_TRUE(Contact("not not contact.a").Eval(contact, kNone));
  // A parenthesised condition compares as 0/1.
  EXPECT_TRUE(Contact("(contact.a == 1) == true").Eval(contact, kNone));
  EXPECT_TRUE(Contact("(contact.b == 1) == 0").Eval(contact, kNone));
}

TEST(Expr, BareOperandsAreTruthy) {
  Attributes agent;
  agent.Set("outsourced", int64_t{1});
  agent.Set("site", std::string("x"));
  EXPECT_TRUE(Agent("agent.outsourced").Eval(kNone, agent));
  EXPECT_FALSE(Agent("not agent.outsourced").Eval(kNone, agent));
  EXPECT_TRUE(Agent("agent.site").Eval(kNone, agent));
  EXPECT_TRUE(Agent("1").Eval(kNone, agent));
  EXPECT_FALSE(Agent("0").Eval(kNone, agent));
  EXPECT_FALSE(Agent("\"\"").Eval(kNone, agent));
  EXPECT_TRUE(Agent("\"x\"").Eval(kNone, agent));
  EXPECT_FALSE(Agent("false").Eval(kNone, agent));
  EXPECT_TRUE(Agent("agent.outsourced == true").Eval(kNone, agent));
}

TEST(Expr, RefWithRefComparesAsIntegersOnlyWhenBothAre) {
  Attributes contact;
  Attributes agent;
  contact.Set("language", std::string("de"));
  agent.Set("language", std::string("de"));
  contact.Set("vip_level", int64_t{10});
  agent.Set("max_vip", int64_t{9});
  agent.Set("code", std::string("10"));
  Expr same = Both("contact.language == agent.language");
  EXPECT_TRUE(same.Eval(contact, agent));
  EXPECT_TRUE(same.uses_contact());
  EXPECT_TRUE(same.uses_agent());
  EXPECT_TRUE(Both("contact.vip_level > agent.max_vip").Eval(contact, agent));  // 10 > 9
  // One side a string: as strings, "10" < "9".
  EXPECT_TRUE(Both("agent.code < \"9\"").Eval(contact, agent));
  EXPECT_TRUE(Both("agent.code == contact.vip_level").Eval(contact, agent));
  agent.Set("max_vip", std::string("9"));
  EXPECT_FALSE(Both("contact.vip_level > agent.max_vip").Eval(contact, agent));  // "10" < "9"
}

TEST(Expr, StringEscapes) {
  Attributes contact;
  contact.Set("note", std::string("say \"hi\" \\o/"));
  EXPECT_TRUE(Contact(R"(contact.note == "say \"hi\" \\o/")").Eval(contact, kNone));
}

TEST(Expr, KeepsTextAndScopes) {
  Expr e = Contact("  contact.topic == \"refund\"  ");
  EXPECT_EQ(e.text(), "  contact.topic == \"refund\"  ");
  EXPECT_TRUE(e.uses_contact());
  EXPECT_FALSE(e.uses_agent());
  Expr copy = e;  // copies evaluate the same
  Attributes contact;
  contact.Set("topic", std::string("refund"));
  EXPECT_TRUE(copy.Eval(contact, kNone));
}

TEST(ExprErrors, ForbiddenAndUnknownScopesNameTheColumn) {
  EXPECT_EQ(ErrorOf("agent.skill.x >= 1", true, false),
            "column 1: 'agent.' is not allowed here (rule conditions read contact attributes)");
  EXPECT_EQ(ErrorOf("agent.tier == 2 and contact.vip_level > 1", false, true),
            "column 21: 'contact.' is not allowed here (agent pools read agent attributes)");
  EXPECT_EQ(ErrorOf("agnt.skill.x >= 3"),
            "column 1: unknown scope 'agnt' (expected 'contact' or 'agent')");
  EXPECT_EQ(ErrorOf("topic == \"x\""),
            "column 1: expected a value, found 'topic' (attributes are written contact.NAME or "
            "agent.NAME; strings are quoted)");
  EXPECT_EQ(ErrorOf("contact == 1"), "column 8: expected '.' and an attribute name after 'contact'");
  EXPECT_EQ(ErrorOf("contact. == 1"), "column 9: expected an attribute name after '.', found a space");
}

TEST(ExprErrors, SyntaxErrorsNameTheColumnAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("contact.vip_level =="),
            "column 21: expected a value after '==', found end of expression");
  EXPECT_EQ(ErrorOf(""), "column 1: expected an expression, found end of expression");
  EXPECT_EQ(ErrorOf("   "), "column 4: expected an expression, found end of expression");
  EXPECT_EQ(ErrorOf("contact.a = 1"), "column 11: unknown operator '=' (use '==')");
  EXPECT_EQ(ErrorOf("contact.a == 1 && contact.b"), "column 16: unknown operator '&&' (use 'and')");
  EXPECT_EQ(ErrorOf("contact.a == 1 || contact.b"), "column 16: unknown operator '||' (use 'or')");
  EXPECT_EQ(ErrorOf("!contact.a"), "column 1: unknown operator '!' (use 'not')");
  EXPECT_EQ(ErrorOf("contact.a <> 1"), "column 11: unknown operator '<>' (use '!=')");
  EXPECT_EQ(ErrorOf("contact.a == 1 contact.b"),
            "column 16: expected 'and', 'or' or end of expression, found 'contact'");
  EXPECT_EQ(ErrorOf("(contact.a == 1"),
            "column 16: expected ')' to close the '(' at column 1, found end of expression");
  EXPECT_EQ(ErrorOf("contact.a == 1)"),
            "column 15: expected 'and', 'or' or end of expression, found ')'");
  EXPECT_EQ(ErrorOf("contact.a == \"open"), "column 14: string is not closed (expected '\"')");
  EXPECT_EQ(ErrorOf("contact.a == 'x'"), "column 14: strings use double quotes (\"...\")");
  EXPECT_EQ(ErrorOf(R"(contact.a == "\n")"),
            "column 15: unknown escape in string (only \\\" and \\\\ are allowed)");
  EXPECT_EQ(ErrorOf("contact.a == 99999999999999999999"),
            "column 14: number '99999999999999999999' is out of range");
  EXPECT_EQ(ErrorOf("contact.a == 12abc"), "column 14: malformed number '12a'");
  EXPECT_EQ(ErrorOf("contact.a and and"), "column 15: expected a value, found 'and'");
  EXPECT_EQ(ErrorOf("contact.a == 1 == 2"),
            "column 16: expected 'and', 'or' or end of expression, found '=='");
}

TEST(ExprErrors, ListsMustBeNonEmptyAndOfOneType) {
  EXPECT_EQ(ErrorOf("contact.topic in [\"a\", 1]"),
            "column 24: list mixes strings and integers (this item is an integer, the first is "
            "a string)");
  EXPECT_EQ(ErrorOf("contact.topic in []"),
            "column 19: expected a string or an integer, found ']' (a list is never empty)");
  EXPECT_EQ(ErrorOf("contact.topic in \"a\""), "column 18: expected '[' after 'in', found '\"'");
  EXPECT_EQ(ErrorOf("contact.topic in [\"a\" \"b\"]"),
            "column 23: expected ',' or ']' in the list, found '\"'");
  EXPECT_EQ(ErrorOf("contact.topic in [contact.x]"),
            "column 19: expected a string or an integer in the list, found 'contact'");
  EXPECT_EQ(ErrorOf("\"a\" in [1, 2]"), "column 1: cannot look for a string in a list of integers");
}

TEST(ExprErrors, OverlongTextIsRefused) {
  std::string text = "contact.a == \"" + std::string(70000, 'x') + "\"";
  EXPECT_EQ(ErrorOf(text), "expression is longer than 65536 characters");
}

TEST(ExprErrors, LiteralTypesMustMatch) {
  EXPECT_EQ(ErrorOf("\"a\" == 1"), "column 8: cannot compare a string with an integer using '=='");
  EXPECT_EQ(ErrorOf("(contact.a == 1) == \"x\""),
            "column 21: cannot compare a condition with a string using '=='");
}

TEST(ExprErrors, DeepNestingIsRefusedNotOverflowed) {
  std::string deep(10000, '(');
  deep += "contact.a";
  deep += std::string(10000, ')');
  std::string message = ErrorOf(deep);
  EXPECT_NE(message.find("nested deeper than"), std::string::npos) << message;
  std::string nots;
  for (int i = 0; i < 10000; ++i) {
    nots += "not ";
  }
  nots += "contact.a";
  message = ErrorOf(nots);
  EXPECT_NE(message.find("nested deeper than"), std::string::npos) << message;
  // Long flat chains are fine: they are not deep for the parser, nor for Eval.
  std::string chain = "contact.a == 0";
  for (int i = 0; i < 500; ++i) {
    chain += " or contact.a == " + std::to_string(i + 1);
  }
  Attributes contact;
  contact.Set("a", int64_t{500});
  EXPECT_TRUE(Contact(chain).Eval(contact, kNone));
  contact.Set("a", int64_t{501});
  EXPECT_FALSE(Contact(chain).Eval(contact, kNone));
  std::string ands = "contact.a";
  for (int i = 0; i < 10000; ++i) {
    ands += " and 1";
  }
  EXPECT_TRUE(Contact(ands).Eval(contact, kNone));
  EXPECT_FALSE(Contact(ands + " and 0").Eval(contact, kNone));
  EXPECT_FALSE(Contact(ands).Eval(kNone, kNone));
}

// Random inputs built from the language's own tokens (and some junk) must parse or fail
// cleanly, and whatever parses must evaluate without crashing.
TEST(ExprFuzz, RandomTokenSoupNeverCrashes) {
  const std::vector<std::string> tokens = {
      "contact.topic", "contact.vip_level", "agent.skill.a", "agent.tier", "contact.",
      "agent", "agnt.x", "==", "!=", "<", "<=", ">", ">=", "=", "!", "in", "[", "]", ",",
      "(", ")", "and", "or", "not", "true", "false", "\"refund\"", "\"", "\\", "1", "-7",
      "99999999999999999999", "'x'", "&&", "|", "\t", "\n", "é", std::string(1, '\0'), "-",
      ".", "contact.a.b.c"};
  std::mt19937 rng(20261123);
  Attributes contact;
  contact.Set("topic", std::string("refund"));
  contact.Set("vip_level", int64_t{2});
  Attributes agent;
  agent.Set("skill.a", int64_t{3});
  agent.Set("tier", std::string("2"));
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      text += tokens[rng() % tokens.size()];
      if (rng() % 2 == 0) {
        text += ' ';
      }
    }
    Result<Expr> expr = Expr::Parse(text, rng() % 2 == 0, rng() % 2 == 0);
    if (expr.ok()) {
      ++parsed;
      (void)expr->Eval(contact, agent);
      (void)expr->Eval(kNone, kNone);
    } else {
      EXPECT_EQ(expr.status().code(), Code::kBadRequest);
      EXPECT_EQ(expr.status().message().rfind("column ", 0), 0u) << expr.status().message();
    }
  }
  EXPECT_GT(parsed, 0);  // the generator does reach valid expressions
}

TEST(ExprFuzz, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) {
      c = static_cast<char>(rng() % 256);
    }
    Result<Expr> expr = Expr::Parse(text, true, true);
    if (expr.ok()) {
      (void)expr->Eval(kNone, kNone);
    }
  }
}

}  // namespace
}  // namespace switchboard::core::routing
