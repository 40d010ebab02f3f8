#include "core/routing/expr.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace switchboard::core::routing {

// --- Attributes ----------------------------------------------------------------------------

namespace {

struct NameLess {
  bool operator()(const std::pair<std::string, Value>& entry, std::string_view name) const {
    return std::string_view(entry.first) < name;
  }
};

}  // namespace

void Attributes::Set(std::string name, Value value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), std::string_view(name), NameLess{});
  if (it != entries_.end() && it->first == name) {
    it->second = std::move(value);
    return;
  }
  entries_.emplace(it, std::move(name), std::move(value));
}

const Value* Attributes::Find(std::string_view name) const {
  if (entries_.size() <= 8) {  // a few names: a scan comparing sizes first is quicker
    for (const auto& entry : entries_) {
      if (entry.first.size() == name.size() && std::string_view(entry.first) == name) {
        return &entry.second;
      }
    }
    return nullptr;
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name, NameLess{});
  if (it != entries_.end() && it->first == name) {
    return &it->second;
  }
  return nullptr;
}

bool Attributes::operator==(const Attributes& other) const { return entries_ == other.entries_; }

// --- Parser --------------------------------------------------------------------------------

namespace {

// Deep nesting would make both the parser and Eval recurse deeply; no real rule needs it.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxTextSize = 64 * 1024;
constexpr size_t kMaxListSize = 1024;

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// How a token reads in an error message: `'=='`, `end of expression`.
std::string Quote(std::string_view token) {
  if (token.empty()) {
    return "end of expression";
  }
  std::string out = "'";
  for (char c : token.substr(0, 32)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (token.size() > 32) {
    out += "...";
  }
  out += "'";
  return out;
}

}  // namespace

class ExprParser {
 public:
  using Node = Expr::Node;
  using Kind = Node::Kind;

  ExprParser(std::string_view text, bool allow_contact, bool allow_agent)
      : text_(text), allow_contact_(allow_contact), allow_agent_(allow_agent) {}

  Result<Expr> Run() {
    if (text_.size() > kMaxTextSize) {
      return Status(Code::kBadRequest, "expression is longer than " +
                                           std::to_string(kMaxTextSize) + " characters");
    }
    expr_.text_ = std::string(text_);
    expr_.nodes_.clear();
    SkipSpace();
    if (pos_ == text_.size()) {
      return Error(pos_, "expected an expression, found end of expression");
    }
    uint32_t root = 0;
    if (!ParseOr(0, &root)) {
      return status_;
    }
    SkipSpace();
    if (pos_ != text_.size()) {
      return Error(pos_, "expected 'and', 'or' or end of expression, found " + Describe());
    }
    // The root must be a condition: wrap a bare operand.
    if (!IsCondition(root)) {
      root = Add(Node{.kind = Kind::kTruthy, .lhs = root});
    }
    expr_.root_ = root;
    return std::move(expr_);
  }

 private:
  // --- lexing helpers ---

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // The word at pos_ (letters, digits, '_', '-'), or empty.
  std::string_view PeekWord() const {
    if (pos_ >= text_.size() || !IsNameStart(text_[pos_])) {
      return {};
    }
    size_t end = pos_ + 1;
    while (end < text_.size() && IsNameChar(text_[end])) {
      ++end;
    }
    return text_.substr(pos_, end - pos_);
  }

  bool PeekKeyword(std::string_view keyword) const { return PeekWord() == keyword; }

  // The token at pos_, for messages.
  std::string Describe() const {
    if (pos_ >= text_.size()) {
      return "end of expression";
    }
    std::string_view word = PeekWord();
    if (!word.empty()) {
      return Quote(word);
    }
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return "a space";
    }
    size_t len = 1;
    if (pos_ + 1 < text_.size() && std::strchr("=!<>&|", c) != nullptr &&
        std::strchr("=&|", text_[pos_ + 1]) != nullptr) {
      len = 2;
    }
    return Quote(text_.substr(pos_, len));
  }

  Status Error(size_t at, std::string message) {
    status_ = Status(Code::kBadRequest, "column " + std::to_string(at + 1) + ": " + message);
    return status_;
  }
  bool Fail(size_t at, std::string message) {
    (void)Error(at, std::move(message));
    return false;
  }

