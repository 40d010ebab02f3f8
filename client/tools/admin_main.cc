// switchboard-admin: looks up transcripts and sessions in a running broker, for quality
// inspection and support; lists the sessions the broker sampled for quality inspection; and
// plans staffing per hour by Erlang C from a forecast or from the broker's arrival counts.
//
//   switchboard-admin transcript --session 42
//   switchboard-admin sessions --tenant acme --customer c-42 --from 2024-05-01 --to 2024-06-01
//   switchboard-admin sessions --agent agent-7 --from 1714521600 --limit 500 --json
//   switchboard-admin qa --since 2024-05-01 --until 2024-05-02 [--recheck]
//   switchboard-admin staffing --arrivals-csv forecast.csv --aht-s 240 --sl-target 0.8
//   switchboard-admin staffing --from-broker tcp://10.0.0.5:5570 --since 2024-05-01
//                              --until 2024-05-02 --aht-s 240 --format csv
//
// Follows the broker's pages (next_index, next_cursor) until --limit items or the end.
// Exit status: 0 on success, 1 if the broker refused or did not answer, 2 for a missing
// customer/agent, an unreadable time, a bad arrivals file or staffing target, CLI11's codes
// (105-109) for other bad flags.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/json_quote.h"

#include "planning/staffing.h"
#include "switchboard/client/admin.h"

namespace {

using namespace switchboard::client;

constexpr uint32_t kMaxPage = 1000;

// ---- Time: parsing of --from/--to, and printing ----

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads exactly `n` digits at the front of `*s`.
std::optional<int> TakeNumber(std::string_view* s, size_t n) {
  if (s->size() < n || !Digits(s->substr(0, n))) {
    return std::nullopt;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    v = v * 10 + ((*s)[i] - '0');
  }
  s->remove_prefix(n);
  return v;
}

bool Take(std::string_view* s, char c) {
  if (!s->empty() && s->front() == c) {
    s->remove_prefix(1);
    return true;
  }
  return false;
}

// Unix seconds (with an optional fraction), or ISO 8601: YYYY-MM-DD, optionally followed by
// T (or a space) and HH:MM[:SS[.fraction]], then optionally Z or an offset (+HH:MM, -HHMM).
// Without an offset the time is UTC. Returns microseconds since the Unix epoch.
std::optional<int64_t> ParseTime(std::string_view text) {
  const size_t dot = text.find('.');
  if (Digits(text.substr(0, dot)) && text.find('-') == std::string_view::npos) {
    int64_t us = 0;
    for (char c : text.substr(0, dot)) {
      us = us * 10 + (c - '0');
    }
    us *= 1'000'000;
    if (dot != std::string_view::npos) {
      std::string_view frac = text.substr(dot + 1);
      if (!Digits(frac)) {
        return std::nullopt;
      }
      int64_t scale = 100'000;
      for (char c : frac.substr(0, 6)) {
        us += (c - '0') * scale;
        scale /= 10;
      }
    }
    return us;
  }
  std::string_view s = text;
  struct tm tm = {};
  auto year = TakeNumber(&s, 4);
  if (!year || !Take(&s, '-')) {
    return std::nullopt;
  }
  auto month = TakeNumber(&s, 2);
  if (!month || !Take(&s, '-')) {
    return std::nullopt;
  }
  auto day = TakeNumber(&s, 2);
  if (!day) {
    return std::nullopt;
  }
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  int64_t micros = 0;
  if (Take(&s, 'T') || Take(&s, 't') || Take(&s, ' ')) {
    auto hour = TakeNumber(&s, 2);
    if (!hour || !Take(&s, ':')) {
      return std::nullopt;
    }
    auto minute = TakeNumber(&s, 2);
    if (!minute) {
      return std::nullopt;
    }
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    if (Take(&s, ':')) {
      auto second = TakeNumber(&s, 2);
      if (!second) {
        return std::nullopt;
      }
      tm.tm_sec = *second;
      if (Take(&s, '.')) {
        int64_t scale = 100'000;
        size_t n = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
          if (n++ < 6) {
            micros += (s.front() - '0') * scale;
            scale /= 10;
          }
          s.remove_prefix(1);
        }
        if (n == 0) {
          return std::nullopt;
        }
      }
    }
  }
  int64_t offset_s = 0;
  if (Take(&s, 'Z') || Take(&s, 'z')) {
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const int sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
    auto oh = TakeNumber(&s, 2);
    Take(&s, ':');
    auto om = TakeNumber(&s, 2);
    if (!oh || !om) {
      return std::nullopt;
    }
    offset_s = sign * (int64_t{*oh} * 3600 + int64_t{*om} * 60);
  }
  if (!s.empty() || *month < 1 || *month > 12 || *day < 1 || *day > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  const time_t t = timegm(&tm);
  return (static_cast<int64_t>(t) - offset_s) * 1'000'000 + micros;
}

// "2024-05-01T12:00:05.123Z"; "-" for 0.
std::string FormatTime(int64_t us) {
  if (us == 0) {
    return "-";
  }
  const time_t t = static_cast<time_t>(us / 1'000'000);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((us % 1'000'000) / 1000));
  return buf;
}

