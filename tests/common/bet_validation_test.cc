#include <gtest/gtest.h>

#include <string>

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
  EXPECT_EQ(problem_after([](Bet& b) { b.last_name = "O'Brien, \"Jr\" 日本 😀"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.last_name = std::string(kMaxNameBytes, 'x'); }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = "00000007"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = std::string(kMaxDocumentDigits, '9'); }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "2000-02-29"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "1900-01-01"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "2100-12-31"; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.number = 0; }), "");
  EXPECT_EQ(problem_after([](Bet& b) { b.number = kMaxNumber; }), "");
}

TEST(BetValidation, RejectsEachBadFieldNamingIt) {
  EXPECT_EQ(problem_after([](Bet& b) { b.agency = 0; }), "agency must be 1 or more");
  EXPECT_EQ(problem_after([](Bet& b) { b.first_name.clear(); }), "first_name is empty");
  EXPECT_EQ(problem_after([](Bet& b) { b.last_name.clear(); }), "last_name is empty");
  EXPECT_EQ(problem_after([](Bet& b) { b.last_name = std::string(kMaxNameBytes + 1, 'x'); }),
            "last_name is longer than 255 bytes");
  EXPECT_EQ(problem_after([](Bet& b) { b.document.clear(); }), "document is empty");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = "12a4"; }), "document must contain only digits");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = "-1"; }), "document must contain only digits");
  EXPECT_EQ(problem_after([](Bet& b) { b.document = std::string(kMaxDocumentDigits + 1, '1'); }),
            "document is longer than 32 digits");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "2001-02-30"; }),
            "birthdate 2001-02-30 is not a real date");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "1899-12-31"; }),
            "birthdate 1899-12-31 is not between 1900 and 2100");
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "1999/03/17"; }), "birthdate is not in YYYY-MM-DD form");
  EXPECT_EQ(problem_after([](Bet& b) { b.number = kMaxNumber + 1; }), "number 10000 is greater than 9999");
}

TEST(BetValidation, NamesMustBeUtf8TextWithoutControlCharacters) {
  const std::string not_utf8[] = {
      "bad\xC3",           // truncated sequence
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong '/' in three bytes
      "\xED\xA0\x80",      // a UTF-16 surrogate
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\xFF",
      "\x80",  // a lone continuation byte
  };
  for (const auto& name : not_utf8) {
    EXPECT_EQ(problem_after([&](Bet& b) { b.first_name = name; }), "first_name is not valid UTF-8");
  }
  const std::string controls[] = {"tab\there", "new\nline", "cr\r", "del\x7F", std::string(1, '\0')};
  for (const auto& name : controls) {
    EXPECT_EQ(problem_after([&](Bet& b) { b.last_name = name; }), "last_name contains a control character");
  }
}

TEST(BetValidation, BirthdateMustBeARealCalendarDate) {
  for (const char* real : {"2000-02-29", "2024-02-29", "1999-12-31", "2001-04-30"}) {
    EXPECT_EQ(problem_after([&](Bet& b) { b.birthdate = real; }), "") << real;
  }
  for (const char* unreal : {"1900-02-29", "2100-02-29", "2001-02-29", "1999-04-31", "1999-13-01",
                             "1999-00-10", "1999-01-00", "1999-01-32"}) {
    EXPECT_EQ(problem_after([&](Bet& b) { b.birthdate = unreal; }),
              std::string("birthdate ") + unreal + " is not a real date");
  }
  for (const char* malformed :
       {"", "99-03-17", "1999-3-17", "1999-03-7", "1999-03-17 ", "+999-03-17", "1999-03-1a", "19990317"}) {
    EXPECT_EQ(problem_after([&](Bet& b) { b.birthdate = malformed; }), "birthdate is not in YYYY-MM-DD form")
        << malformed;
  }
  EXPECT_EQ(problem_after([](Bet& b) { b.birthdate = "2101-01-01"; }),
            "birthdate 2101-01-01 is not between 1900 and 2100");
}

TEST(BetValidation, WinningNumberIs7574) {
  Bet bet = good_bet();
  EXPECT_TRUE(has_won(bet));
  bet.number = 7573;
  EXPECT_FALSE(has_won(bet));
}

TEST(BetParsing, NumberIsStrictDecimalFromZeroToTheMaximum) {
  EXPECT_EQ(parse_number("0"), 0);
  EXPECT_EQ(parse_number("7574"), 7574);
  EXPECT_EQ(parse_number("9999"), kMaxNumber);
  EXPECT_EQ(parse_number("09999"), kMaxNumber);
  EXPECT_EQ(parse_number("0000000000007"), 7);
  for (const char* bad : {"", "10000", "65536", "-1", "+1", "-0", " 1", "1 ", "1\n", "1.0", "1e3", "0x10",
                          "abc", "999999999999999999999999"}) {
    EXPECT_EQ(parse_number(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace tp0::lottery
