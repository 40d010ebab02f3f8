// switchboard-example-worker: a toy agent. It signs in, accepts every offer, echoes each
// customer message back and closes the session when the customer writes "bye".
//
//   switchboard-example-worker --agent-id agent-1 --skill billing:5
#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "switchboard/client/worker.h"

namespace {

using namespace std::chrono_literals;
namespace sb = switchboard::client;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool IsBye(std::string text) {
  text.erase(0, text.find_first_not_of(" \t\r\n"));
  text.erase(text.find_last_not_of(" \t\r\n.!") + 1);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text == "bye";
}

// Sends with `send`, waiting for the broker's acks while the window is full.
template <typename Send>
sb::Result<uint64_t> SendPatiently(sb::Client& client, Send send) {
  for (;;) {
    sb::Result<uint64_t> r = send();
    if (r.code() != sb::ErrorCode::kWouldBlock || g_stop != 0) {
      return r;
    }
    (void)client.WaitAllAcked(100ms);  // keeps arriving events for the next Poll
  }
}

void Report(const char* what, const sb::Result<uint64_t>& r) {
  if (!r.ok()) {
    std::cerr << what << " not sent: " << r.error().ToString() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint = "tcp://127.0.0.1:5570";
  std::string agent_id = "agent-1";
  std::string group;
  std::vector<std::string> skills;
  int im_sessions = 3;
  double run_for_s = 0;

  CLI::App app{
      "A toy agent for switchboard. Signs in as an agent, accepts every offer, answers each "
      "customer message with \"agent <id>: received '<text>'\", and closes the session "
      "(disposition resolved) when the customer writes \"bye\" (any case, surrounding spaces "
      "and a final '.' or '!' ignored). Runs until Ctrl-C, or --run-for seconds."};
  app.add_option("--connect", endpoint, "broker endpoint")->capture_default_str();
  app.add_option("--agent-id", agent_id, "the agent id (also the client id)")
      ->capture_default_str();
  app.add_option("--group", group, "agent group, e.g. pre-sale");
  app.add_option("--skill", skills, "a skill as name or name:level (repeatable)");
  app.add_option("--im-sessions", im_sessions, "IM sessions the agent can hold at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--run-for", run_for_s, "stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  sb::WorkerOptions options;
  options.agent_id = agent_id;
  options.group = group;
  for (const std::string& s : skills) {
    sb::Skill skill;
    const size_t colon = s.find(':');
    skill.name = s.substr(0, colon);
    if (colon != std::string::npos) {
      try {
        skill.level = static_cast<uint8_t>(std::clamp(std::stoi(s.substr(colon + 1)), 0, 255));
      } catch (const std::exception&) {
        std::cerr << "bad skill '" << s << "': expected name or name:level\n";
        return 2;
      }
    }
    options.skills.push_back(skill);
  }
  options.capacity = {{sb::Channel::kIm, static_cast<uint16_t>(im_sessions)}};
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  auto connected = sb::Worker::Connect(endpoint, options);
  if (!connected.ok()) {
    std::cerr << "cannot connect: " << connected.error().ToString() << "\n";
    return 1;
  }
  sb::Worker& worker = *connected;
  std::cerr << "signed in to " << endpoint << " (" << worker.broker().version << ") as agent "
            << agent_id << "\n";

  const auto stop_at = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(run_for_s));
  while (g_stop == 0 && (run_for_s == 0 || std::chrono::steady_clock::now() < stop_at)) {
    for (const sb::Event& event : worker.Poll(200ms)) {
      std::visit(
          sb::Overloaded{
              [&](const sb::Offer& o) {
                std::cout << "offer: session " << o.session_id << " from " << o.tenant << "/"
                          << o.customer_id << " on " << sb::ChannelName(o.channel) << " (waited "
                          << o.waited_ms << " ms): accepting" << std::endl;
                Report("accept", SendPatiently(worker, [&] { return worker.Accept(o); }));
              },
              [&](const sb::Delivery& d) {
                if (d.from == sb::Party::kCustomer) {
                  std::cout << "[session " << d.session_id << "] " << d.customer_id << ": "
                            << d.text << std::endl;
                  const std::string reply = "agent " + agent_id + ": received '" + d.text + "'";
                  Report("reply",
                         SendPatiently(worker, [&] { return worker.Reply(d.session_id, reply); }));
                  if (IsBye(d.text)) {
                    std::cout << "[session " << d.session_id << "] closing" << std::endl;
                    Report("close", SendPatiently(worker, [&] {
                             return worker.Close(d.session_id, sb::Disposition::kResolved);
                           }));
                  }
                }
                (void)worker.Ack(d.delivery_id);  // handled: the reply is in the window
              },
              [&](const sb::SessionClosed& c) {
                std::cout << "[session " << c.session_id << "] closed ("
                          << sb::DispositionName(c.disposition) << ")" << std::endl;
                (void)worker.Ack(c.delivery_id);
              },
              [&](const sb::ErrorEvent& e) {
                std::cerr << "error";
                if (e.request != sb::RequestKind::kNone) {
                  std::cerr << " (" << sb::RequestKindName(e.request) << ", session "
                            << e.session_id << ")";
                }
                std::cerr << ": " << e.error.ToString() << "\n";
              },
              [&](const sb::Disconnected& d) { std::cerr << "disconnected: " << d.reason << "\n"; },
              [&](const sb::Reconnected& r) {
                std::cerr << "reconnected; re-sent " << r.resent << " messages\n";
              },
              [](const auto&) {}},
          event);
    }
  }

  // Let the last replies and acknowledgements leave before the socket closes.
  sb::Status done = worker.WaitAllAcked(2s);
  if (!done.ok()) {
    std::cerr << "exiting with unacknowledged messages: " << done.ToString() << "\n";
  }
  worker.Poll(100ms);
  return 0;
}
