// Reading the files in ops/ for the tests: the PromQL of every panel and template variable of
// the Grafana dashboard, and of every rule of the Prometheus rules file, and the dashboard's
// variables substituted the way Grafana does for "All".
//
// The rules reader knows the subset of YAML that ops/prometheus/switchboard.rules.yml uses:
// `- record: NAME` or `- alert: NAME`, then `expr: ONE LINE` or `expr: |` followed by a
// more-indented block. The tests compare its count with promtool's, so a rule it missed
// fails them.
//
// Thread rules: plain functions.
#pragma once

#include <string>
#include <vector>

#include "json.h"

namespace switchboard::testing {

// The source tree's ops/ directory (set by CMake).
std::string OpsDir();
std::string ReadWholeFile(const std::string& path);

struct PanelQuery {
  std::string panel;   // the panel's title
  std::string ref_id;  // the target's refId
  std::string unit;    // the panel's fieldConfig.defaults.unit
  std::string expr;    // as written, with Grafana variables
  std::string where() const { return "panel '" + panel + "' target " + ref_id; }
};

struct Variable {
  std::string name;
  std::string type;   // query, custom, datasource
  std::string query;  // query variables: the label_values(...) text; custom: the values
  bool include_all = false;
  std::string all_value;  // the value "All" stands for
  std::string current;    // the current value (custom variables)
};

struct Dashboard {
  bench::JsonValue json;
  std::vector<PanelQuery> queries;  // every target of every panel, rows' panels included
  std::vector<Variable> variables;
  std::vector<std::string> titles;  // every panel title, rows included
};

// Parses the dashboard at `path`; on failure returns false and says why in `error`.
bool ReadDashboard(const std::string& path, Dashboard* dashboard, std::string* error);

struct RuleExpr {
  std::string kind;  // "record" or "alert"
  std::string name;
  std::string expr;
  std::string where() const { return kind + " " + name; }
};

std::vector<RuleExpr> ReadRules(const std::string& path);

// `expr` with Grafana's variables replaced: a variable with "All" by its allValue (".*" for
// the regex matchers the dashboard uses), a custom one by its current value, $__range by
// `range`, $__rate_interval and $__interval by `rate_interval`. Returns false (and names
// the variable in `error`) for a variable it does not know.
bool Substitute(const Dashboard& dashboard, const std::string& expr, const std::string& range,
                const std::string& rate_interval, std::string* out, std::string* error);

// label_values(SELECTOR, LABEL), Grafana's function for variable values, as the PromQL that
// returns the same label values: count by (LABEL) (SELECTOR). Empty if `query` is not one.
std::string LabelValuesAsPromql(const std::string& query);

// The metric names an expression reads: switchboard_* and up, with the _bucket, _sum and
// _count of histograms kept (names of recorded series, with colons, left out).
std::vector<std::string> MetricNames(const std::string& expr);

}  // namespace switchboard::testing
