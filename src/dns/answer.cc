// AnswerQuery and the small message helpers of berth/dns.h, on ldns.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

#include "berth/dns.h"
#include "dns/ldns_include.h"

namespace berth::dns {

namespace {

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PacketPtr = std::unique_ptr<ldns_pkt, PacketFree>;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The wire bytes of `packet`; empty if ldns cannot write it.
std::vector<uint8_t> ToWire(const ldns_pkt* packet) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, packet, &size) != LDNS_STATUS_OK || wire == nullptr) {
    std::free(wire);
    return {};
  }
  std::vector<uint8_t> out(wire, wire + size);
  std::free(wire);
  return out;
}

PacketPtr Parse(std::span<const uint8_t> bytes) {
  ldns_pkt* packet = nullptr;
  if (bytes.empty() || ldns_wire2pkt(&packet, bytes.data(), bytes.size()) != LDNS_STATUS_OK) {
    if (packet != nullptr) ldns_pkt_free(packet);
    return nullptr;
  }
  return PacketPtr(packet);
}

// The single question of a well-formed query, or null.
const ldns_rr* QuestionOf(const ldns_pkt* query) {
  if (ldns_pkt_qr(query) || ldns_pkt_get_opcode(query) != LDNS_PACKET_QUERY) return nullptr;
  const ldns_rr_list* questions = ldns_pkt_question(query);
  if (ldns_pkt_qdcount(query) != 1 || questions == nullptr || ldns_rr_list_rr_count(questions) != 1) return nullptr;
  const ldns_rr* q = ldns_rr_list_rr(questions, 0);
  if (q == nullptr || ldns_rr_owner(q) == nullptr) return nullptr;
  return q;
}

// The question's name in lower case without the final dot ("" for the root).
std::string QuestionName(const ldns_rr* q) {
  char* text = ldns_rdf2str(ldns_rr_owner(q));
  if (text == nullptr) return "";
  std::string name = Lower(text);
  std::free(text);
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

// A reply to `query` carrying its ID, RD and question; RA set.
PacketPtr ReplySkeleton(const ldns_pkt* query, const ldns_rr* question, ldns_pkt_rcode rcode) {
  PacketPtr reply(ldns_pkt_new());
  if (!reply) return nullptr;
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(query));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), LDNS_PACKET_QUERY);
  ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(query));
  ldns_pkt_set_ra(reply.get(), true);
  ldns_pkt_set_rcode(reply.get(), rcode);
  ldns_rr* q = ldns_rr_clone(question);
  if (q == nullptr || !ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, q)) {
    if (q != nullptr) ldns_rr_free(q);
    return nullptr;
  }
  return reply;
}

// An answer record: the question's owner, class IN, `type`, one rdata.
bool PushAnswer(ldns_pkt* reply, const ldns_rr* question, ldns_rr_type type, ldns_rdf* rdata) {
  if (rdata == nullptr) return false;
  ldns_rr* rr = ldns_rr_new();
  ldns_rdf* owner = ldns_rdf_clone(ldns_rr_owner(question));
  if (rr == nullptr || owner == nullptr) {
    ldns_rdf_deep_free(rdata);
    if (owner != nullptr) ldns_rdf_deep_free(owner);
    if (rr != nullptr) ldns_rr_free(rr);
    return false;
  }
  ldns_rr_set_owner(rr, owner);
  ldns_rr_set_type(rr, type);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, kAnswerTtlSeconds);
  ldns_rr_push_rdf(rr, rdata);
  if (!ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, rr)) {
    ldns_rr_free(rr);
    return false;
  }
  return true;
}

bool HasName(const Peer& peer, const std::string& name) {
  return std::any_of(peer.names.begin(), peer.names.end(), [&](const std::string& n) { return Lower(n) == name; });
}