// "2024-05-01T09:00Z": the start of an hour.
std::string FormatHour(int64_t us) {
  const time_t t = static_cast<time_t>(us / 1'000'000);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min);
  return buf;
}

// ---- JSON ----

std::string Json(std::string_view s) { return switchboard::JsonQuote(s); }

std::string Json(int64_t v) { return std::to_string(v); }
std::string Json(uint64_t v) { return std::to_string(v); }
std::string Json(bool v) { return v ? "true" : "false"; }

void PrintTranscriptJson(uint64_t session_id, const std::vector<TranscriptEntry>& entries,
                         uint32_t next_index, bool more) {
  std::string out = "{\"session_id\":" + Json(session_id) + ",\"entries\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const TranscriptEntry& e = entries[i];
    out += i == 0 ? "" : ",";
    out += "{\"index\":" + Json(uint64_t{e.index}) + ",\"from\":" + Json(PartyName(e.from)) +
           ",\"agent_id\":" + Json(e.agent_id) + ",\"text\":" + Json(e.text) +
           ",\"at_us\":" + Json(e.at_us) + ",\"at\":" + Json(FormatTime(e.at_us)) + "}";
  }
  out += "],\"next_index\":" + Json(uint64_t{next_index}) + ",\"more\":" + Json(more) + "}";
  std::printf("%s\n", out.c_str());
}

void PrintSessionsJson(const std::vector<SessionSummary>& sessions, const std::string& cursor,
                       bool more) {
  std::string out = "{\"sessions\":[";
  for (size_t i = 0; i < sessions.size(); ++i) {
    const SessionSummary& s = sessions[i];
    out += i == 0 ? "" : ",";
    out += "{\"session_id\":" + Json(s.session_id) + ",\"tenant\":" + Json(s.tenant) +
           ",\"channel\":" + Json(ChannelName(s.channel)) +
           ",\"customer_id\":" + Json(s.customer_id) + ",\"agent_id\":" + Json(s.agent_id) +
           ",\"state\":" + Json(SessionStateName(s.state)) + ",\"queue\":" + Json(s.queue) +
           ",\"created_at_us\":" + Json(s.created_at_us) +
           ",\"answered_at_us\":" + Json(s.answered_at_us) +
           ",\"closed_at_us\":" + Json(s.closed_at_us) + ",\"disposition\":" +
           Json(s.state == SessionState::kClosed ? DispositionName(s.disposition) : "") +
           ",\"transcript_size\":" + Json(uint64_t{s.transcript_size}) +
           ",\"topic\":" + Json(s.topic) + "}";
  }
  out += "],\"next_cursor\":" + Json(cursor) + ",\"more\":" + Json(more) + "}";
  std::printf("%s\n", out.c_str());
}

// ---- Human-readable ----

void PrintTranscriptText(uint64_t session_id, const std::vector<TranscriptEntry>& entries,
                         uint32_t next_index, bool more) {
  std::printf("session %llu: %zu entries\n", static_cast<unsigned long long>(session_id),
              entries.size());
  for (const TranscriptEntry& e : entries) {
    std::string who(PartyName(e.from));
    if (!e.agent_id.empty()) {
      who += " " + e.agent_id;
    }
    std::printf("%5u  %s  %-20s %s\n", e.index, FormatTime(e.at_us).c_str(), who.c_str(),
                e.text.c_str());
  }
  if (more) {
    std::printf("(more: continue with --after %u)\n", next_index);
  }
}

