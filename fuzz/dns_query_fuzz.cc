// Fuzz target: the embedded DNS server's query handler (AnswerQuery,
// ServerFailure, IsResponseTo in include/berth/dns.h), which reads what any
// process of a container sends to 127.0.0.11.
// Input: one DNS message, as a container would send it over UDP.
// Invariants: a reply is a well-formed response with the query's ID and its
// one question, within the size limit (the UDP limit, or truncated); a
// forwarded query has a SERVFAIL for it; a dropped one has none; the limit
// changes no disposition.
#include <cstdlib>
#include <string>
#include <vector>

#include "berth/dns.h"
#include "dns/ldns_include.h"
#include "fuzz_util.h"

namespace {

using berth::dns::Disposition;

const std::vector<berth::dns::Peer>& Peers() {
  static const std::vector<berth::dns::Peer> peers = {
      {"10.1.0.2", "apps", "web", {"web", "frontend", "0123456789ab"}},
      {"10.1.0.3", "apps", "db", {"db", "store", "abcdef012345"}},
      {"10.2.0.3", "other", "db2", {"db2", "store", "fedcba987654"}},
  };
  return peers;
}

void CheckReply(const std::vector<uint8_t>& query, const std::vector<uint8_t>& reply, size_t limit) {
  FUZZ_CHECK(!reply.empty());
  FUZZ_CHECK_MSG(reply.size() <= limit, std::to_string(reply.size()));
  const uint16_t id = static_cast<uint16_t>((query[0] << 8) | query[1]);
  FUZZ_CHECK(berth::dns::IsResponseTo(reply, id));
  ldns_pkt* p = nullptr;
  FUZZ_CHECK(ldns_wire2pkt(&p, reply.data(), reply.size()) == LDNS_STATUS_OK);
  FUZZ_CHECK(ldns_rr_list_rr_count(ldns_pkt_question(p)) == 1);
  FUZZ_CHECK(ldns_pkt_get_opcode(p) == LDNS_PACKET_QUERY);
  ldns_pkt_free(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> query(data, data + size);
  const auto udp = berth::dns::AnswerQuery(query, Peers(), berth::dns::kUdpReplyLimit);
  const auto tcp = berth::dns::AnswerQuery(query, Peers(), 65535);
  FUZZ_CHECK(udp.disposition == tcp.disposition);
  const std::vector<uint8_t> servfail = berth::dns::ServerFailure(query);
  switch (udp.disposition) {
    case Disposition::kDrop:
      FUZZ_CHECK(udp.reply.empty());
      FUZZ_CHECK(servfail.empty());
      break;
    case Disposition::kReply:
      CheckReply(query, udp.reply, berth::dns::kUdpReplyLimit);
      CheckReply(query, tcp.reply, 65535);
      break;
    case Disposition::kForward:
      FUZZ_CHECK(udp.reply.empty());
      CheckReply(query, servfail, 65535);
      break;
  }
  return 0;
}
