// Routing expressions: the small boolean language of rule conditions and agent pools.
//
// A rule says which contacts it takes (`contact.vip_level >= 2 and contact.topic in
// ["refund", "complaint"]`); a queue step says which agents it may offer to
// (`agent.skill.complaints >= 3 and not agent.outsourced`). An expression is parsed and
// checked once, when the configuration is loaded, into a compact tree that Eval walks
// without allocating. The grammar is in docs/routing.md.
//
// Values only; an Expr is immutable after Parse and may be read from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace switchboard::core::routing {

// A value of an attribute: an integer (levels, tiers, VIP level, booleans as 0/1) or a string.
using Value = std::variant<int64_t, std::string>;

// A small name -> value map. Names have no scope prefix ("topic", "skill.presale", "tier").
// Missing names read as "" for string comparisons and 0 for integer ones (a skill not held
// has level 0). Thread-compatible.
class Attributes {
 public:
  void Set(std::string name, Value value);         // insert or replace
  const Value* Find(std::string_view name) const;  // nullptr if missing
  bool operator==(const Attributes&) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Sorted by name.
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, Value>> entries_;  // sorted by name, names unique
};

// A parsed, checked boolean expression. Grammar (case-sensitive keywords):
//   expr   := or
//   or     := and ("or" and)*
//   and    := not ("and" not)*
//   not    := "not" not | cmp
//   cmp    := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "in" list)?
//             -- a bare operand is true when it is a non-zero integer / non-empty string
//   operand:= ref | string | integer | "true" | "false" | "(" expr ")"
//   ref    := ("contact" | "agent") "." name ( "." name )*      e.g. agent.skill.presale
//   list   := "[" (string | integer) ("," (string | integer))* "]"
//   string := '"' ... '"'  (backslash escapes \" and \\)
// Comparisons of a ref with an integer literal compare as integers; with a string literal, as
// strings; ref with ref: as integers when both hold integers, else as strings.
class Expr {
 public:
  // The expression `true`; the same as True().
  Expr();

  // Scopes allowed in this expression: rule conditions allow only `contact.`; agent pools
  // only `agent.`. A syntax error or a forbidden scope returns kBadRequest with a message
  // naming the column ("column 12: expected a value after '=='"). Also refused: literals of
  // different types compared, `in` lists mixing strings and integers, nesting deeper than
  // 64, texts longer than 65536 bytes.
  static Result<Expr> Parse(std::string_view text, bool allow_contact, bool allow_agent);
  static Expr True();  // always true; text() is "true"

  // Never fails and never allocates.
  bool Eval(const Attributes& contact, const Attributes& agent) const;
  const std::string& text() const { return text_; }
  bool uses_contact() const { return uses_contact_; }
  bool uses_agent() const { return uses_agent_; }

  // One node of the tree; public only so that expr.cc's parser can build it.
  struct Node {
    enum class Kind : uint8_t {
      kBool,        // literal true/false (ival 1/0); also the value of a sub-expression
      kInt,         // integer literal in ival
      kString,      // string literal: pool_[str_begin, str_begin + str_len)
      kContactRef,  // contact attribute named by the pool range
      kAgentRef,    // agent attribute named by the pool range
      kOr,          // lhs or rhs
      kAnd,         // lhs and rhs
      kNot,         // not lhs
      kTruthy,      // lhs as a condition
      kCompare,     // lhs <cmp> rhs, compared as `mode`
      kIn,          // lhs in the `ival` literal nodes starting at rhs, compared as `mode`
    };
    enum class Cmp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
    enum class Mode : uint8_t { kInt, kString, kDynamic };

    Kind kind = Kind::kBool;
    Cmp cmp = Cmp::kEq;
    Mode mode = Mode::kInt;
    uint32_t lhs = 0;
    uint32_t rhs = 0;
    uint32_t str_begin = 0;
    uint32_t str_len = 0;
    int64_t ival = 0;
  };

 private:
  friend class ExprParser;

  bool EvalNode(uint32_t index, const Attributes& contact, const Attributes& agent) const;

  std::string text_;
  std::vector<Node> nodes_;  // the root is nodes_[root_]
  std::string pool_;         // string literals and attribute names
  uint32_t root_ = 0;
  bool uses_contact_ = false;
  bool uses_agent_ = false;
};

}  // namespace switchboard::core::routing
