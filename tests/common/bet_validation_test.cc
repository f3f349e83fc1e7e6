#include <gtest/gtest.h>

#include "common/lottery/bet.h"
#include "common/lottery/bet_parsing.h"

namespace tp0::lottery {
namespace {

Bet good_bet() { return Bet{1, "Santiago Lionel", "Lorca", "30904465", "1999-03-17", 7574}; }

// Applies `change` to a good bet and returns the problem validate() reports ("" if none).
template <typename Change>
std::string problem_after(Change change) {
  Bet bet = good_bet();
  change(bet);
  return validate(bet).value_or("");
}

TEST(BetValidation, AcceptsAGoodBet) {
  EXPECT_EQ(validate(good_bet()), std::nullopt);
  EXPECT_EQ(problem_after([](Bet& b) { b.first_name = "Tiago Nicolás"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = "00000007"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "2000-02-29"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.number = 0; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.number = 9999; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.last_name = std::string(kMaxNameBytes, 'x'); }), "");
}

TEST(BetValidation, RejectsEachBadFieldNamingIt) {
  const struct {
    const char* field;
    std::string problem;
  } cases[] = {
      {"agency", problem_after([](Bet& b) { b.agency = 0; })},
      {"first_name", problem_after([](Bet& b) { b.first_name.clear(); })},
      {"first_name", problem_after([](Bet& b) { b.first_name = "bad\xC3"; })},
      {"first_name", problem_after([](Bet& b) { b.first_name = "tab\there"; })},
      {"first_name", problem_after([](Bet& b) { b.first_name = "\xED\xA0\x80"; })},  // a surrogate
      {"last_name", problem_after([](Bet& b) { b.last_name = std::string(kMaxNameBytes + 1, 'x'); })},
      {"last_name", problem_after([](Bet& b) { b.last_name = "new\nline"; })},
      {"document", problem_after([](Bet& b) { b.document.clear(); })},
      {"document", problem_after([](Bet& b) { b.document = "12a4"; })},
      {"document", problem_after([](Bet& b) { b.document = std::string(kMaxDocumentDigits + 1, '1'); })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "2001-02-29"; })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "1999-13-01"; })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "1999-04-31"; })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "1899-12-31"; })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "1999/03/17"; })},
      {"birthdate", problem_after([](Bet& b) { b.birthdate = "99-03-17"; })},
      {"number", problem_after([](Bet& b) { b.number = 10000; })},
  };
  for (const auto& c : cases) {
    EXPECT_NE(c.problem.find(c.field), std::string::npos) << "expected a problem with " << c.field
                                                          << ", got \"" << c.problem << "\"";
  }
}

TEST(BetValidation, WinningNumberIs7574) {
  Bet bet = good_bet();
  EXPECT_TRUE(has_won(bet));
  bet.number = 7573;
  EXPECT_FALSE(has_won(bet));
}

TEST(BetParsing, NumberIsStrictDecimalFromZeroTo9999) {
  EXPECT_EQ(parse_number("0"), 0);
  EXPECT_EQ(parse_number("7574"), 7574);
  EXPECT_EQ(parse_number("09999"), 9999);
  for (const char* bad : {"", "10000", "-1", "+1", " 1", "1 ", "1.0", "abc", "999999999999"}) {
    EXPECT_EQ(parse_number(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace tp0::lottery
