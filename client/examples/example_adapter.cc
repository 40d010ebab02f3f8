// switchboard-example-adapter: a toy channel adapter. It carries one customer's messages to
// the broker (stdin lines, or --messages N generated ones) and prints what comes back:
// agents' replies, system notices, the session's end.
//
//   switchboard-example-adapter --customer alice            # type lines; Ctrl-D to finish
//   switchboard-example-adapter --messages 3 --wait 10
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "switchboard/client/adapter.h"

namespace {

using namespace std::chrono_literals;
namespace sb = switchboard::client;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// Reads whatever stdin has without blocking; complete lines go to `lines`. Returns false at
// end of input.
bool ReadAvailableLines(std::string& partial, std::deque<std::string>& lines) {
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  while (::poll(&fd, 1, 0) > 0) {
    char buf[4096];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
      if (!partial.empty()) {
        lines.push_back(partial);
        partial.clear();
      }
      return false;
    }
    partial.append(buf, static_cast<size_t>(n));
    for (size_t eol; (eol = partial.find('\n')) != std::string::npos;) {
      std::string line = partial.substr(0, eol);
      partial.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (!line.empty()) {
        lines.push_back(std::move(line));
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint = "tcp://127.0.0.1:5570";
  std::string client_id = "example-adapter";
  std::string tenant = "acme";
  std::string channel_name = "im";
  std::string customer = "customer-1";
  int messages = 0;
  double wait_s = 5;

  CLI::App app{
      "A toy channel adapter for switchboard. Sends one customer's messages to the broker "
      "(each stdin line, or --messages N generated ones) and prints every agent reply, system "
      "notice and session end it receives. After the input ends it waits until the broker "
      "has stored every message, then keeps printing replies until --wait seconds pass "
      "without any, or the customer's session closes."};
  app.add_option("--connect", endpoint, "broker endpoint")->capture_default_str();
  app.add_option("--client-id", client_id, "this adapter's name")->capture_default_str();
  app.add_option("--tenant", tenant, "tenant of the customer")->capture_default_str();
  app.add_option("--channel", channel_name, "channel: im, phone, social, merchant, proactive")
      ->capture_default_str();
  app.add_option("--customer", customer, "customer id")->capture_default_str();
  app.add_option("--messages", messages,
                 "send N messages 'message 1'..'message N' instead of reading stdin")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--wait", wait_s, "seconds to wait for replies after the last event")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  std::optional<sb::Channel> channel = sb::ParseChannel(channel_name);
  if (!channel.has_value()) {
    std::cerr << "unknown channel '" << channel_name << "'\n";
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  sb::AdapterOptions options;
  options.client_id = client_id;
  options.channels = {*channel};
  auto connected = sb::Adapter::Connect(endpoint, options);
  if (!connected.ok()) {
    std::cerr << "cannot connect: " << connected.error().ToString() << "\n";
    return 1;
  }
  sb::Adapter& adapter = *connected;
  std::cerr << "connected to " << endpoint << " (" << adapter.broker().version << ") as "
            << client_id << "\n";

  std::deque<std::string> to_send;
  for (int i = 1; i <= messages; ++i) {
    to_send.push_back("message " + std::to_string(i));
  }
  bool input_open = messages == 0;
  std::string partial;
  bool session_closed = false;
  auto last_event = std::chrono::steady_clock::now();
  const auto quiet = std::chrono::duration<double>(wait_s);

  while (g_stop == 0) {
    if (input_open) {
      input_open = ReadAvailableLines(partial, to_send);
    }
    while (!to_send.empty()) {
      sb::CustomerMessage m;
      m.tenant = tenant;
      m.channel = *channel;
      m.customer_id = customer;
      m.text = to_send.front();
      auto seq = adapter.Send(m);
      if (seq.code() == sb::ErrorCode::kWouldBlock) {
        break;  // the window is full: Poll below frees it
      }
      if (!seq.ok()) {
        std::cerr << "not sent: " << seq.error().ToString() << "\n";
      } else {
        std::cout << "> " << m.text << std::endl;
        session_closed = false;
      }
      to_send.pop_front();
      last_event = std::chrono::steady_clock::now();
    }

    for (const sb::Event& event : adapter.Poll(100ms)) {
      std::visit(
          sb::Overloaded{
              [&](const sb::Delivery& d) {
                std::cout << "[session " << d.session_id << "] "
                          << (d.from == sb::Party::kAgent ? "reply from " + d.agent_id
                                                          : std::string(sb::PartyName(d.from)))
                          << ": " << d.text << std::endl;
                (void)adapter.Ack(d.delivery_id);
                last_event = std::chrono::steady_clock::now();
              },
              [&](const sb::SessionClosed& c) {
                std::cout << "[session " << c.session_id << "] closed ("
                          << sb::DispositionName(c.disposition) << ")" << std::endl;
                (void)adapter.Ack(c.delivery_id);
                session_closed = session_closed || c.customer_id == customer;
                last_event = std::chrono::steady_clock::now();
              },
              [&](const sb::ErrorEvent& e) {
                std::cerr << "error: " << e.error.ToString() << "\n";
              },
              [&](const sb::Disconnected& d) { std::cerr << "disconnected: " << d.reason << "\n"; },
              [&](const sb::Reconnected& r) {
                std::cerr << "reconnected; re-sent " << r.resent << " messages\n";
              },
              [](const auto&) {}},
          event);
    }

    const bool all_out = !input_open && to_send.empty() && adapter.pending() == 0;
    if (all_out && (session_closed || std::chrono::steady_clock::now() - last_event > quiet)) {
      break;
    }
  }

  // Let the last acknowledgements and messages leave before the socket closes.
  sb::Status done = adapter.WaitAllAcked(2s);
  if (!done.ok()) {
    std::cerr << "exiting with unacknowledged messages: " << done.ToString() << "\n";
  }
  adapter.Poll(100ms);
  return 0;
}