  uint32_t Add(Node node) {
    expr_.nodes_.push_back(node);
    return static_cast<uint32_t>(expr_.nodes_.size() - 1);
  }

  bool IsCondition(uint32_t index) const {
    Kind kind = expr_.nodes_[index].kind;
    return kind == Kind::kOr || kind == Kind::kAnd || kind == Kind::kNot ||
           kind == Kind::kTruthy || kind == Kind::kCompare || kind == Kind::kIn;
  }

  // --- grammar ---

  // Chains of `or` (and of `and`) become right-leaning trees, a or (b or (c ...)), which
  // Eval walks in a loop from left to right: a long chain costs no recursion depth.
  uint32_t FoldRight(Kind kind, const std::vector<uint32_t>& operands) {
    uint32_t acc = Condition(operands.back());
    for (size_t i = operands.size() - 1; i-- > 0;) {
      acc = Add(Node{.kind = kind, .lhs = Condition(operands[i]), .rhs = acc});
    }
    return acc;
  }

  bool ParseOr(int depth, uint32_t* out) {
    std::vector<uint32_t> operands(1);
    if (!ParseAnd(depth, &operands[0])) {
      return false;
    }
    while (true) {
      SkipSpace();
      if (!PeekKeyword("or")) {
        break;
      }
      pos_ += 2;
      operands.push_back(0);
      if (!ParseAnd(depth, &operands.back())) {
        return false;
      }
    }
    *out = operands.size() == 1 ? operands[0] : FoldRight(Kind::kOr, operands);
    return true;
  }

  bool ParseAnd(int depth, uint32_t* out) {
    std::vector<uint32_t> operands(1);
    if (!ParseNot(depth, &operands[0])) {
      return false;
    }
    while (true) {
      SkipSpace();
      if (!PeekKeyword("and")) {
        if (pos_ + 1 < text_.size() &&
            ((text_[pos_] == '&' && text_[pos_ + 1] == '&') ||
             (text_[pos_] == '|' && text_[pos_ + 1] == '|'))) {
          return Fail(pos_, std::string("unknown operator ") + Quote(text_.substr(pos_, 2)) +
                                " (use '" + (text_[pos_] == '&' ? "and" : "or") + "')");
        }
        break;
      }
      pos_ += 3;
      operands.push_back(0);
      if (!ParseNot(depth, &operands.back())) {
        return false;
      }
    }
    *out = operands.size() == 1 ? operands[0] : FoldRight(Kind::kAnd, operands);
    return true;
  }

  bool ParseNot(int depth, uint32_t* out) {
    SkipSpace();
    if (depth > kMaxDepth) {
      return Fail(pos_, "expression nested deeper than " + std::to_string(kMaxDepth));
    }
    if (PeekKeyword("not")) {
      pos_ += 3;
      uint32_t inner = 0;
      if (!ParseNot(depth + 1, &inner)) {
        return false;
      }
      *out = Add(Node{.kind = Kind::kNot, .lhs = Condition(inner)});
      return true;
    }
    if (pos_ < text_.size() && text_[pos_] == '!' &&
        (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '=')) {
      return Fail(pos_, "unknown operator '!' (use 'not')");
    }
    return ParseCmp(depth, out);
  }

  // Operands that are sub-expressions become a condition; others are read as truthiness.
  uint32_t Condition(uint32_t index) {
    if (IsCondition(index)) {
      return index;
    }
    return Add(Node{.kind = Kind::kTruthy, .lhs = index});
  }

  // The static type of an operand: 'i' integer, 's' string, 'r' reference, 'b' condition.
  char TypeOf(uint32_t index) const {
    switch (expr_.nodes_[index].kind) {
      case Kind::kBool:
      case Kind::kInt:
        return 'i';
      case Kind::kString:
        return 's';
      case Kind::kContactRef:
      case Kind::kAgentRef:
        return 'r';
      default:
        return 'b';
    }
  }

  static const char* TypeName(char type) {
    switch (type) {
      case 'i':
        return "an integer";
      case 's':
        return "a string";
      case 'r':
        return "an attribute";
      default:
        return "a condition";
    }
  }