// The peers `name` designates: by name, alias or short ID, else the same
// followed by ".NETWORK" on that network only.
std::vector<const Peer*> Matching(const std::vector<Peer>& peers, const std::string& name) {
  std::vector<const Peer*> out;
  for (const Peer& p : peers) {
    if (HasName(p, name)) out.push_back(&p);
  }
  if (!out.empty()) return out;
  for (const Peer& p : peers) {
    const std::string suffix = "." + Lower(p.network);
    if (p.network.empty() || name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
    if (HasName(p, name.substr(0, name.size() - suffix.size()))) out.push_back(&p);
  }
  return out;
}

// "d.c.b.a.in-addr.arpa" → "a.b.c.d"; nullopt for anything else.
std::optional<std::string> ReverseIpv4(const std::string& name) {
  static constexpr std::string_view kSuffix = ".in-addr.arpa";
  if (!name.ends_with(kSuffix)) return std::nullopt;
  std::string_view rest(name.data(), name.size() - kSuffix.size());
  std::vector<std::string> octets;
  while (!rest.empty()) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 3 ||
        !std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(label)) > 255 || (label.size() > 1 && label[0] == '0')) {
      return std::nullopt;
    }
    octets.emplace_back(label);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (octets.size() != 4) return std::nullopt;
  return octets[3] + "." + octets[2] + "." + octets[1] + "." + octets[0];
}

QueryOutcome Reply(ldns_pkt* reply, const ldns_pkt* query, const ldns_rr* question, size_t max_reply_size) {
  std::vector<uint8_t> wire = ToWire(reply);
  if (!wire.empty() && wire.size() > max_reply_size) {
    PacketPtr truncated = ReplySkeleton(query, question, LDNS_RCODE_NOERROR);
    if (!truncated) return {};
    ldns_pkt_set_tc(truncated.get(), true);
    wire = ToWire(truncated.get());
  }
  if (wire.empty()) return {};
  return QueryOutcome{Disposition::kReply, std::move(wire)};
}

}  // namespace

QueryOutcome AnswerQuery(std::span<const uint8_t> packet, const std::vector<Peer>& peers, size_t max_reply_size) {
  PacketPtr query = Parse(packet);
  if (!query) return {};
  const ldns_rr* question = QuestionOf(query.get());
  if (question == nullptr) return {};
  const QueryOutcome forward{Disposition::kForward, {}};
  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) return forward;
  const std::string name = QuestionName(question);
  const ldns_rr_type type = ldns_rr_get_type(question);
  if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) {
    std::vector<const Peer*> found = Matching(peers, name);
    if (found.empty()) return forward;
    PacketPtr reply = ReplySkeleton(query.get(), question, LDNS_RCODE_NOERROR);
    if (!reply) return {};
    if (type == LDNS_RR_TYPE_A) {
      std::vector<std::string> seen;
      for (const Peer* p : found) {
        if (std::find(seen.begin(), seen.end(), p->ip) != seen.end()) continue;
        seen.push_back(p->ip);
        if (!PushAnswer(reply.get(), question, LDNS_RR_TYPE_A, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, p->ip.c_str()))) {
          return {};
        }
      }
    }
    return Reply(reply.get(), query.get(), question, max_reply_size);
  }
  if (type == LDNS_RR_TYPE_PTR) {
    std::optional<std::string> ip = ReverseIpv4(name);
    if (!ip) return forward;
    const Peer* owner = nullptr;
    for (const Peer& p : peers) {
      if (p.ip == *ip && !p.container_name.empty()) {
        owner = &p;
        break;
      }
    }
    if (owner == nullptr) return forward;
    PacketPtr reply = ReplySkeleton(query.get(), question, LDNS_RCODE_NOERROR);
    if (!reply) return {};
    const std::string target = Lower(owner->container_name) + "." + Lower(owner->network) + ".";
    if (!PushAnswer(reply.get(), question, LDNS_RR_TYPE_PTR, ldns_dname_new_frm_str(target.c_str()))) return {};
    return Reply(reply.get(), query.get(), question, max_reply_size);
  }
  return forward;
}

std::vector<uint8_t> ServerFailure(std::span<const uint8_t> packet) {
  PacketPtr query = Parse(packet);
  if (!query) return {};
  const ldns_rr* question = QuestionOf(query.get());
  if (question == nullptr) return {};
  PacketPtr reply = ReplySkeleton(query.get(), question, LDNS_RCODE_SERVFAIL);
  if (!reply) return {};
  return ToWire(reply.get());
}

bool IsResponseTo(std::span<const uint8_t> packet, uint16_t id) {
  PacketPtr response = Parse(packet);
  return response && ldns_pkt_qr(response.get()) && ldns_pkt_id(response.get()) == id;
}

}  // namespace berth::dns
