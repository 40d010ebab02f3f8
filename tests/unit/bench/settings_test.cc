#include "settings.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#ifndef SWITCHBOARD_BENCH_SCENARIO_DIR
#error "SWITCHBOARD_BENCH_SCENARIO_DIR must be defined by the build"
#endif

namespace switchboard::bench {
namespace {

// Parses `args` (without the program name) as switchboard-bench would; returns Resolve's
// verdict, or the parse error prefixed with "parse: ".
std::string Parse(std::vector<std::string> args, Settings& s) {
  s.broker_path = "switchboard-broker";
  CLI::App app;
  AddFlags(app, s);
  std::vector<const char*> argv = {"switchboard-bench"};
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return std::string("parse: ") + e.what();
  }
  return Resolve(s);
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("bench-settings-test-" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             std::to_string(reinterpret_cast<uintptr_t>(this)) + ".toml");
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(Settings, DefaultsAreARawCreditBoundRun) {
  Settings s;
  ASSERT_EQ(Parse({}, s), "");
  EXPECT_EQ(s.mode, Mode::kRaw);
  EXPECT_DOUBLE_EQ(s.rate, 0);
  EXPECT_FALSE(s.poisson);
  EXPECT_EQ(s.message_size, 256u);
  EXPECT_EQ(s.durability, "fast");
  EXPECT_EQ(s.agent_capacity, 250);  // raw: 1,000 sessions over 4 agents
  EXPECT_TRUE(s.progress);
}

TEST(Settings, FlagsOverrideTheScenarioFile) {
  TempFile file(
      "# a steady day\n"
      "name = \"file\"\n"
      "mode = \"contact-centre\"\n"
      "arrival-rate = 12.5\n"
      "agents = 40\n"
      "handle-time = 3\n"
      "schedule = \"10s@1, 5s@1..4\"\n"
      "broker-arg = [\"--max-frames-per-turn\", \"64\"]\n"
      "baseline = true\n"
      "quiet = true\n");
  Settings s;
  ASSERT_EQ(Parse({"--scenario", file.path(), "--agents", "50", "--seed", "9"}, s), "");
  EXPECT_EQ(s.name, "file");
  EXPECT_EQ(s.mode, Mode::kContactCentre);
  EXPECT_TRUE(s.poisson);  // auto: Poisson sessions in contact-centre mode
  EXPECT_DOUBLE_EQ(s.arrival_rate, 12.5);
  EXPECT_EQ(s.agents, 50);  // the flag wins
  EXPECT_EQ(s.seed, 9u);
  EXPECT_DOUBLE_EQ(s.handle_time_s, 3);
  EXPECT_EQ(s.schedule.segments().size(), 2u);
  EXPECT_DOUBLE_EQ(s.schedule.MultiplierAt(15), 4);
  EXPECT_EQ(s.broker_args, (std::vector<std::string>{"--max-frames-per-turn", "64"}));
  EXPECT_TRUE(s.baseline);
  EXPECT_FALSE(s.progress);
}

TEST(Settings, UnknownKeysInAScenarioAreAnError) {
  TempFile file("arrival-rat = 12\n");
  Settings s;
  EXPECT_EQ(Parse({"--scenario", file.path()}, s).rfind("parse: ", 0), 0u);
}

TEST(Settings, ChecksValuesAndCombinations) {
  struct Case {
    std::vector<std::string> args;
    std::string complaint;
  };
  const std::vector<Case> cases = {
      {{"--mode", "cc"}, "--arrival-rate"},
      {{"--duration", "0"}, "--duration"},
      {{"--warmup", "10", "--duration", "10"}, "--warmup"},
      {{"--rate", "-1"}, "--rate"},
      {{"--schedule", "10s@2"}, "give --rate"},
      {{"--rate", "100", "--schedule", "10s"}, "--schedule"},
      {{"--agents", "0"}, "--agents"},
      {{"--sessions", "200000", "--agents", "1"}, "65535"},
      {{"--mode", "cc", "--arrival-rate", "1", "--agent-capacity", "0"}, "--agent-capacity"},
      {{"--mode", "cc", "--arrival-rate", "1", "--handle-time", "0"}, "--handle-time"},
      {{"--mode", "cc", "--arrival-rate", "1", "--messages-per-session", "0.5"},
       "--messages-per-session"},
      {{"--sl-target", "1"}, "--sl-target"},
      {{"--crash-at", "5", "--crash-workers", "9", "--agents", "4"}, "--crash-workers"},
      {{"--heartbeat-ms", "10"}, "--heartbeat-ms"},
      {{"--message-size", "0"}, "--message-size"},
      {{"--durability", "paranoid"}, "parse: "},
      {{"--mode", "cc", "--arrival-rate", "1", "--patience", "-1"}, "--patience"},
      {{"--rate", "10", "--patience", "30"}, "contact-centre"},
      {{"--mode", "cc", "--arrival-rate", "1", "--patience-dist", "uniform"}, "parse: "},
      {{"--mode", "cc", "--arrival-rate", "1", "--patience", "5", "--patience-sigma", "0"},
       "--patience-sigma"},
      {{"--mode", "batch"}, "parse: "},
  };
  for (const Case& c : cases) {
    Settings s;
    const std::string got = Parse(c.args, s);
    EXPECT_NE(got.find(c.complaint), std::string::npos)
        << "args: " << ::testing::PrintToString(c.args) << " gave: '" << got << "'";
  }
}

TEST(Settings, ContactCentreOptions) {
  Settings s;
  ASSERT_EQ(Parse({"--mode", "cc", "--arrival-rate", "5", "--arrivals", "uniform", "--handle-dist",
                   "lognormal", "--agent-capacity", "3", "--crash-at", "10",
                   "--crash-restart-after", "-1"},
                  s),
            "");
  EXPECT_EQ(s.mode_name, "contact-centre");
  EXPECT_FALSE(s.poisson);
  EXPECT_EQ(s.handle_dist, HandleDistribution::kLogNormal);
  EXPECT_EQ(s.agent_capacity, 3);
  EXPECT_DOUBLE_EQ(s.crash_restart_after_s, -1);
}

TEST(Settings, PatienceIsOffUnlessGiven) {
  Settings s;
  ASSERT_EQ(Parse({"--mode", "cc", "--arrival-rate", "5"}, s), "");
  EXPECT_DOUBLE_EQ(s.patience_s, 0);
  EXPECT_EQ(s.patience_dist, HandleDistribution::kExponential);

  Settings p;
  ASSERT_EQ(Parse({"--mode", "cc", "--arrival-rate", "5", "--patience", "30", "--patience-dist",
                   "lognormal", "--patience-sigma", "0.5"},
                  p),
            "");
  EXPECT_DOUBLE_EQ(p.patience_s, 30);
  EXPECT_EQ(p.patience_dist, HandleDistribution::kLogNormal);
  EXPECT_EQ(p.patience_dist_name, "lognormal");
  EXPECT_DOUBLE_EQ(p.patience_sigma, 0.5);

  Settings e;
  ASSERT_EQ(Parse({"--mode", "cc", "--arrival-rate", "5", "--patience-dist", "exp"}, e), "");
  EXPECT_EQ(e.patience_dist_name, "exponential");
}

TEST(Settings, PatienceFromTheScenarioFileAndTheFlagWins) {
  TempFile file(
      "mode = \"contact-centre\"\n"
      "arrival-rate = 2\n"
      "patience = 30\n"
      "patience-dist = \"lognormal\"\n");
  Settings s;
  ASSERT_EQ(Parse({"--scenario", file.path()}, s), "");
  EXPECT_DOUBLE_EQ(s.patience_s, 30);
  EXPECT_EQ(s.patience_dist, HandleDistribution::kLogNormal);
  Settings f;
  ASSERT_EQ(Parse({"--scenario", file.path(), "--patience", "0"}, f), "");
  EXPECT_DOUBLE_EQ(f.patience_s, 0);  // the flag turns it off again
}

// Every scenario shipped in bench/scenarios/ parses and passes the checks.
TEST(Settings, EveryShippedScenarioIsValid) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SWITCHBOARD_BENCH_SCENARIO_DIR)) {
    if (entry.path().extension() != ".toml") {
      continue;
    }
    ++seen;
    Settings s;
    EXPECT_EQ(Parse({"--scenario", entry.path().string()}, s), "") << entry.path();
    EXPECT_FALSE(s.description.empty()) << entry.path() << " says nothing about itself";
  }
  EXPECT_GE(seen, 4);
}

}  // namespace
}  // namespace switchboard::bench