  bool ParseCmp(int depth, uint32_t* out) {
    size_t lhs_at = pos_;
    uint32_t lhs = 0;
    if (!ParseOperand(depth, &lhs)) {
      return false;
    }
    SkipSpace();
    size_t op_at = pos_;
    Node::Cmp cmp = Node::Cmp::kEq;
    size_t op_len = 0;
    if (pos_ < text_.size()) {
      char c = text_[pos_];
      char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if (c == '=' && next == '=') {
        cmp = Node::Cmp::kEq;
        op_len = 2;
      } else if (c == '!' && next == '=') {
        cmp = Node::Cmp::kNe;
        op_len = 2;
      } else if (c == '<' && next == '=') {
        cmp = Node::Cmp::kLe;
        op_len = 2;
      } else if (c == '>' && next == '=') {
        cmp = Node::Cmp::kGe;
        op_len = 2;
      } else if (c == '<' && next != '>') {
        cmp = Node::Cmp::kLt;
        op_len = 1;
      } else if (c == '>') {
        cmp = Node::Cmp::kGt;
        op_len = 1;
      } else if (c == '=') {
        return Fail(pos_, "unknown operator '=' (use '==')");
      } else if (c == '<' && next == '>') {
        return Fail(pos_, "unknown operator '<>' (use '!=')");
      }
    }
    if (op_len == 0) {
      if (PeekKeyword("in")) {
        pos_ += 2;
        return ParseIn(lhs, lhs_at, out);
      }
      *out = lhs;  // a bare operand; the caller makes it a condition
      return true;
    }
    std::string_view op_text = text_.substr(op_at, op_len);
    pos_ += op_len;
    SkipSpace();
    size_t rhs_at = pos_;
    if (pos_ >= text_.size()) {
      return Fail(pos_, "expected a value after '" + std::string(op_text) +
                            "', found end of expression");
    }
    uint32_t rhs = 0;
    if (!ParseOperand(depth, &rhs)) {
      return false;
    }
    char lt = TypeOf(lhs);
    char rt = TypeOf(rhs);
    Node::Mode mode = Node::Mode::kDynamic;
    if (lt == 'r' && rt == 'r') {
      mode = Node::Mode::kDynamic;
    } else if ((lt == 's' || rt == 's') && lt != 'i' && lt != 'b' && rt != 'i' && rt != 'b') {
      mode = Node::Mode::kString;
    } else if (lt != 's' && rt != 's') {
      mode = Node::Mode::kInt;  // integers, booleans and conditions (as 0/1)
    } else {
      return Fail(rhs_at, std::string("cannot compare ") + TypeName(lt) + " with " +
                              TypeName(rt) + " using '" + std::string(op_text) + "'");
    }
    *out = Add(Node{.kind = Kind::kCompare, .cmp = cmp, .mode = mode, .lhs = lhs, .rhs = rhs});
    return true;
  }

