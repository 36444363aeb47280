// The embedded DNS server's answers (AnswerQuery), checked by parsing the
// replies back with ldns.
#include <gtest/gtest.h>
#include <cstdlib>
#include <memory>

#include "berth/dns.h"
#include "dns/ldns_include.h"

namespace berth::dns {
namespace {

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PacketPtr = std::unique_ptr<ldns_pkt, PacketFree>;

std::vector<uint8_t> Wire(const ldns_pkt* p) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + size);
  std::free(wire);
  return out;
}

std::vector<uint8_t> Query(const std::string& name, ldns_rr_type type, uint16_t id = 0x1234,
                           ldns_rr_class klass = LDNS_RR_CLASS_IN) {
  ldns_pkt* p = nullptr;
  EXPECT_EQ(ldns_pkt_query_new_frm_str(&p, name.c_str(), type, klass, LDNS_RD), LDNS_STATUS_OK);
  PacketPtr packet(p);
  ldns_pkt_set_id(p, id);
  return Wire(p);
}

PacketPtr ParseReply(const QueryOutcome& o) {
  EXPECT_EQ(o.disposition, Disposition::kReply);
  ldns_pkt* p = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&p, o.reply.data(), o.reply.size()), LDNS_STATUS_OK);
  return PacketPtr(p);
}

// The answer section's rdata as text ("10.1.0.2", "web.apps.").
std::vector<std::string> Answers(const ldns_pkt* p) {
  std::vector<std::string> out;
  const ldns_rr_list* answers = ldns_pkt_answer(p);
  for (size_t i = 0; i < ldns_rr_list_rr_count(answers); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answers, i);
    EXPECT_EQ(ldns_rr_ttl(rr), kAnswerTtlSeconds);
    char* text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
    out.emplace_back(text);
    std::free(text);
  }
  return out;
}

const std::vector<Peer> kPeers = {
    {"10.1.0.2", "apps", "web", {"web", "frontend", "0123456789ab"}},
    {"10.1.0.3", "apps", "db", {"db", "store", "abcdef012345"}},
    {"10.2.0.3", "other", "db2", {"db2", "store", "fedcba987654"}},
};

TEST(AnswerQuery, NameAliasShortIdAndNetworkSuffix) {
  for (const char* name : {"web", "frontend", "0123456789ab", "web.apps", "WEB.Apps.", "frontend.apps"}) {
    PacketPtr r = ParseReply(AnswerQuery(Query(name, LDNS_RR_TYPE_A), kPeers, kUdpReplyLimit));
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(ldns_pkt_id(r.get()), 0x1234);
    EXPECT_TRUE(ldns_pkt_qr(r.get()));
    EXPECT_TRUE(ldns_pkt_rd(r.get()));
    EXPECT_TRUE(ldns_pkt_ra(r.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_question(r.get())), 1u);
    EXPECT_EQ(Answers(r.get()), std::vector<std::string>{"10.1.0.2"}) << name;
  }
}

TEST(AnswerQuery, AnAliasOnTwoNetworksGivesEveryAddressUnlessANetworkIsNamed) {
  PacketPtr r = ParseReply(AnswerQuery(Query("store", LDNS_RR_TYPE_A), kPeers, kUdpReplyLimit));
  EXPECT_EQ(Answers(r.get()), (std::vector<std::string>{"10.1.0.3", "10.2.0.3"}));
  r = ParseReply(AnswerQuery(Query("store.other", LDNS_RR_TYPE_A), kPeers, kUdpReplyLimit));
  EXPECT_EQ(Answers(r.get()), std::vector<std::string>{"10.2.0.3"});
}

TEST(AnswerQuery, AaaaOfAKnownNameIsEmptyNoError) {
  PacketPtr r = ParseReply(AnswerQuery(Query("db", LDNS_RR_TYPE_AAAA), kPeers, kUdpReplyLimit));
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(Answers(r.get()).empty());
}