void PrintSessionsText(const std::vector<SessionSummary>& sessions, const std::string& cursor,
                       bool more) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"SESSION", "TENANT", "CHANNEL", "CUSTOMER", "AGENT", "STATE", "CREATED (UTC)",
                  "ANSWERED", "CLOSED", "DISPOSITION", "MSGS", "TOPIC"});
  for (const SessionSummary& s : sessions) {
    rows.push_back(
        {std::to_string(s.session_id), s.tenant, std::string(ChannelName(s.channel)), s.customer_id,
         s.agent_id.empty() ? "-" : s.agent_id, std::string(SessionStateName(s.state)),
         FormatTime(s.created_at_us), FormatTime(s.answered_at_us), FormatTime(s.closed_at_us),
         s.state == SessionState::kClosed ? std::string(DispositionName(s.disposition)) : "-",
         std::to_string(s.transcript_size), s.topic.empty() ? "-" : s.topic});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(width[i] - row[i].size() + 2, ' ');
      }
    }
    std::printf("%s\n", line.c_str());
  }
  std::printf("%zu sessions\n", sessions.size());
  if (more) {
    std::printf("(more: continue with --cursor %s)\n", cursor.c_str());
  }
}

// ---- Staffing ----

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) {
    return "inf";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Percent(double share) { return Fixed(100 * share, 1) + "%"; }

// The staffing plan as a table, CSV or JSON on stdout.
void PrintStaffing(const std::vector<switchboard::planning::StaffingRow>& rows,
                   const switchboard::planning::StaffingTarget& target, const std::string& format) {
  bool queues = false;
  for (const auto& r : rows) {
    queues = queues || !r.demand.queue.empty();
  }
  if (format == "csv") {
    std::printf("hour,queue,arrivals,aht_s,offered_load,agents,service_level,asa_s,occupancy,"
                "p_wait\n");
    for (const auto& r : rows) {
      std::printf("%s,%s,%s,%s,%s,%d,%s,%s,%s,%s\n", r.demand.hour.c_str(),
                  r.demand.queue.c_str(), Fixed(r.demand.arrivals, 2).c_str(),
                  Fixed(r.demand.aht_s, 1).c_str(), Fixed(r.offered_load, 4).c_str(), r.agents,
                  Fixed(r.service_level, 4).c_str(), Fixed(r.asa_s, 2).c_str(),
                  Fixed(r.occupancy, 4).c_str(), Fixed(r.p_wait, 4).c_str());
    }
    return;
  }
  if (format == "json") {
    auto num = [](double v, int decimals) {
      return std::isfinite(v) ? Fixed(v, decimals) : "null";
    };
    std::string out = "{\"target\":{\"service_level\":" + num(target.service_level, 4) +
                      ",\"threshold_s\":" + num(target.threshold_s, 1) +
                      ",\"aht_s\":" + num(target.aht_s, 1) + "},\"hours\":[";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      out += i == 0 ? "" : ",";
      out += "{\"hour\":" + Json(r.demand.hour) + ",\"queue\":" + Json(r.demand.queue) +
             ",\"arrivals\":" + num(r.demand.arrivals, 2) + ",\"aht_s\":" +
             num(r.demand.aht_s, 1) + ",\"offered_load\":" + num(r.offered_load, 4) +
             ",\"agents\":" + std::to_string(r.agents) + ",\"service_level\":" +
             num(r.service_level, 4) + ",\"asa_s\":" + num(r.asa_s, 2) +
             ",\"occupancy\":" + num(r.occupancy, 4) + ",\"p_wait\":" + num(r.p_wait, 4) + "}";
    }
    std::printf("%s]}\n", out.c_str());
    return;
  }
  std::vector<std::vector<std::string>> table;
  table.push_back({"HOUR", "QUEUE", "ARRIVALS", "AHT(s)", "LOAD(erl)", "AGENTS", "SL", "ASA(s)",
                   "OCCUPANCY"});
  const switchboard::planning::StaffingRow* peak = nullptr;
  for (const auto& r : rows) {
    const bool whole = r.demand.arrivals == std::floor(r.demand.arrivals);
    table.push_back(
        {r.demand.hour, r.demand.queue.empty() ? "-" : r.demand.queue,
         Fixed(r.demand.arrivals, whole ? 0 : 1), Fixed(r.demand.aht_s, 0),
         Fixed(r.offered_load, 2), std::to_string(r.agents), Percent(r.service_level),
         Fixed(r.asa_s, 1), Percent(r.occupancy)});
    if (peak == nullptr || r.agents > peak->agents) {
      peak = &r;
    }
  }
  std::vector<size_t> width(table.front().size(), 0);
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i == 1 && !queues) {
        continue;
      }
      const size_t pad = width[i] - row[i].size();
      // Text left-aligned, numbers right-aligned.
      line += i <= 1 ? row[i] + std::string(pad, ' ') : std::string(pad, ' ') + row[i];
      if (i + 1 < row.size()) {
        line += "  ";
      }
    }
    std::printf("%s\n", line.c_str());
  }
  std::printf("Erlang C, target %s answered within %s s", Percent(target.service_level).c_str(),
              Fixed(target.threshold_s, 0).c_str());
  if (peak != nullptr) {
    std::printf("; peak %d agents (%s%s%s)", peak->agents, peak->demand.hour.c_str(),
                peak->demand.queue.empty() ? "" : ", ", peak->demand.queue.c_str());
  }
  std::printf("\n");
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "switchboard-admin: %s\n", what.c_str());
  return 1;
}