  bool ParseIn(uint32_t lhs, size_t lhs_at, uint32_t* out) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '[') {
      return Fail(pos_, "expected '[' after 'in', found " + Describe());
    }
    ++pos_;
    // Parse the literals first, then lay them out contiguously.
    std::vector<Node> items;
    char list_type = 0;
    while (true) {
      SkipSpace();
      size_t item_at = pos_;
      Node item;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        if (!ParseString(&item)) {
          return false;
        }
      } else if (pos_ < text_.size() && (IsDigit(text_[pos_]) || text_[pos_] == '-')) {
        if (!ParseInt(&item)) {
          return false;
        }
      } else if (pos_ < text_.size() && text_[pos_] == ']' && items.empty()) {
        return Fail(pos_, "expected a string or an integer, found ']' (a list is never empty)");
      } else {
        return Fail(pos_, "expected a string or an integer in the list, found " + Describe());
      }
      char type = item.kind == Kind::kString ? 's' : 'i';
      if (list_type == 0) {
        list_type = type;
      } else if (type != list_type) {
        return Fail(item_at, std::string("list mixes strings and integers (this item is ") +
                                 TypeName(type) + ", the first is " + TypeName(list_type) + ")");
      }
      if (items.size() >= kMaxListSize) {
        return Fail(item_at, "list longer than " + std::to_string(kMaxListSize) + " items");
      }
      items.push_back(item);
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        break;
      }
      return Fail(pos_, "expected ',' or ']' in the list, found " + Describe());
    }
    char lt = TypeOf(lhs);
    if ((lt == 's' && list_type == 'i') || ((lt == 'i' || lt == 'b') && list_type == 's')) {
      return Fail(lhs_at, std::string("cannot look for ") + TypeName(lt) + " in a list of " +
                              (list_type == 's' ? "strings" : "integers"));
    }
    uint32_t first = static_cast<uint32_t>(expr_.nodes_.size());
    for (const Node& item : items) {
      Add(item);
    }
    *out = Add(Node{.kind = Kind::kIn,
                    .mode = list_type == 's' ? Node::Mode::kString : Node::Mode::kInt,
                    .lhs = lhs,
                    .rhs = first,
                    .ival = static_cast<int64_t>(items.size())});
    return true;
  }

  bool ParseString(Node* out) {
    size_t start = pos_;
    ++pos_;  // opening quote
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) {
        return Fail(start, "string is not closed (expected '\"')");
      }
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        if (pos_ + 1 < text_.size() && (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\\')) {
          value += text_[pos_ + 1];
          pos_ += 2;
          continue;
        }
        return Fail(pos_, "unknown escape in string (only \\\" and \\\\ are allowed)");
      }
      value += c;
      ++pos_;
    }
    *out = Node{.kind = Kind::kString};
    out->str_begin = static_cast<uint32_t>(expr_.pool_.size());
    out->str_len = static_cast<uint32_t>(value.size());
    expr_.pool_ += value;
    return true;
  }

  bool ParseInt(Node* out) {
    size_t start = pos_;
    size_t end = pos_;
    if (end < text_.size() && text_[end] == '-') {
      ++end;
    }
    size_t digits = end;
    while (end < text_.size() && IsDigit(text_[end])) {
      ++end;
    }
    if (end == digits) {
      return Fail(start, "expected a number after '-'");
    }
    if (end < text_.size() && (IsNameChar(text_[end]) || text_[end] == '.')) {
      return Fail(start, "malformed number " + Quote(text_.substr(start, end + 1 - start)));
    }
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + end, value);
    if (ec != std::errc() || ptr != text_.data() + end) {
      return Fail(start, "number " + Quote(text_.substr(start, end - start)) +
                             " is out of range");
    }
    pos_ = end;
    *out = Node{.kind = Kind::kInt, .ival = value};
    return true;
  }

  bool ParseOperand(int depth, uint32_t* out) {
    SkipSpace();
    if (pos_ >= text_.size()) {
      return Fail(pos_, "expected a value, found end of expression");
    }
    char c = text_[pos_];
    if (c == '(') {
      size_t open = pos_;
      ++pos_;
      uint32_t inner = 0;
      if (!ParseOr(depth + 1, &inner)) {
        return false;
      }
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return Fail(pos_, "expected ')' to close the '(' at column " + std::to_string(open + 1) +
                              ", found " + Describe());
      }
      ++pos_;
      *out = inner;
      return true;
    }
    if (c == '"') {
      Node node;
      if (!ParseString(&node)) {
        return false;
      }
      *out = Add(node);
      return true;
    }
    if (IsDigit(c) || c == '-') {
      Node node;
      if (!ParseInt(&node)) {
        return false;
      }
      *out = Add(node);
      return true;
    }
    if (c == '\'') {
      return Fail(pos_, "strings use double quotes (\"...\")");
    }
    std::string_view word = PeekWord();
    if (word.empty()) {
      return Fail(pos_, "expected a value, found " + Describe());
    }
    if (word == "true" || word == "false") {
      pos_ += word.size();
      *out = Add(Node{.kind = Kind::kBool, .ival = word == "true" ? 1 : 0});
      return true;
    }
    if (word == "and" || word == "or" || word == "not" || word == "in") {
      return Fail(pos_, "expected a value, found " + Quote(word));
    }
    return ParseRef(out);
  }

  bool ParseRef(uint32_t* out) {
    size_t start = pos_;
    std::string_view scope = PeekWord();
    bool contact = scope == "contact";
    bool agent = scope == "agent";
    if (!contact && !agent) {
      if (pos_ + scope.size() < text_.size() && text_[pos_ + scope.size()] == '.') {
        return Fail(start, "unknown scope " + Quote(scope) + " (expected 'contact' or 'agent')");
      }
      return Fail(start, "expected a value, found " + Quote(scope) +
                             " (attributes are written contact.NAME or agent.NAME; strings "
                             "are quoted)");
    }
    if (contact && !allow_contact_) {
      return Fail(start, "'contact.' is not allowed here (agent pools read agent attributes)");
    }
    if (agent && !allow_agent_) {
      return Fail(start, "'agent.' is not allowed here (rule conditions read contact attributes)");
    }
    pos_ += scope.size();
    if (pos_ >= text_.size() || text_[pos_] != '.') {
      return Fail(pos_, "expected '.' and an attribute name after " + Quote(scope));
    }
    std::string name;
    while (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      std::string_view part = PeekWord();
      if (part.empty()) {
        return Fail(pos_, "expected an attribute name after '.', found " + Describe());
      }
      if (!name.empty()) {
        name += '.';
      }
      name += part;
      pos_ += part.size();
    }
    Node node{.kind = contact ? Kind::kContactRef : Kind::kAgentRef};
    node.str_begin = static_cast<uint32_t>(expr_.pool_.size());
    node.str_len = static_cast<uint32_t>(name.size());
    expr_.pool_ += name;
    if (contact) {
      expr_.uses_contact_ = true;
    } else {
      expr_.uses_agent_ = true;
    }
    *out = Add(node);
    return true;
  }

  std::string_view text_;
  bool allow_contact_;
  bool allow_agent_;
  size_t pos_ = 0;
  Expr expr_;
  Status status_;
};

