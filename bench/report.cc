#include "report.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "planning/erlang_c.h"
#include "json.h"

namespace switchboard::bench {
namespace {

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// "850 us", "1.25 ms", "2.10 s": one unit that keeps three significant digits.
std::string Micros(double us) {
  if (us < 1000) {
    return Format("%.0f us", us);
  }
  if (us < 1e6) {
    return Format("%.2f ms", us / 1e3);
  }
  return Format("%.2f s", us / 1e6);
}

std::string Percent(double share) { return Format("%.1f %%", 100 * share); }

std::string Seconds(double s) {
  if (!std::isfinite(s)) {
    return "infinite";
  }
  return s < 10 ? Format("%.3f s", s) : Format("%.1f s", s);
}

std::string Rate(double per_s) { return Thousands(static_cast<uint64_t>(per_s + 0.5)); }

void WriteLatency(JsonWriter& j, std::string_view key, const LatencySummary& l) {
  j.Key(key).BeginObject();
  j.Field("count", l.count);
  j.Field("mean", l.mean_us);
  j.Field("p50", l.p50_us);
  j.Field("p90", l.p90_us);
  j.Field("p99", l.p99_us);
  j.Field("p999", l.p999_us);
  j.Field("max", l.max_us);
  j.EndObject();
}

void Line(std::string& out, std::string_view label, const std::string& value) {
  out += "  ";
  out += label;
  out.append(label.size() < 38 ? 38 - label.size() : 2, ' ');
  out += value;
  out += '\n';
}

std::string LatencyLine(const LatencySummary& l) {
  if (l.count == 0) {
    return "no samples";
  }
  return "p50 " + Micros(l.p50_us) + "  p90 " + Micros(l.p90_us) + "  p99 " + Micros(l.p99_us) +
         "  p99.9 " + Micros(l.p999_us) + "  max " + Micros(l.max_us) + "  (n " +
         Thousands(l.count) + ")";
}

}  // namespace

std::string Thousands(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

LatencySummary LatencySummary::Of(const Histogram& h) {
  LatencySummary l;
  l.count = h.count();
  if (l.count == 0) {
    return l;
  }
  l.mean_us = h.mean() / 1e3;
  l.p50_us = static_cast<double>(h.ValueAtQuantile(0.50)) / 1e3;
  l.p90_us = static_cast<double>(h.ValueAtQuantile(0.90)) / 1e3;
  l.p99_us = static_cast<double>(h.ValueAtQuantile(0.99)) / 1e3;
  l.p999_us = static_cast<double>(h.ValueAtQuantile(0.999)) / 1e3;
  l.max_us = static_cast<double>(h.max()) / 1e3;
  return l;
}

ContactCentreFigures CompareWithErlangC(const ContactCentreCounts& c, const Settings& s) {
  ContactCentreFigures f;
  f.counts = c;
  f.abandonment_modelled = s.patience_s > 0;
  f.abandoned = c.left > c.left_after_answer ? c.left - c.left_after_answer : 0;
  const uint64_t settled = c.answered + f.abandoned;
  f.unanswered = c.offered > settled ? c.offered - settled : 0;
  if (c.offered > 0) {
    f.answer_rate = static_cast<double>(c.answered) / static_cast<double>(c.offered);
    f.abandon_rate = static_cast<double>(f.abandoned) / static_cast<double>(c.offered);
    f.service_level =
        static_cast<double>(c.answered_within_threshold) / static_cast<double>(c.offered);
  }
  if (c.answered > 0) {
    f.asa_s = c.wait_sum_s / static_cast<double>(c.answered);
  }
  if (c.window_s > 0) {
    f.measured_arrival_rate = static_cast<double>(c.offered) / c.window_s;
  }
  if (c.handled > 0) {
    f.measured_aht_s = c.handle_sum_s / static_cast<double>(c.handled);
  }
  f.servers = s.agents * s.agent_capacity;
  const planning::ErlangCResult e =
      planning::Evaluate({f.measured_arrival_rate, s.handle_time_s, f.servers}, s.sl_threshold_s);
  f.offered_load = e.offered_load;
  f.occupancy = e.occupancy;
  f.erlang_c_p_wait = e.p_wait;
  f.erlang_c_service_level = e.service_level;
  f.erlang_c_asa_s = e.asa;
  f.erlang_c_stable = e.stable;
  if (f.measured_aht_s > 0) {
    const planning::ErlangCResult m =
        planning::Evaluate({f.measured_arrival_rate, f.measured_aht_s, f.servers}, s.sl_threshold_s);
    f.erlang_c_service_level_measured_aht = m.service_level;
    f.erlang_c_asa_s_measured_aht = m.asa;
  }
  const auto need = planning::AgentsForServiceLevel(f.measured_arrival_rate, s.handle_time_s,
                                                s.sl_threshold_s, s.sl_target);
  if (need.has_value()) {
    f.agents_needed = (*need + s.agent_capacity - 1) / s.agent_capacity;
  }
  return f;
}

std::string ToJson(const Settings& s, const RunReport& r) {
  JsonWriter j;
  j.BeginObject();
  j.Field("tool", "switchboard-bench");
  j.Field("name", s.name);
  j.Field("mode", s.mode_name);
  j.Field("complete", r.complete);
  j.Field("failure", r.failure);
  j.Field("started_at", r.host.started_at);
  // The headline fields issue #6 asks for, at the top level.
  j.Field("throughput_msgs_per_s", r.throughput_msgs_per_s);
  WriteLatency(j, "latency_us", r.latency);
  const ContactCentreFigures* cc = r.contact_centre ? &*r.contact_centre : nullptr;
  const bool raw = s.mode == Mode::kRaw;
  // offered/answered: contacts in contact-centre mode, customer messages in raw mode.
  j.Field("offered", cc != nullptr ? cc->counts.offered : r.sent);
  j.Field("answered", cc != nullptr ? cc->counts.answered : r.received);
  j.Field("abandoned", cc != nullptr ? cc->abandoned : uint64_t{0});
  if (cc != nullptr) {
    j.Field("service_level", cc->service_level);
    j.Field("erlang_c_service_level", cc->erlang_c_service_level);
  } else {
    j.NullField("service_level");
    j.NullField("erlang_c_service_level");
  }
  if (r.baseline_msgs_per_s.has_value()) {
    j.Field("baseline_msgs_per_s", *r.baseline_msgs_per_s);
    j.Field("baseline_ratio",
            *r.baseline_msgs_per_s > 0 ? r.throughput_msgs_per_s / *r.baseline_msgs_per_s : 0.0);
  } else {
    j.NullField("baseline_msgs_per_s");
    j.NullField("baseline_ratio");
  }
  j.Field("window_s", r.window_s);
  j.Field("offered_msgs_per_s", r.offered_msgs_per_s);
  j.Field("acked_msgs_per_s", r.acked_msgs_per_s);
  j.Key("settings");
  WriteSettings(j, s);

  j.Key("messages").BeginObject();
  j.Field("sent", r.sent);
  j.Field("acked", r.acked);
  j.Field("received", r.received);
  j.Field("lost", r.lost);
  j.Field("duplicates", r.duplicates);
  j.Field("replies_sent", r.replies_sent);
  j.Field("replies_received", r.replies_received);
  j.Field("busy", r.busy);
  j.Field("errors", r.errors);
  j.Field("stale_offers", r.stale_offers);
  j.Field("over_capacity_offers", r.over_capacity_offers);
  j.Field("credit_waits", r.credit_waits);
  j.Field("credit_wait_s", r.credit_wait_s);
  j.Field("reconnects", r.reconnects);
  j.EndObject();
  WriteLatency(j, "reply_latency_us", r.reply_latency);

  j.Key("contact_centre");
  if (cc == nullptr) {
    j.Null();
  } else {
    j.BeginObject();
    j.Field("window_s", cc->counts.window_s);
    j.Field("arrivals", cc->counts.arrivals);
    j.Field("offered", cc->counts.offered);
    j.Field("busy", cc->counts.busy);
    j.Field("answered", cc->counts.answered);
    j.Field("answered_within_threshold", cc->counts.answered_within_threshold);
    j.Field("unanswered", cc->unanswered);
    j.Field("still_waiting", cc->counts.still_waiting);
    j.Field("abandoned", cc->abandoned);
    j.Field("abandon_rate", cc->abandon_rate);
    j.Field("abandonment_modelled", cc->abandonment_modelled);
    j.Field("left", cc->counts.left);
    j.Field("left_after_answer", cc->counts.left_after_answer);
    j.Field("answer_rate", cc->answer_rate);
    j.Field("service_level", cc->service_level);
    j.Field("sl_threshold_s", s.sl_threshold_s);
    j.Field("asa_s", cc->asa_s);
    WriteLatency(j, "wait_us", r.wait);
    j.Field("measured_arrival_rate", cc->measured_arrival_rate);
    j.Field("measured_aht_s", cc->measured_aht_s);
    j.Field("handled", cc->counts.handled);
    j.Key("erlang_c").BeginObject();
    j.Field("servers", cc->servers);
    j.Field("arrival_rate", cc->measured_arrival_rate);
    j.Field("handle_time_s", s.handle_time_s);
    j.Field("offered_load_erlangs", cc->offered_load);
    j.Field("occupancy", cc->occupancy);
    j.Field("stable", cc->erlang_c_stable);
    j.Field("p_wait", cc->erlang_c_p_wait);
    j.Field("service_level", cc->erlang_c_service_level);
    j.Field("asa_s", cc->erlang_c_asa_s);
    j.Field("service_level_with_measured_aht", cc->erlang_c_service_level_measured_aht);
    j.Field("asa_s_with_measured_aht", cc->erlang_c_asa_s_measured_aht);
    j.Field("agents_needed_for_target", cc->agents_needed);
    j.Field("sl_target", s.sl_target);
    j.Field("assumes_no_abandonment", true);
    j.EndObject();
    j.EndObject();
  }

  j.Key("broker").BeginObject();
  j.Field("started_by_bench", r.broker.started_by_bench);
  j.Field("endpoint", r.broker.endpoint);
  j.Field("version", r.broker.version);
  j.Field("durability", r.broker.durability);
  j.Field("cpu_s", r.broker.cpu_s);
  j.Field("cpu_us_per_msg", r.broker.cpu_us_per_msg);
  j.Field("rss_peak_kb", r.broker.rss_peak_kb);
  j.EndObject();
  j.Field("bench_cpu_s", r.bench_cpu_s);
  j.Key("host").BeginObject();
  j.Field("hostname", r.host.hostname);
  j.Field("cpus", r.host.cpus);
  j.Field("load_avg_1m", r.host.load_avg_1m);
  j.EndObject();

  j.Key("timeline").BeginArray();
  for (const TimelinePoint& p : r.timeline) {
    j.BeginObject();
    j.Field("t_s", p.t_s);
    j.Field("multiplier", p.multiplier);
    j.Field("sent", p.sent);
    j.Field("acked", p.acked);
    j.Field("received", p.received);
    if (!raw) {
      j.Field("arrivals", p.arrivals);
      j.Field("answered", p.answered);
      j.Field("waiting", p.waiting);
    }
    j.Field("busy", p.busy);
    j.Field("p50_us", p.latency.p50_us);
    j.Field("p99_us", p.latency.p99_us);
    j.Field("max_us", p.latency.max_us);
    j.EndObject();
  }
  j.EndArray();
  j.Key("notes").BeginArray();
  for (const std::string& n : r.notes) {
    j.Value(n);
  }
  j.EndArray();
  j.EndObject();
  return j.str();
}

std::string SummaryTable(const Settings& s, const RunReport& r) {
  std::string out;
  out += "\nswitchboard-bench: " + s.name + " (" + s.mode_name + ")\n";
  std::string setup = Seconds(s.duration_s) + " of load, " + Seconds(s.warmup_s) +
                      " warm-up left out; " + std::to_string(s.message_size) + "-byte messages; " +
                      std::to_string(s.adapters) + " adapter(s), " + std::to_string(s.agents) +
                      " agent(s)";
  out += "  " + setup + "\n";
  out += std::string("  broker: ") +
         (r.broker.started_by_bench ? "started by the bench, " : "at ") + r.broker.endpoint +
         ", durability " + r.broker.durability + "\n";
  if (!r.complete) {
    out += "  RUN FAILED: " + r.failure + "\n";
  }
  out += "\n";
  Line(out, "throughput (received by workers)", Rate(r.throughput_msgs_per_s) + " msg/s");
  Line(out, "offered (sent by adapters)", Rate(r.offered_msgs_per_s) + " msg/s");
  Line(out, "acknowledged by the broker", Rate(r.acked_msgs_per_s) + " msg/s");
  Line(out, "latency send -> worker", LatencyLine(r.latency));
  if (s.mode == Mode::kContactCentre) {
    Line(out, "latency reply -> adapter", LatencyLine(r.reply_latency));
  }
  Line(out, "credit waits (window full)",
       Thousands(r.credit_waits) + " (" + Seconds(r.credit_wait_s) + " blocked in all)");
  Line(out, "busy answers", Thousands(r.busy));
  Line(out, "messages",
       "sent " + Thousands(r.sent) + ", received " + Thousands(r.received) + ", lost " +
           Thousands(r.lost) + ", duplicates " + Thousands(r.duplicates) + ", errors " +
           Thousands(r.errors));
  if (s.mode == Mode::kContactCentre) {
    Line(out, "replies",
         "sent " + Thousands(r.replies_sent) + ", received " + Thousands(r.replies_received));
  }
  if (r.reconnects > 0 || r.stale_offers > 0 || r.over_capacity_offers > 0) {
    Line(out, "reconnects / stale offers / over-capacity",
         Thousands(r.reconnects) + " / " + Thousands(r.stale_offers) + " / " +
             Thousands(r.over_capacity_offers));
  }
  if (r.broker.cpu_s >= 0) {
    std::string cpu = Format("%.2f s", r.broker.cpu_s) +
                      Format(" (%.2f cores)", r.window_s > 0 ? r.broker.cpu_s / r.window_s : 0);
    if (r.broker.cpu_us_per_msg >= 0) {
      cpu += Format(", %.1f us per message", r.broker.cpu_us_per_msg);
    }
    Line(out, "broker CPU in the window", cpu);
  }
  if (r.broker.rss_peak_kb >= 0) {
    Line(out, "broker peak RSS",
         Format("%.0f MB", static_cast<double>(r.broker.rss_peak_kb) / 1024));
  }
  if (r.bench_cpu_s >= 0) {
    Line(out, "bench CPU in the window",
         Format("%.2f s", r.bench_cpu_s) +
             Format(" (%.2f cores)", r.window_s > 0 ? r.bench_cpu_s / r.window_s : 0));
  }
  if (r.baseline_msgs_per_s.has_value()) {
    Line(out, "baseline: raw ZeroMQ relay",
         Rate(*r.baseline_msgs_per_s) + " msg/s; the broker ran at " +
             Percent(*r.baseline_msgs_per_s > 0 ? r.throughput_msgs_per_s / *r.baseline_msgs_per_s
                                                : 0) +
             " of it");
  }
  if (r.contact_centre.has_value()) {
    const ContactCentreFigures& f = *r.contact_centre;
    out += "\n  contact centre (sessions that arrived in the measured window)\n";
    Line(out, "arrivals / offered / busy",
         Thousands(f.counts.arrivals) + " / " + Thousands(f.counts.offered) + " / " +
             Thousands(f.counts.busy));
    Line(out, "answered",
         Thousands(f.counts.answered) + " (answer rate " + Percent(f.answer_rate) +
             "), unanswered " + Thousands(f.unanswered));
    if (f.abandonment_modelled) {
      Line(out, "abandonment modelled",
           "yes: patience " + s.patience_dist_name + ", mean " + Seconds(s.patience_s) +
               " (Erlang C below assumes none; Erlang A would model it)");
      std::string left = Thousands(f.abandoned) + " (abandon rate " + Percent(f.abandon_rate) + ")";
      if (f.counts.left_after_answer > 0) {
        left += "; " + Thousands(f.counts.left_after_answer) +
                " more left just after an agent accepted (counted answered)";
      }
      Line(out, "abandoned", left);
    } else {
      Line(out, "abandonment modelled", "no (no --patience: the customers never leave)");
      Line(out, "abandoned", "0");
    }
    std::string erlang = f.erlang_c_stable ? "" : " (overloaded: A >= c)";
    if (f.abandonment_modelled) {
      erlang += " (assumes no abandonment)";
    }
    Line(out, "service level within " + Seconds(s.sl_threshold_s),
         Percent(f.service_level) + "   Erlang C: " + Percent(f.erlang_c_service_level) + erlang);
    Line(out, "mean wait (ASA)", Seconds(f.asa_s) + "   Erlang C: " + Seconds(f.erlang_c_asa_s));
    Line(out, "wait percentiles", LatencyLine(r.wait));
    Line(out, "Erlang C inputs",
         Format("lambda %.3f/s, ", f.measured_arrival_rate) +
             Format("AHT %.3f s, ", s.handle_time_s) + "c " + std::to_string(f.servers) +
             Format(", A %.2f erlangs, ", f.offered_load) + "occupancy " + Percent(f.occupancy));
    Line(out, "measured AHT",
         Seconds(f.measured_aht_s) + " -> Erlang C SL " +
             Percent(f.erlang_c_service_level_measured_aht) + ", ASA " +
             Seconds(f.erlang_c_asa_s_measured_aht));
    Line(out, "agents Erlang C needs for " + Percent(s.sl_target),
         f.agents_needed > 0 ? std::to_string(f.agents_needed) : std::string("-"));
  }
  if (!r.notes.empty()) {
    out += "\n  notes:\n";
    for (const std::string& n : r.notes) {
      out += "  - " + n + "\n";
    }
  }
  return out;
}

}  // namespace switchboard::bench
