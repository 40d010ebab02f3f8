#include "ops/ops_files.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#ifndef SWITCHBOARD_OPS_DIR
#error "SWITCHBOARD_OPS_DIR must be defined by the build"
#endif

namespace switchboard::testing {
namespace {

using bench::JsonValue;

std::string StringOf(const JsonValue* v) {
  return v != nullptr && v->type == JsonValue::Type::kString ? v->string : "";
}

void CollectPanels(const JsonValue& panels, Dashboard* d) {
  for (const JsonValue& panel : panels.array) {
    const std::string title = StringOf(panel.Get("title"));
    d->titles.push_back(title);
    if (const JsonValue* nested = panel.Get("panels"); nested != nullptr) {
      CollectPanels(*nested, d);
    }
    const JsonValue* targets = panel.Get("targets");
    if (targets == nullptr) {
      continue;
    }
    for (const JsonValue& t : targets->array) {
      PanelQuery q;
      q.panel = title;
      q.ref_id = StringOf(t.Get("refId"));
      q.unit = StringOf(panel.Find("fieldConfig.defaults.unit"));
      q.expr = StringOf(t.Get("expr"));
      d->queries.push_back(std::move(q));
    }
  }
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return "";
  }
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

size_t Indent(const std::string& line) {
  const size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

}  // namespace

std::string OpsDir() { return SWITCHBOARD_OPS_DIR; }

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ReadDashboard(const std::string& path, Dashboard* d, std::string* error) {
  const std::string text = ReadWholeFile(path);
  if (text.empty()) {
    *error = "cannot read " + path;
    return false;
  }
  bench::JsonParseResult parsed = bench::ParseJson(text);
  if (!parsed.value) {
    *error = path + ": " + parsed.error;
    return false;
  }
  d->json = std::move(*parsed.value);
  if (const JsonValue* panels = d->json.Get("panels"); panels != nullptr) {
    CollectPanels(*panels, d);
  }
  if (const JsonValue* list = d->json.Find("templating.list"); list != nullptr) {
    for (const JsonValue& v : list->array) {
      Variable var;
      var.name = StringOf(v.Get("name"));
      var.type = StringOf(v.Get("type"));
      const JsonValue* q = v.Get("query");
      var.query = q != nullptr && q->is_object() ? StringOf(q->Get("query")) : StringOf(q);
      const JsonValue* all = v.Get("includeAll");
      var.include_all = all != nullptr && all->type == JsonValue::Type::kBool && all->boolean;
      var.all_value = StringOf(v.Get("allValue"));
      var.current = StringOf(v.Find("current.value"));
      d->variables.push_back(std::move(var));
    }
  }
  return true;
}

std::vector<RuleExpr> ReadRules(const std::string& path) {
  std::vector<RuleExpr> rules;
  std::istringstream in(ReadWholeFile(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  RuleExpr current;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t = Trim(lines[i]);
    for (const char* kind : {"record", "alert"}) {
      const std::string key = std::string("- ") + kind + ":";
      if (t.rfind(key, 0) == 0) {
        current = RuleExpr{kind, Trim(t.substr(key.size())), ""};
      }
    }
    if (t.rfind("expr:", 0) != 0 || current.name.empty()) {
      continue;
    }
    std::string rest = Trim(t.substr(5));
    if (rest == "|" || rest == "|-" || rest == ">" || rest == ">-") {
      const size_t key_indent = Indent(lines[i]);
      std::string block;
      while (i + 1 < lines.size() &&
             (Trim(lines[i + 1]).empty() || Indent(lines[i + 1]) > key_indent)) {
        ++i;
        block += Trim(lines[i]) + "\n";
      }
      current.expr = block;
    } else {
      if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') &&
          rest.back() == rest.front()) {
        rest = rest.substr(1, rest.size() - 2);
      }
      current.expr = rest;
    }
    rules.push_back(current);
    current = RuleExpr{};
  }
  return rules;
}

bool Substitute(const Dashboard& d, const std::string& expr, const std::string& range,
                const std::string& rate_interval, std::string* out, std::string* error) {
  static const std::regex kVar(R"(\$\{?(\w+)\}?)");
  std::string result;
  auto begin = std::sregex_iterator(expr.begin(), expr.end(), kVar);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const std::string name = m[1].str();
    std::string value;
    if (name == "__range") {
      value = range;
    } else if (name == "__rate_interval" || name == "__interval") {
      value = rate_interval;
    } else {
      const Variable* var = nullptr;
      for (const Variable& v : d.variables) {
        if (v.name == name) {
          var = &v;
        }
      }
      if (var == nullptr || var->type == "datasource") {
        *error = "unknown variable $" + name;
        return false;
      }
      value = var->include_all ? var->all_value : var->current;
      if (value.empty()) {
        *error = "variable $" + name + " has no value to substitute";
        return false;
      }
    }
    result += expr.substr(last, static_cast<size_t>(m.position(0)) - last) + value;
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  result += expr.substr(last);
  *out = result;
  return true;
}

std::string LabelValuesAsPromql(const std::string& query) {
  static const std::regex kLabelValues(R"(^\s*label_values\((.*),\s*(\w+)\s*\)\s*$)");
  std::smatch m;
  if (!std::regex_match(query, m, kLabelValues)) {
    return "";
  }
  return "count by (" + m[2].str() + ") (" + m[1].str() + ")";
}

std::vector<std::string> MetricNames(const std::string& expr) {
  static const std::regex kName(R"((^|[^:\w])(switchboard_\w+|up(?=\{)))");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[2].str());
  }
  return {names.begin(), names.end()};
}

}  // namespace switchboard::testing