// --- Expr ----------------------------------------------------------------------------------

Expr::Expr() : text_("true"), nodes_{Node{.kind = Node::Kind::kBool, .ival = 1}} {}

Expr Expr::True() { return Expr(); }

Result<Expr> Expr::Parse(std::string_view text, bool allow_contact, bool allow_agent) {
  ExprParser parser(text, allow_contact, allow_agent);
  return parser.Run();
}

namespace {

// One side of a comparison as read at evaluation time.
struct Scalar {
  enum class Type : uint8_t { kMissing, kInt, kString };
  Type type = Type::kMissing;
  int64_t i = 0;
  std::string_view s;
};

// Integer view: missing is 0; a string must be a decimal integer, else `ok` is false.
int64_t AsInt(const Scalar& v, bool* ok) {
  *ok = true;
  switch (v.type) {
    case Scalar::Type::kMissing:
      return 0;
    case Scalar::Type::kInt:
      return v.i;
    case Scalar::Type::kString: {
      int64_t out = 0;
      auto [ptr, ec] = std::from_chars(v.s.data(), v.s.data() + v.s.size(), out);
      if (v.s.empty() || ec != std::errc() || ptr != v.s.data() + v.s.size()) {
        *ok = false;
      }
      return out;
    }
  }
  return 0;
}

// String view: missing is ""; an integer is written in decimal into `buffer`.
std::string_view AsString(const Scalar& v, char (&buffer)[24]) {
  switch (v.type) {
    case Scalar::Type::kMissing:
      return {};
    case Scalar::Type::kString:
      return v.s;
    case Scalar::Type::kInt: {
      auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v.i);
      (void)ec;
      return std::string_view(buffer, static_cast<size_t>(ptr - buffer));
    }
  }
  return {};
}

template <typename T>
bool Compare(Expr::Node::Cmp cmp, const T& a, const T& b) {
  using Cmp = Expr::Node::Cmp;
  switch (cmp) {
    case Cmp::kEq:
      return a == b;
    case Cmp::kNe:
      return a != b;
    case Cmp::kLt:
      return a < b;
    case Cmp::kLe:
      return a <= b;
    case Cmp::kGt:
      return a > b;
    case Cmp::kGe:
      return a >= b;
  }
  return false;
}

}  // namespace