std::string DefaultClientId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  // One id per host, not per run: the broker keeps a mark for every client id it has seen.
  return "switchboard-admin-" + std::string(host);
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint = "tcp://127.0.0.1:5570";
  std::string client_id = DefaultClientId();
  bool json = false;
  int64_t timeout_ms = 10000;

  CLI::App app{
      "switchboard-admin: look up transcripts, sessions and the QA sample in a switchboard\n"
      "broker, and plan staffing by Erlang C."};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--connect", endpoint, "the broker's endpoint")->capture_default_str();
  app.add_option("--client-id", client_id, "the name to sign in with (role Admin)");
  app.add_flag("--json", json, "print JSON instead of text");
  app.add_option("--timeout-ms", timeout_ms, "how long to wait for the broker, per page")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();

  uint64_t session_id = 0;
  uint32_t after = 0;
  uint32_t transcript_limit = 0;
  uint32_t page_size = 200;
  CLI::App* transcript = app.add_subcommand("transcript", "print a session's transcript");
  transcript->add_option("--session", session_id, "the session id")->required();
  transcript->add_option("--after", after, "start at this index (skip the entries before it)");
  transcript->add_option("--limit", transcript_limit, "at most this many entries (0: all)")
      ->capture_default_str();
  transcript->add_option("--page-size", page_size, "entries per request to the broker")
      ->check(CLI::Range(1u, kMaxPage))
      ->capture_default_str();

  std::string tenant;
  std::string customer;
  std::string agent;
  std::string from_text;
  std::string to_text;
  std::string cursor;
  uint32_t sessions_limit = 100;
  CLI::App* sessions =
      app.add_subcommand("sessions", "list the sessions of a customer or of an agent");
  auto* tenant_opt = sessions->add_option("--tenant", tenant, "the customer's tenant");
  auto* customer_opt =
      sessions->add_option("--customer", customer, "a customer id (sessions by creation time)");
  auto* agent_opt =
      sessions->add_option("--agent", agent, "an agent id (sessions by the time it accepted them)");
  customer_opt->needs(tenant_opt)->excludes(agent_opt);
  sessions->add_option("--from", from_text,
                       "from this time on (inclusive): ISO 8601 (2024-05-01, "
                       "2024-05-01T12:00:00Z, ...; UTC without an offset) or Unix seconds");
  sessions->add_option("--to", to_text, "up to this time (exclusive), as --from");
  sessions->add_option("--cursor", cursor, "continue where an earlier listing stopped");
  sessions->add_option("--limit", sessions_limit, "at most this many sessions (0: all)")
      ->capture_default_str();
  sessions->add_option("--page-size", page_size, "sessions per request to the broker")
      ->check(CLI::Range(1u, kMaxPage))
      ->capture_default_str();

  std::string since_text;
  std::string until_text;
  bool recheck = false;
  uint32_t qa_limit = 100;
  CLI::App* reload = app.add_subcommand(
      "reload-routing", "make the broker re-read its routing file (as SIGHUP does); prints the "
                        "load error (file, line, field) if the file is refused");
  CLI::App* qa = app.add_subcommand(
      "qa", "list the closed sessions flagged for quality inspection (print one with transcript)");
  qa->add_option("--since", since_text,
                 "closed from this time on (inclusive), as sessions --from");
  qa->add_option("--until", until_text, "closed before this time (exclusive)");
  qa->add_flag("--recheck", recheck, "only the sessions flagged again for a re-check");
  qa->add_option("--cursor", cursor, "continue where an earlier listing stopped");
  qa->add_option("--limit", qa_limit, "at most this many sessions (0: all)")->capture_default_str();
  qa->add_option("--page-size", page_size, "sessions per request to the broker")
      ->check(CLI::Range(1u, kMaxPage))
      ->capture_default_str();

  std::string arrivals_csv;
  std::string from_broker;
  std::string queue;
  std::string format = "table";
  switchboard::planning::StaffingTarget target;
  target.aht_s = 0;
  CLI::App* staffing = app.add_subcommand(
      "staffing", "agents needed per hour by Erlang C, from hourly arrivals and a service level");
  auto* csv_opt = staffing->add_option(
      "--arrivals-csv", arrivals_csv,
      "hourly arrivals from this CSV file ('-': stdin): lines of hour,arrivals[,aht_s], or a "
      "header naming hour, queue, arrivals, aht_s");
  auto* broker_opt = staffing->add_option(
      "--from-broker", from_broker,
      "hourly arrivals counted by the broker at this endpoint, over --since/--until");
  csv_opt->excludes(broker_opt);
  staffing->add_option("--since", since_text, "with --from-broker: the first hour (as --from)");
  staffing->add_option("--until", until_text, "with --from-broker: the end (exclusive)");
  staffing->add_option("--queue", queue, "only this queue (default: every queue)");
  staffing->add_option("--aht-s", target.aht_s,
                       "mean handle time in seconds (for hours that give none)")
      ->check(CLI::PositiveNumber);
  staffing->add_option("--sl-target", target.service_level,
                       "share to answer within --sl-seconds, between 0 and 1 (0.8: 80%)")
      ->capture_default_str();
  staffing->add_option("--sl-seconds", target.threshold_s, "the service level's threshold")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  staffing->add_option("--format", format, "table, csv or json (--json: json)")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  int64_t from_us = 0;
  int64_t to_us = 0;
  if (*sessions && customer.empty() && agent.empty()) {
    std::fprintf(stderr, "switchboard-admin sessions: give --tenant and --customer, or --agent\n");
    return 2;
  }
  if (*qa || *staffing) {
    from_text = since_text;
    to_text = until_text;
  }
  {
    for (auto [text, out, name] :
         {std::make_tuple(&from_text, &from_us, *sessions ? "--from" : "--since"),
          std::make_tuple(&to_text, &to_us, *sessions ? "--to" : "--until")}) {
      if (text->empty()) {
        continue;
      }
      std::optional<int64_t> t = ParseTime(*text);
      if (!t.has_value()) {
        std::fprintf(stderr,
                     "switchboard-admin: %s '%s' is not a time (ISO 8601 such as "
                     "2024-05-01T12:00:00Z, or Unix seconds)\n",
                     name, text->c_str());
        return 2;
      }
      *out = *t;
    }
  }

  if (*staffing) {
    if (json) {
      format = "json";
    }
    std::vector<switchboard::planning::HourDemand> hours;
    if (arrivals_csv.empty() == from_broker.empty()) {
      std::fprintf(stderr,
                   "switchboard-admin staffing: give --arrivals-csv FILE or --from-broker "
                   "ENDPOINT\n");
      return 2;
    }
    if (!arrivals_csv.empty()) {
      std::stringstream text;
      if (arrivals_csv == "-") {
        text << std::cin.rdbuf();
      } else {
        std::ifstream file(arrivals_csv);
        if (!file) {
          std::fprintf(stderr, "switchboard-admin staffing: cannot read '%s'\n",
                       arrivals_csv.c_str());
          return 2;
        }
        text << file.rdbuf();
      }
      auto parsed = switchboard::planning::ParseArrivalsCsv(text.str());
      if (!parsed.ok()) {
        std::fprintf(stderr, "switchboard-admin staffing: %s: %s\n", arrivals_csv.c_str(),
                     parsed.status().message().c_str());
        return 2;
      }
      for (auto& h : *parsed) {
        if (queue.empty() || h.queue == queue) {
          hours.push_back(std::move(h));
        }
      }
    } else {
      constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;
      constexpr int64_t kMaxHours = 24 * 366;
      if (from_us <= 0 || to_us <= from_us) {
        std::fprintf(stderr,
                     "switchboard-admin staffing: --from-broker needs --since and a later "
                     "--until\n");
        return 2;
      }
      const int64_t first_hour = from_us - from_us % kHourUs;
      if ((to_us - first_hour) / kHourUs > kMaxHours) {
        std::fprintf(stderr, "switchboard-admin staffing: plan at most %lld hours at once\n",
                     static_cast<long long>(kMaxHours));
        return 2;
      }
      AdminOptions options;
      options.client_id = client_id;
      options.connect_timeout = std::chrono::milliseconds(timeout_ms);
      auto admin = Admin::Connect(from_broker, options);
      if (!admin.ok()) {
        return Fail(admin.error().ToString());
      }
      std::map<std::pair<int64_t, std::string>, uint64_t> counts;
      std::set<std::string> queues;
      if (!queue.empty()) {
        queues.insert(queue);
      }
      std::string next;
      for (bool more = true; more;) {
        auto page = admin->Arrivals(queue, from_us, to_us, next, kMaxPage,
                                    std::chrono::milliseconds(timeout_ms));
        if (!page.ok()) {
          return Fail("arrivals: " + page.error().ToString());
        }
        for (const HourlyArrivals& h : page->hours) {
          counts[{h.hour_start_us, h.queue}] = h.arrivals;
          queues.insert(h.queue);
        }
        next = page->next_cursor;
        more = page->more;
      }
      // Every hour of the period for every queue: an hour without arrivals needs no one.
      for (int64_t hour = first_hour; hour < to_us; hour += kHourUs) {
        for (const std::string& q : queues) {
          auto it = counts.find({hour, q});
          hours.push_back({FormatHour(hour), q,
                           static_cast<double>(it == counts.end() ? 0 : it->second), 0});
        }
      }
      if (queues.empty()) {
        std::fprintf(stderr,
                     "switchboard-admin staffing: the broker counted no arrivals in that "
                     "period\n");
      }
    }
    auto plan = switchboard::planning::PlanStaffing(hours, target);
    if (!plan.ok()) {
      std::fprintf(stderr, "switchboard-admin staffing: %s\n", plan.status().message().c_str());
      return 2;
    }
    PrintStaffing(*plan, target, format);
    return 0;
  }

  AdminOptions options;
  options.client_id = client_id;
  options.connect_timeout = std::chrono::milliseconds(timeout_ms);
  auto admin = Admin::Connect(endpoint, options);
  if (!admin.ok()) {
    return Fail(admin.error().ToString());
  }
  const std::chrono::milliseconds timeout(timeout_ms);

  if (*reload) {
    auto st = admin->ReloadRouting(timeout);
    if (!st.ok()) {
      return Fail("reload-routing: " + st.error().ToString());
    }
    std::printf("routing reloaded\n");
    return 0;
  }

  if (*transcript) {
    std::vector<TranscriptEntry> entries;
    uint32_t next = after;
    bool more = true;
    while (more && (transcript_limit == 0 || entries.size() < transcript_limit)) {
      uint32_t ask = page_size;
      if (transcript_limit != 0) {
        ask = std::min<uint32_t>(ask, transcript_limit - static_cast<uint32_t>(entries.size()));
      }
      auto page = admin->Transcript(session_id, next, ask, timeout);
      if (!page.ok()) {
        return Fail("transcript of session " + std::to_string(session_id) + ": " +
                    page.error().ToString());
      }
      for (TranscriptEntry& e : page->entries) {
        entries.push_back(std::move(e));
      }
      next = page->next_index;
      more = page->more;
    }
    if (json) {
      PrintTranscriptJson(session_id, entries, next, more);
    } else {
      PrintTranscriptText(session_id, entries, next, more);
    }
    return 0;
  }

  std::vector<SessionSummary> found;
  bool more = true;
  const uint32_t limit = *qa ? qa_limit : sessions_limit;
  while (more && (limit == 0 || found.size() < limit)) {
    uint32_t ask = page_size;
    if (limit != 0) {
      ask = std::min<uint32_t>(ask, limit - static_cast<uint32_t>(found.size()));
    }
    auto page =
        *qa ? admin->QaSessions(from_us, to_us, recheck, cursor, ask, timeout)
        : agent.empty()
            ? admin->SessionsOfCustomer(tenant, customer, from_us, to_us, cursor, ask, timeout)
            : admin->SessionsOfAgent(agent, from_us, to_us, cursor, ask, timeout);
    if (!page.ok()) {
      return Fail(std::string(*qa ? "qa" : "sessions") + ": " + page.error().ToString());
    }
    for (SessionSummary& s : page->sessions) {
      found.push_back(std::move(s));
    }
    cursor = page->next_cursor;
    more = page->more;
  }
  if (!more) {
    cursor.clear();
  }
  if (json) {
    PrintSessionsJson(found, cursor, more);
  } else {
    PrintSessionsText(found, cursor, more);
    if (*qa && !found.empty()) {
      std::printf("(read one with: switchboard-admin transcript --session %llu)\n",
                  static_cast<unsigned long long>(found.front().session_id));
    }
  }
  return 0;
}
