#include "connection.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace switchboard::client::internal {
namespace {

// One ZeroMQ context for every connection of the process, made on first use and ended with
// the last connection.
std::shared_ptr<zmq::context_t> SharedContext() {
  static std::mutex mu;
  static std::weak_ptr<zmq::context_t> shared;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<zmq::context_t> context = shared.lock();
  if (context == nullptr) {
    context = std::make_shared<zmq::context_t>(1);
    shared = context;
  }
  return context;
}

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Microseconds since the Unix epoch, strictly increasing within the process, so that two
// connections made in the same microsecond still get different epochs.
uint64_t NewEpoch() {
  static std::atomic<uint64_t> last{0};
  uint64_t now = static_cast<uint64_t>(std::max<int64_t>(WallMicros(), 1));
  uint64_t prev = last.load();
  uint64_t next;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

std::string Ms(Millis d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

// --- Life ---

Connection::Connection(ConnectionConfig config, std::shared_ptr<zmq::context_t> context)
    : config_(std::move(config)), context_(std::move(context)), epoch_(NewEpoch()) {
  // Until the first Welcome says otherwise.
  broker_.heartbeat = config_.heartbeat;
  broker_.max_frame_bytes = protocol::kDefaultMaxFrameBytes;
  broker_.max_text_bytes = protocol::kDefaultMaxTextBytes;
}

Connection::~Connection() { CloseSocket(); }

Result<std::unique_ptr<Connection>> Connection::Open(ConnectionConfig config) {
  if (config.heartbeat.count() <= 0 || config.heartbeat.count() > UINT32_MAX) {
    return Error{ErrorCode::kInvalidArgument, "the heartbeat must be a positive number of ms"};
  }
  if (config.window == 0) {
    return Error{ErrorCode::kInvalidArgument, "the window must be at least 1"};
  }
  if (config.connect_timeout.count() < 0) {
    return Error{ErrorCode::kInvalidArgument, "connect_timeout must not be negative"};
  }
  std::shared_ptr<zmq::context_t> context;
  try {
    context = SharedContext();
  } catch (const zmq::error_t& e) {
    return Error{ErrorCode::kTransport, std::string("cannot make a ZeroMQ context: ") + e.what()};
  }
  std::unique_ptr<Connection> c(new Connection(std::move(config), std::move(context)));
  const TimePoint start = SteadyClock::now();
  if (Status s = c->OpenSocket(start); !s.ok()) {
    return s.error();
  }
  const TimePoint deadline = start + c->config_.connect_timeout;
  for (;;) {
    c->Step();
    if (c->state_ == State::kReady) {
      return c;
    }
    if (c->hello_refused_.has_value()) {
      Error e = *c->hello_refused_;
      e.reason = "the broker at " + c->config_.endpoint + " refused the Hello of '" +
                 c->client_id() + "': " + e.reason;
      return e;
    }
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) {
      return Error{ErrorCode::kTimeout, "no Welcome from a broker at " + c->config_.endpoint +
                                            " within " + Ms(c->config_.connect_timeout) +
                                            " (is the broker running there?)"};
    }
    c->Wait(std::min(deadline, c->NextTimer()));
  }
}

Status Connection::OpenSocket(TimePoint now) {
  CloseSocket();
  socket_failed_ = false;
  blocked_ = false;
  state_ = State::kSigningIn;
  hello_sent_ = false;
  socket_opened_ = now;
  sign_in_started_ = now;
  last_received_ = now;
  try {
    zmq::socket_t socket(*context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    // Queue only to a completed connection: a frame sent while the broker is away fails
    // (we keep it) instead of waiting in a pipe that may be dropped with its connection.
    socket.set(zmq::sockopt::immediate, 1);
    socket.connect(config_.endpoint);
    socket_.emplace(std::move(socket));
  } catch (const zmq::error_t& e) {
    return Error{ErrorCode::kTransport,
                 "cannot connect a ZeroMQ DEALER to '" + config_.endpoint + "': " + e.what()};
  }
  return Status::Ok();
}

void Connection::CloseSocket() {
  if (!socket_.has_value()) {
    return;
  }
  try {
    socket_->set(zmq::sockopt::linger, 0);
    socket_->close();
  } catch (const zmq::error_t&) {
    // Closing cannot usefully fail; the socket is gone either way.
  }
  socket_.reset();
}

void Connection::Reconnect(TimePoint now, const std::string& reason) {
  if (state_ == State::kReady) {
    events_.push_back(Disconnected{reason});
  }
  if (Status s = OpenSocket(now); !s.ok()) {
    // Try again after a heartbeat (CheckTimers).
    ReportClientError(s.code(), s.error().reason);
  }
}

void Connection::SignInAgain(TimePoint now, const std::string& reason) {
  if (state_ == State::kReady) {
    events_.push_back(Disconnected{reason});
  }
  state_ = State::kSigningIn;
  hello_sent_ = false;
  sign_in_started_ = now;
}

// --- The public operations ---

void Connection::SetHelloProfile(const WorkerProfile& profile) {
  HelloFields& h = config_.hello;
  h.group = profile.group;
  h.skills = profile.skills;
  h.capacity = profile.capacity;
  h.tier = profile.tier;
  h.outsourced = profile.outsourced;
  h.budget = profile.budget;
  h.costs = profile.costs;
  h.attributes = profile.attributes;
}

Result<uint64_t> Connection::Send(Request request) {
  if (pending_.size() >= config_.window) {
    return Error{ErrorCode::kWouldBlock,
                 "the window of " + std::to_string(config_.window) +
                     " unacknowledged messages is full; Poll until an Acked event, then retry"};
  }
  if (pending_.size() >= credit_) {
    return Error{ErrorCode::kWouldBlock,
                 "the broker grants credit for " + std::to_string(credit_) +
                     " unacknowledged messages now (it is behind); Poll until an Acked event "
                     "grants more, then retry"};
  }
  if (Status st = CheckRequest(request, broker_.max_text_bytes); !st.ok()) {
    return st.error();
  }
  const size_t bytes = EstimateBytes(request);
  if (bytes + kFrameOverheadBytes + kPerEnvelopeOverheadBytes * 2 > max_frame_bytes()) {
    return Error{ErrorCode::kPayloadTooLarge,
                 "a message of about " + std::to_string(bytes) +
                     " bytes does not fit in the broker's frames of at most " +
                     std::to_string(max_frame_bytes()) + " bytes"};
  }
  const uint64_t seq = ++last_seq_;
  pending_.push_back(Pending{seq, std::move(request)});
  return seq;
}

size_t Connection::Poll(Millis timeout, std::vector<Event>& out) {
  const size_t before = out.size();
  const TimePoint deadline = SteadyClock::now() + std::max(timeout, Millis(0));
  for (;;) {
    Step();
    if (!events_.empty()) {
      out.insert(out.end(), std::make_move_iterator(events_.begin()),
                 std::make_move_iterator(events_.end()));
      events_.clear();
      break;
    }
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) {
      break;
    }
    Wait(std::min(deadline, NextTimer()));
  }
  return out.size() - before;
}

Status Connection::Ack(uint64_t delivery_id) {
  if (delivery_id == 0) {
    return Error{ErrorCode::kInvalidArgument, "delivery id 0 names no delivery"};
  }
  if (config_.auto_ack || delivery_id <= delivery_ack_) {
    return Status::Ok();
  }
  auto it = std::lower_bound(received_.begin(), received_.end(), delivery_id,
                             [](const Received& r, uint64_t id) { return r.id < id; });
  if (it == received_.end() || it->id != delivery_id) {
    return Error{ErrorCode::kInvalidArgument,
                 "delivery id " + std::to_string(delivery_id) +
                     " was not delivered to this client (the highest so far is " +
                     std::to_string(highest_delivery_) + ")"};
  }
  it->handled = true;
  while (!received_.empty() && received_.front().handled) {
    delivery_ack_ = received_.front().id;
    received_.pop_front();
    ack_dirty_ = true;
  }
  return Status::Ok();
}

void Connection::Flush() { FlushOutput(SteadyClock::now()); }

Status Connection::WaitAllAcked(Millis timeout) {
  const TimePoint deadline = SteadyClock::now() + std::max(timeout, Millis(0));
  for (;;) {
    Step();
    if (pending_.empty()) {
      return Status::Ok();
    }
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) {
      return Error{ErrorCode::kTimeout,
                   std::to_string(pending_.size()) + " messages (seq " +
                       std::to_string(pending_.front().seq) + ".." + std::to_string(last_seq_) +
                       ") still unacknowledged after " + Ms(timeout) +
                       (state_ == State::kReady ? "" : "; not signed in to the broker")};
    }
    Wait(std::min(deadline, NextTimer()));
  }
}

// --- One step: read, check the timers, write ---

void Connection::Step() {
  const TimePoint start = SteadyClock::now();
  const Millis hb = heartbeat();
  if (start - last_step_ > 2 * hb) {
    // The application did not call for a while (inside Poll steps are at most a heartbeat
    // apart), so we sent no heartbeats and the broker had nothing to answer: that silence is
    // ours. Give the broker two heartbeats from now.
    last_received_ = std::max(last_received_, start - hb);
    sign_in_started_ = std::max(sign_in_started_, start - hb);
  }
  last_step_ = start;
  Drain(start);
  const TimePoint now = SteadyClock::now();
  CheckTimers(now);
  FlushOutput(now);
}

void Connection::Drain(TimePoint now) {
  for (int i = 0; i < kMaxFramesPerStep && socket_.has_value() && !socket_failed_; ++i) {
    zmq::message_t message;
    try {
      if (!socket_->recv(message, zmq::recv_flags::dontwait)) {
        return;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR || e.num() == EAGAIN) {
        return;
      }
      socket_failed_ = true;
      ReportClientError(ErrorCode::kTransport,
                        std::string("receiving from the broker failed: ") + e.what());
      return;
    }
    last_received_ = now;
    HandleFrame({static_cast<const std::byte*>(message.data()), message.size()}, now);
  }
}

void Connection::HandleFrame(std::span<const std::byte> bytes, TimePoint now) {
  auto verified = protocol::VerifyFrame(
      protocol::Aligned(bytes, scratch_),
      std::max<size_t>(protocol::kDefaultMaxFrameBytes, broker_.max_frame_bytes));
  if (!verified.ok()) {
    ReportClientError(static_cast<ErrorCode>(verified.status().code()),
                      "ignored an unreadable frame of " + std::to_string(bytes.size()) +
                          " bytes from the broker: " + verified.status().message());
    // It may have held deliveries; acking past them would lose them. Signing in again makes
    // the broker re-send every unacknowledged delivery, in order.
    if (state_ == State::kReady) {
      SignInAgain(now, "an unreadable frame from the broker; signing in again");
    }
    return;
  }
  for (const wire::Envelope* env : *(*verified)->envelopes()) {
    const wire::Body type = env->body_type();
    switch (type) {
      case wire::Body::Welcome:
        if (const auto* b = env->body_as_Welcome()) {
          HandleWelcome(*b, now);
        }
        break;
      case wire::Body::Heartbeat:
        break;  // its arrival is what counts (last_received_)
      case wire::Body::Ack:
        if (const auto* b = env->body_as_Ack()) {
          HandleAck(b->up_to() + wire_offset_, b->credit());
        }
        break;
      case wire::Body::Error:
        if (const auto* b = env->body_as_Error()) {
          HandleError(*b, now);
        }
        break;
      case wire::Body::Offer:
        if (const auto* b = env->body_as_Offer()) {
          events_.push_back(FromWire(*b));
        }
        break;
      case wire::Body::Deliver:
        if (const auto* b = env->body_as_Deliver(); b != nullptr && TakeDelivery(env->seq())) {
          events_.push_back(FromWire(*b, env->seq()));
        }
        break;
      case wire::Body::Close:
        if (const auto* b = env->body_as_Close(); b != nullptr && TakeDelivery(env->seq())) {
          events_.push_back(FromWire(*b, env->seq()));
        }
        break;
      case wire::Body::OfferWithdrawn:
        if (const auto* b = env->body_as_OfferWithdrawn()) {
          events_.push_back(FromWire(*b));
        }
        break;
      case wire::Body::PresenceChanged:
        if (const auto* b = env->body_as_PresenceChanged()) {
          events_.push_back(FromWire(*b));
        }
        break;
      case wire::Body::Position:
        if (const auto* b = env->body_as_Position()) {
          events_.push_back(FromWire(*b));
        }
        break;
      case wire::Body::Overflowed:
        if (const auto* b = env->body_as_Overflowed()) {
          events_.push_back(FromWire(*b));
        }
        break;
      case wire::Body::TranscriptPage:
      case wire::Body::SessionsPage:
      case wire::Body::ArrivalsPage:
      case wire::Body::RoutingReloaded:
        if (auto answer = AdminAnswerFromWire(*env)) {
          KeepAdminAnswer(std::move(*answer));  // for Call (connection_admin.cc)
        }
        break;
      default:
        ReportClientError(ErrorCode::kUnknownBody,
                          "ignored an envelope of type " + std::string(protocol::BodyName(type)) +
                              " (" + std::to_string(static_cast<int>(type)) +
                              ") from the broker, which a client does not expect");
        break;
    }
  }
}

void Connection::HandleWelcome(const wire::Welcome& w, TimePoint now) {
  broker_.version = w.broker_version() == nullptr ? std::string() : w.broker_version()->str();
  broker_.protocol_version = w.protocol_version();
  broker_.heartbeat = w.heartbeat_ms() > 0 ? Millis(w.heartbeat_ms()) : config_.heartbeat;
  broker_.max_frame_bytes =
      w.max_frame_bytes() > 0 ? w.max_frame_bytes() : protocol::kDefaultMaxFrameBytes;
  broker_.max_text_bytes =
      w.max_text_bytes() > 0 ? w.max_text_bytes() : protocol::kDefaultMaxTextBytes;
  credit_ = w.credit();

  const uint64_t processed = w.processed_seq() + wire_offset_;
  if (processed < acked_seq_ && state_ == State::kSigningIn) {
    // The broker lost acknowledged messages: seq processed+1 would "skip ahead" for it
    // forever. Start a new epoch whose seq 1 is our first pending message.
    ReportClientError(ErrorCode::kDataLoss,
                      "the broker had acknowledged seq " + std::to_string(acked_seq_) +
                          " but now has processed only up to seq " + std::to_string(processed) +
                          ": messages " + std::to_string(processed + 1) + ".." +
                          std::to_string(acked_seq_) +
                          " are lost; signing in again with a new epoch");
    epoch_ = NewEpoch();
    wire_offset_ = acked_seq_;
    // Its delivery ids may have gone back too: forget them (deliveries may repeat), and
    // never acknowledge an id of the lost history.
    highest_delivery_ = 0;
    delivery_ack_ = 0;
    received_.clear();
    ack_dirty_ = false;
    hello_sent_ = false;
    sign_in_started_ = now;
    return;
  }
  if (processed > last_seq_) {
    ReportClientError(ErrorCode::kInternal,
                      "the broker's Welcome says seq " + std::to_string(processed) + " of epoch " +
                          std::to_string(epoch_) +
                          " was processed, but this client sent only up to seq " +
                          std::to_string(last_seq_) + "; numbering goes on after it");
    last_seq_ = processed;
  }
  DropAcked(processed);
  if (state_ == State::kReady) {
    return;  // a Welcome we did not ask for: nothing to re-send
  }
  state_ = State::kReady;
  last_received_ = now;
  hello_refused_.reset();
  unsent_ = 0;  // everything still pending goes out again, in order
  if (welcomed_) {
    events_.push_back(Reconnected{processed, pending_.size()});
  }
  welcomed_ = true;
  if (delivery_ack_ > 0) {
    ack_dirty_ = true;  // the Ack we sent last may have been lost with the old connection
  }
}

void Connection::HandleAck(uint64_t up_to, uint32_t credit) {
  if (up_to > last_seq_) {
    ReportClientError(ErrorCode::kInternal,
                      "the broker acknowledged up to seq " + std::to_string(up_to) +
                          ", beyond the last seq sent, " + std::to_string(last_seq_));
    up_to = last_seq_;
  }
  const bool more_credit = credit > credit_;
  credit_ = credit;
  const uint64_t before = acked_seq_;
  DropAcked(up_to);
  if (more_credit && acked_seq_ == before) {
    events_.push_back(Acked{acked_seq_});  // credit granted again: a sender may retry now
  }
}

void Connection::DropAcked(uint64_t up_to) {
  size_t dropped = 0;
  while (!pending_.empty() && pending_.front().seq <= up_to) {
    pending_.pop_front();
    ++dropped;
  }
  unsent_ = unsent_ > dropped ? unsent_ - dropped : 0;
  if (up_to > acked_seq_) {
    acked_seq_ = up_to;
    events_.push_back(Acked{up_to});
  }
}

void Connection::HandleError(const wire::Error& wire_error, TimePoint now) {
  Error error = FromWire(wire_error);
  if (wire_error.request_id() != 0) {  // answers an admin request: for Call
    KeepAdminAnswer(AdminAnswer{wire_error.request_id(), std::move(error)});
    return;
  }
  if (error.ref_seq != 0) {
    error.ref_seq += wire_offset_;
  }
  if (error.code == ErrorCode::kNotSignedIn) {
    // While signing in, these answer frames sent before our Hello: the Welcome follows.
    if (state_ == State::kReady) {
      SignInAgain(now, "the broker does not know this connection (restarted?): " + error.reason +
                           "; signing in again");
    }
    return;
  }
  if (state_ == State::kSigningIn && hello_sent_ && error.ref_seq == 0) {
    hello_refused_ = error;
  }
  ErrorEvent event;
  event.origin = ErrorOrigin::kBroker;
  if (error.ref_seq != 0 && !pending_.empty() && error.ref_seq >= pending_.front().seq &&
      error.ref_seq <= pending_.back().seq) {
    Describe(pending_[error.ref_seq - pending_.front().seq].request, event);
  }
  event.error = std::move(error);
  events_.push_back(std::move(event));
}

bool Connection::TakeDelivery(uint64_t id) {
  if (id == 0) {
    return true;  // not acknowledgeable; pass it on as it is
  }
  if (id <= highest_delivery_) {
    if (id <= delivery_ack_) {
      ack_dirty_ = true;  // the broker missed our Ack: say it again
    }
    return false;
  }
  highest_delivery_ = id;
  if (config_.auto_ack) {
    delivery_ack_ = id;
    ack_dirty_ = true;
  } else {
    received_.push_back(Received{id, false});
  }
  return true;
}

void Connection::CheckTimers(TimePoint now) {
  const Millis hb = heartbeat();
  if (!socket_.has_value() || socket_failed_) {
    if (now - socket_opened_ >= hb) {
      Reconnect(now, "the ZeroMQ socket failed");
    }
    return;
  }
  if (state_ == State::kReady) {
    if (now - last_received_ >= 3 * hb) {
      Reconnect(now, "no word from the broker for " + Ms(3 * hb) +
                         " (3 heartbeats); reconnecting on a new socket");
    }
  } else if (now - sign_in_started_ >= 3 * hb) {
    Reconnect(now, "no Welcome from the broker within " + Ms(3 * hb));
  }
}

// --- Writing ---

void Connection::FlushOutput(TimePoint now) {
  if (!socket_.has_value() || socket_failed_) {
    return;
  }
  if (state_ == State::kSigningIn) {
    if (!hello_sent_) {
      hello_sent_ = SendHello();
      blocked_ = !hello_sent_;
    }
    return;
  }
  builder_.Reset();
  bool ack_in_frame = false;
  if (ack_dirty_) {
    EncodeAck(builder_, delivery_ack_);
    ack_in_frame = true;
  }
  const size_t limit = max_frame_bytes();
  for (size_t i = unsent_; i < pending_.size(); ++i) {
    const size_t bytes = EstimateBytes(pending_[i].request);
    if (!builder_.empty() && builder_.size() + bytes + kFrameOverheadBytes +
                                     kPerEnvelopeOverheadBytes * (builder_.count() + 1) >
                                 limit) {
      if (!SendBuilt()) {
        blocked_ = true;  // pending_[unsent_..] goes in a later flush
        return;
      }
      unsent_ = i;
      ack_dirty_ = ack_dirty_ && !ack_in_frame;
      ack_in_frame = false;
      builder_.Reset();
    }
    EncodeRequest(builder_, pending_[i].seq - wire_offset_, pending_[i].request);
  }
  if (!builder_.empty()) {
    if (SendBuilt()) {
      unsent_ = pending_.size();
      ack_dirty_ = ack_dirty_ && !ack_in_frame;
    } else {
      blocked_ = true;
    }
    return;
  }
  if (now - last_sent_ >= heartbeat()) {
    EncodeHeartbeat(builder_, WallMicros());
    SendBuilt();
    last_sent_ = now;  // even if it would block: try again a heartbeat later
  }
}

bool Connection::SendHello() {
  builder_.Reset();
  EncodeHello(builder_, config_.hello, epoch_, static_cast<uint32_t>(config_.heartbeat.count()));
  return SendBuilt();
}

bool Connection::SendBuilt() {
  std::span<const std::byte> frame = builder_.Finish();
  try {
    if (!socket_->send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait)) {
      return false;  // no connection yet, or at the high-water mark
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR || e.num() == EAGAIN) {
      return false;
    }
    socket_failed_ = true;
    ReportClientError(ErrorCode::kTransport,
                      std::string("sending to the broker failed: ") + e.what());
    return false;
  }
  last_sent_ = SteadyClock::now();
  blocked_ = false;
  return true;
}