bool Expr::Eval(const Attributes& contact, const Attributes& agent) const {
  return EvalNode(root_, contact, agent);
}

bool Expr::EvalNode(uint32_t index, const Attributes& contact, const Attributes& agent) const {
  using Kind = Node::Kind;
  const Node& node = nodes_[index];

  auto scalar = [&](uint32_t i) -> Scalar {
    const Node& n = nodes_[i];
    Scalar out;
    switch (n.kind) {
      case Kind::kBool:
      case Kind::kInt:
        out.type = Scalar::Type::kInt;
        out.i = n.ival;
        return out;
      case Kind::kString:
        out.type = Scalar::Type::kString;
        out.s = std::string_view(pool_).substr(n.str_begin, n.str_len);
        return out;
      case Kind::kContactRef:
      case Kind::kAgentRef: {
        const Attributes& attrs = n.kind == Kind::kContactRef ? contact : agent;
        const Value* value = attrs.Find(std::string_view(pool_).substr(n.str_begin, n.str_len));
        if (value == nullptr) {
          return out;
        }
        if (const int64_t* iv = std::get_if<int64_t>(value)) {
          out.type = Scalar::Type::kInt;
          out.i = *iv;
        } else {
          out.type = Scalar::Type::kString;
          out.s = std::get<std::string>(*value);
        }
        return out;
      }
      default:
        out.type = Scalar::Type::kInt;
        out.i = EvalNode(i, contact, agent) ? 1 : 0;
        return out;
    }
  };

  auto compare = [&](Node::Cmp cmp, Node::Mode mode, const Scalar& a, const Scalar& b) {
    if (mode == Node::Mode::kDynamic) {
      mode = (a.type == Scalar::Type::kString || b.type == Scalar::Type::kString)
                 ? Node::Mode::kString
                 : Node::Mode::kInt;
    }
    if (mode == Node::Mode::kInt) {
      bool a_ok = true;
      bool b_ok = true;
      int64_t x = AsInt(a, &a_ok);
      int64_t y = AsInt(b, &b_ok);
      if (!a_ok || !b_ok) {
        return cmp == Node::Cmp::kNe;  // a non-number equals no number
      }
      return Compare(cmp, x, y);
    }
    char a_buffer[24];
    char b_buffer[24];
    return Compare(cmp, AsString(a, a_buffer), AsString(b, b_buffer));
  };

  switch (node.kind) {
    case Kind::kBool:
    case Kind::kInt:
      return node.ival != 0;
    case Kind::kString:
      return node.str_len != 0;
    case Kind::kOr:
    case Kind::kAnd: {
      // Walk the right-leaning chain in a loop (see the parser's FoldRight).
      const bool is_or = node.kind == Kind::kOr;
      const Node* link = &node;
      while (link->kind == node.kind) {
        if (EvalNode(link->lhs, contact, agent) == is_or) {
          return is_or;
        }
        link = &nodes_[link->rhs];
      }
      return EvalNode(static_cast<uint32_t>(link - nodes_.data()), contact, agent);
    }
    case Kind::kNot:
      return !EvalNode(node.lhs, contact, agent);
    case Kind::kTruthy: {
      Scalar v = scalar(node.lhs);
      switch (v.type) {
        case Scalar::Type::kMissing:
          return false;
        case Scalar::Type::kInt:
          return v.i != 0;
        case Scalar::Type::kString:
          return !v.s.empty();
      }
      return false;
    }
    case Kind::kCompare:
      return compare(node.cmp, node.mode, scalar(node.lhs), scalar(node.rhs));
    case Kind::kIn: {
      Scalar needle = scalar(node.lhs);
      for (int64_t k = 0; k < node.ival; ++k) {
        if (compare(Node::Cmp::kEq, node.mode, needle,
                    scalar(node.rhs + static_cast<uint32_t>(k)))) {
          return true;
        }
      }
      return false;
    }
    case Kind::kContactRef:
    case Kind::kAgentRef:
      return false;  // never a root: the parser wraps references in kTruthy
  }
  return false;
}

}  // namespace switchboard::core::routing
