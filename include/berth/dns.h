// The embedded DNS server of containers on user-defined networks, as
// Docker's: each such container's /etc/resolv.conf names 127.0.0.11, and a
// query sent there reaches berthd, which answers from the network service's
// view of who shares a network with the asking container, or forwards it to
// the host's resolvers.
//
// Two parts:
//   - AnswerQuery (pure, no I/O): one query's wire bytes in, a reply, "drop"
//     or "forward" out. Messages are parsed and built with NLnet Labs ldns.
//   - EmbeddedDns: one UDP and one TCP listener per container, opened inside
//     the container's network namespace on 127.0.0.11 at random ports, with
//     iptables DNAT rules in that namespace (chains BERTH_DNS_OUTPUT and
//     BERTH_DNS_POSTROUTING of its nat table) sending 127.0.0.11:53 to them,
//     so a process of the container may still bind port 53 itself. All
//     sockets are served by one event-loop thread (Boost.Asio) of berthd;
//     forwarded queries leave from berthd's own (the host's) namespace, so
//     the host's loopback resolvers work too.
//
// Limits (EmbeddedDnsOptions): a deadline per upstream try, a cap on the
// queries being forwarded at once (past it: SERVFAIL at once), TCP
// connections per container, their idle timeout and message size.
// Malformed packets, responses and non-queries are dropped without effect.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "berth/status.h"

namespace berth::dns {

// The TTL of the answers about containers (Docker's).
constexpr uint32_t kAnswerTtlSeconds = 600;
// The classic UDP message limit: a longer reply to a UDP query is sent
// truncated (TC set, no answers) so the client asks again over TCP.
constexpr size_t kUdpReplyLimit = 512;

// A container the asker may resolve, on one network they share.
struct Peer {
  std::string ip;                  // IPv4, dotted
  std::string network;             // the network's name
  std::string container_name;      // without "/"
  std::vector<std::string> names;  // container name, aliases, short ID
};

enum class Disposition {
  kDrop,     // not a well-formed query: nothing is sent back
  kReply,    // `reply` holds the answer's wire bytes
  kForward,  // not a container's name: ask the upstream resolvers
};

struct QueryOutcome {
  Disposition disposition = Disposition::kDrop;
  std::vector<uint8_t> reply;
};

// Answers one query (`packet`, a DNS message) from `peers`:
//   - A for a peer's name, alias or short ID, or any of them followed by
//     ".NETWORK" (then only peers on that network): every matching address,
//     TTL kAnswerTtlSeconds; names compare case-insensitively;
//   - AAAA for such a name: NOERROR without answers (no IPv6);
//   - PTR for a peer's address (d.c.b.a.in-addr.arpa): "NAME.NETWORK.";
//   - any other name, type or class: kForward;
//   - a response, a message without exactly one question, an opcode other
//     than QUERY, or bytes ldns cannot parse: kDrop.
// A reply longer than `max_reply_size` is sent truncated (TC, no answers).
QueryOutcome AnswerQuery(std::span<const uint8_t> packet, const std::vector<Peer>& peers, size_t max_reply_size);

// SERVFAIL for `packet` (its ID and question), when forwarding failed;
// empty when `packet` is not a query AnswerQuery would forward.
std::vector<uint8_t> ServerFailure(std::span<const uint8_t> packet);

// Whether `packet` is a well-formed response to query ID `id` (what an
// upstream sends back is checked before it is relayed).
bool IsResponseTo(std::span<const uint8_t> packet, uint16_t id);

struct EmbeddedDnsOptions {
  // How long one upstream resolver is given before the next is asked; when
  // the last one fails too the client gets SERVFAIL.
  std::chrono::milliseconds upstream_timeout{std::chrono::seconds(2)};
  size_t max_forwards_in_flight = 256;
  size_t max_tcp_connections_per_container = 16;
  std::chrono::milliseconds tcp_idle_timeout{std::chrono::seconds(10)};
  size_t max_tcp_message_bytes = 4096;  // a query over TCP longer than this ends its connection
};

// Who the container `container_id` may resolve; called on the event-loop
// thread at every query (membership is never cached).
using PeerLookup = std::function<std::vector<Peer>(const std::string& container_id)>;

// Thread-safety: thread-safe; Open and Close block until the event loop has
// taken the change, so they must not be called from `lookup`.
class EmbeddedDns {
 public:
  // Starts the event-loop thread.
  static Result<std::unique_ptr<EmbeddedDns>> Start(PeerLookup lookup, const EmbeddedDnsOptions& opts);
  // Closes every listener and joins the thread.
  virtual ~EmbeddedDns() = default;

  // Opens container `container_id`'s listeners in the network namespace at
  // `netns_path` and points 127.0.0.11:53 at them (replacing the rules and
  // listeners an earlier Open, or a previous berthd, left). `upstreams`:
  // IPv4 addresses of the resolvers other names go to (port 53), in order;
  // none: such queries get SERVFAIL. `new_namespace`: the caller made the
  // namespace for this start and no Open ran in it, so none of the rules
  // is there yet (one iptables-restore makes them all); false: some may be
  // (each jump is checked before it is added).
  [[nodiscard]] virtual Status Open(const std::string& container_id, const std::string& netns_path,
                                    const std::vector<std::string>& upstreams, bool new_namespace) = 0;
  // Closes the container's listeners and its TCP connections (the rules go
  // with the namespace). Not open: nothing.
  virtual void Close(const std::string& container_id) = 0;
  // The containers with open listeners (tests).
  virtual std::vector<std::string> OpenContainers() = 0;
};

}  // namespace berth::dns