// --- Waiting ---

bool Connection::WantsToWrite() const {
  return blocked_ && socket_.has_value() && !socket_failed_ &&
         (state_ == State::kSigningIn ? !hello_sent_ : unsent_ < pending_.size() || ack_dirty_);
}

Connection::TimePoint Connection::NextTimer() const {
  const Millis hb = heartbeat();
  if (!socket_.has_value() || socket_failed_) {
    return socket_opened_ + hb;
  }
  if (state_ == State::kReady) {
    // A blocked frame waits for POLLOUT, not for the heartbeat (it would go first anyway).
    return blocked_ ? last_received_ + 3 * hb : std::min(last_sent_ + hb, last_received_ + 3 * hb);
  }
  return sign_in_started_ + 3 * hb;
}

void Connection::Wait(TimePoint until) {
  const TimePoint now = SteadyClock::now();
  // Step at least every heartbeat, so that a long gap between steps means the application
  // did not call (see Step).
  until = std::min(until, now + heartbeat());
  if (until <= now) {
    return;
  }
  const Millis wait = std::chrono::ceil<Millis>(until - now);
  if (!socket_.has_value() || socket_failed_) {
    std::this_thread::sleep_for(wait);
    return;
  }
  short events = ZMQ_POLLIN;
  if (WantsToWrite()) {
    events |= ZMQ_POLLOUT;  // wake when the frame that would block can go
  }
  zmq::pollitem_t item{socket_->handle(), 0, events, 0};
  try {
    zmq::poll(&item, 1, wait);
  } catch (const zmq::error_t&) {
    // EINTR: return early; the caller steps and waits again.
  }
}

void Connection::ReportClientError(ErrorCode code, std::string reason) {
  ErrorEvent event;
  event.origin = ErrorOrigin::kClient;
  event.error.code = code;
  event.error.reason = std::move(reason);
  events_.push_back(std::move(event));
}

}  // namespace switchboard::client::internal
