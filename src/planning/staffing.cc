#include "planning/staffing.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "planning/erlang_c.h"

namespace switchboard::planning {
namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const size_t comma = line.find(',');
    fields.push_back(Trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) {
      return fields;
    }
    line.remove_prefix(comma + 1);
  }
}

// A finite decimal number that is the whole of `s`.
std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) {
    return std::nullopt;
  }
  const std::string copy(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

enum class Column { kHour, kQueue, kArrivals, kAht };

std::optional<Column> ColumnNamed(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "hour") {
    return Column::kHour;
  }
  if (n == "queue") {
    return Column::kQueue;
  }
  if (n == "arrivals") {
    return Column::kArrivals;
  }
  if (n == "aht_s") {
    return Column::kAht;
  }
  return std::nullopt;
}

Status LineError(size_t line, const std::string& what) {
  return Status(Code::kBadRequest, "line " + std::to_string(line) + ": " + what);
}

std::string Quoted(std::string_view s) {
  constexpr size_t kMaxShown = 40;
  std::string out = "'";
  out += s.substr(0, kMaxShown);
  if (s.size() > kMaxShown) {
    out += "...";
  }
  return out + "'";
}

}  // namespace

Result<std::vector<StaffingRow>> PlanStaffing(const std::vector<HourDemand>& hours,
                                              const StaffingTarget& target) {
  if (!(target.service_level > 0 && target.service_level < 1)) {
    return Status(Code::kBadRequest, "the service-level target must be between 0 and 1 (not " +
                                         Number(target.service_level) + "): e.g. 0.8 for 80%");
  }
  if (!(target.threshold_s >= 0) || !std::isfinite(target.threshold_s)) {
    return Status(Code::kBadRequest, "the service-level threshold must be 0 seconds or more");
  }
  if (!(target.period_s > 0) || !std::isfinite(target.period_s)) {
    return Status(Code::kBadRequest, "the period must be longer than 0 seconds");
  }
  if (!(target.aht_s >= 0) || !std::isfinite(target.aht_s)) {
    return Status(Code::kBadRequest, "the handle time must be a positive number of seconds");
  }
  std::vector<StaffingRow> rows;
  rows.reserve(hours.size());
  for (const HourDemand& hour : hours) {
    StaffingRow row;
    row.demand = hour;
    if (row.demand.aht_s <= 0) {
      row.demand.aht_s = target.aht_s;
    }
    const std::string name =
        "hour " + Quoted(hour.hour) + (hour.queue.empty() ? "" : " of queue " + Quoted(hour.queue));
    if (!(row.demand.aht_s > 0) || !std::isfinite(row.demand.aht_s)) {
      return Status(Code::kBadRequest, name + " has no handle time: give the AHT in seconds");
    }
    if (!(hour.arrivals >= 0) || !std::isfinite(hour.arrivals)) {
      return Status(Code::kBadRequest, name + " has arrivals " + Number(hour.arrivals) +
                                           ": a number of 0 or more is needed");
    }
    const double rate = hour.arrivals / target.period_s;  // per second
    row.offered_load = rate * row.demand.aht_s;
    if (row.offered_load > kMaxOfferedLoad) {
      return Status(Code::kBadRequest,
                    name + " offers " + Number(row.offered_load) + " erlangs (" +
                        Number(hour.arrivals) + " arrivals * " + Number(row.demand.aht_s) +
                        " s / " + Number(target.period_s) + " s), more than the " +
                        Number(kMaxOfferedLoad) + " this tool plans for: check the units");
    }
    if (hour.arrivals > 0) {
      const std::optional<int> agents =
          AgentsForServiceLevel(rate, row.demand.aht_s, target.threshold_s, target.service_level);
      if (!agents.has_value()) {
        return Status(Code::kBadRequest, name + ": no number of agents reaches the target");
      }
      row.agents = *agents;
      const ErlangCResult r = Evaluate({rate, row.demand.aht_s, row.agents}, target.threshold_s);
      row.service_level = r.service_level;
      row.asa_s = r.asa;
      row.occupancy = r.occupancy;
      row.p_wait = r.p_wait;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<HourDemand>> ParseArrivalsCsv(std::string_view text) {
  std::vector<Column> columns;
  std::vector<HourDemand> hours;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    const std::string_view raw = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.find('"') != std::string_view::npos) {
      return LineError(line_number, "quoted fields are not supported (write labels without '\"')");
    }
    const std::vector<std::string_view> fields = SplitFields(line);
    if (columns.empty()) {
      // The first record: a header if it names an `arrivals` column.
      bool header = false;
      for (std::string_view f : fields) {
        header = header || Lower(f) == "arrivals";
      }
      if (header) {
        for (std::string_view f : fields) {
          const std::optional<Column> c = ColumnNamed(f);
          if (!c.has_value()) {
            return LineError(line_number, "unknown column " + Quoted(f) +
                                              " (the columns are hour, queue, arrivals, aht_s)");
          }
          for (Column seen : columns) {
            if (seen == *c) {
              return LineError(line_number, "column " + Quoted(f) + " appears twice");
            }
          }
          columns.push_back(*c);
        }
        bool has_hour = false;
        for (Column c : columns) {
          has_hour = has_hour || c == Column::kHour;
        }
        if (!has_hour) {
          return LineError(line_number, "the header names no 'hour' column");
        }
        continue;
      }
      if (fields.size() == 2) {
        columns = {Column::kHour, Column::kArrivals};
      } else if (fields.size() == 3) {
        columns = {Column::kHour, Column::kArrivals, Column::kAht};
      } else {
        return LineError(line_number,
                         "expected hour,arrivals or hour,arrivals,aht_s (or a "
                         "header line), found " +
                             std::to_string(fields.size()) + " fields");
      }
    }
    if (fields.size() != columns.size()) {
      return LineError(line_number, "expected " + std::to_string(columns.size()) +
                                        " fields, found " + std::to_string(fields.size()));
    }
    HourDemand hour;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view f = fields[i];
      switch (columns[i]) {
        case Column::kHour:
          if (f.empty()) {
            return LineError(line_number, "the hour is empty");
          }
          hour.hour = std::string(f);
          break;
        case Column::kQueue:
          hour.queue = std::string(f);
          break;
        case Column::kArrivals: {
          const std::optional<double> v = ParseNumber(f);
          if (!v.has_value() || *v < 0) {
            return LineError(line_number,
                             "arrivals " + Quoted(f) + " is not a number of 0 or more");
          }
          hour.arrivals = *v;
          break;
        }
        case Column::kAht: {
          if (f.empty()) {
            break;  // the target's
          }
          const std::optional<double> v = ParseNumber(f);
          if (!v.has_value() || *v <= 0) {
            return LineError(line_number, "aht_s " + Quoted(f) + " is not a number above 0");
          }
          hour.aht_s = *v;
          break;
        }
      }
    }
    hours.push_back(std::move(hour));
  }
  if (hours.empty()) {
    return Status(Code::kBadRequest, "no data: expected lines of hour,arrivals[,aht_s]");
  }
  return hours;
}

}  // namespace switchboard::planning