TEST(AnswerQuery, PtrOfAPeersAddress) {
  PacketPtr r = ParseReply(AnswerQuery(Query("3.0.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR), kPeers, kUdpReplyLimit));
  EXPECT_EQ(Answers(r.get()), std::vector<std::string>{"db.apps."});
}

TEST(AnswerQuery, UnknownNamesTypesAndClassesAreForwarded) {
  const std::vector<std::vector<uint8_t>> forwarded = {
      Query("example.com", LDNS_RR_TYPE_A),
      Query("web.other", LDNS_RR_TYPE_A),  // web is not on "other"
      Query("web", LDNS_RR_TYPE_MX),
      Query("web", LDNS_RR_TYPE_A, 1, LDNS_RR_CLASS_CH),
      Query("9.0.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR),
      Query("1.10.in-addr.arpa", LDNS_RR_TYPE_PTR),
  };
  for (const auto& q : forwarded) {
    QueryOutcome o = AnswerQuery(q, kPeers, kUdpReplyLimit);
    EXPECT_EQ(o.disposition, Disposition::kForward);
    EXPECT_TRUE(o.reply.empty());
  }
  // Nobody shares a network with the asker: every name goes upstream.
  EXPECT_EQ(AnswerQuery(Query("web", LDNS_RR_TYPE_A), {}, kUdpReplyLimit).disposition, Disposition::kForward);
}

TEST(AnswerQuery, MalformedResponsesAndNonQueriesAreDropped) {
  std::vector<uint8_t> q = Query("web", LDNS_RR_TYPE_A);
  EXPECT_EQ(AnswerQuery({}, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop);
  for (size_t cut = 0; cut < q.size(); ++cut) {
    std::vector<uint8_t> truncated(q.begin(), q.begin() + static_cast<long>(cut));
    EXPECT_EQ(AnswerQuery(truncated, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop) << cut;
  }
  std::vector<uint8_t> response = q;
  response[2] |= 0x80;  // QR
  EXPECT_EQ(AnswerQuery(response, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop);
  std::vector<uint8_t> update = q;
  update[2] = static_cast<uint8_t>((update[2] & 0x87) | (5 << 3));  // opcode UPDATE
  EXPECT_EQ(AnswerQuery(update, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop);
  std::vector<uint8_t> two_questions = q;
  two_questions[5] = 2;  // QDCOUNT 2, one present
  EXPECT_EQ(AnswerQuery(two_questions, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop);
  std::vector<uint8_t> garbage(300, 0xff);
  EXPECT_EQ(AnswerQuery(garbage, kPeers, kUdpReplyLimit).disposition, Disposition::kDrop);
}

TEST(AnswerQuery, ALongReplyOverUdpIsTruncated) {
  std::vector<Peer> many;
  for (int i = 0; i < 60; ++i)
    many.push_back({"10.9.0." + std::to_string(i + 2), "big", "c" + std::to_string(i), {"all"}});
  PacketPtr r = ParseReply(AnswerQuery(Query("all", LDNS_RR_TYPE_A), many, kUdpReplyLimit));
  EXPECT_TRUE(ldns_pkt_tc(r.get()));
  EXPECT_TRUE(Answers(r.get()).empty());
  r = ParseReply(AnswerQuery(Query("all", LDNS_RR_TYPE_A), many, 65535));
  EXPECT_FALSE(ldns_pkt_tc(r.get()));
  EXPECT_EQ(Answers(r.get()).size(), 60u);
}

TEST(ServerFailure, KeepsTheIdAndQuestion) {
  std::vector<uint8_t> reply = ServerFailure(Query("example.com", LDNS_RR_TYPE_A, 77));
  ldns_pkt* p = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&p, reply.data(), reply.size()), LDNS_STATUS_OK);
  PacketPtr r(p);
  EXPECT_EQ(ldns_pkt_id(p), 77);
  EXPECT_EQ(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_question(p)), 1u);
  EXPECT_TRUE(IsResponseTo(reply, 77));
  EXPECT_FALSE(IsResponseTo(reply, 78));
  EXPECT_FALSE(IsResponseTo(Query("example.com", LDNS_RR_TYPE_A, 77), 77));  // a query, not a response
  EXPECT_TRUE(ServerFailure(std::vector<uint8_t>{1, 2, 3}).empty());
}

}  // namespace
}  // namespace berth::dns
