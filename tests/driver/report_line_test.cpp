#include "driver/report_line.hpp"

#include <gtest/gtest.h>

using namespace lambench::driver;

TEST(ReportLine, ParsesColdReportWithInitDuration) {
    const std::string tail =
        "START RequestId: 8f5 Version: $LATEST\nhello\nEND RequestId: 8f5\n"
        "REPORT RequestId: 8f5\tDuration: 9.54 ms\tBilled Duration: 10 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 21 MB\tInit Duration: 12.31 ms\t\n";
    auto m = parse_report_line(tail);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->request_id, "8f5");
    EXPECT_DOUBLE_EQ(m->duration_ms, 9.54);
    EXPECT_DOUBLE_EQ(m->billed_ms, 10);
    EXPECT_EQ(m->memory_size_mb, 256);
    EXPECT_DOUBLE_EQ(m->max_memory_mb, 21);
    ASSERT_TRUE(m->init_ms);
    EXPECT_DOUBLE_EQ(*m->init_ms, 12.31);
}

TEST(ReportLine, WarmReportHasNoInit) {
    auto m = parse_report_line(
        "REPORT RequestId: a\tDuration: 1.02 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax "
        "Memory Used: 7 MB");
    ASSERT_TRUE(m);
    EXPECT_DOUBLE_EQ(m->duration_ms, 1.02);
    EXPECT_DOUBLE_EQ(m->billed_ms, 2);
    EXPECT_FALSE(m->init_ms);
}

TEST(ReportLine, SpaceSeparatedFieldsAreAccepted) {
    auto m = parse_report_line(
        "REPORT RequestId: b Duration: 3.5 ms Billed Duration: 4 ms Memory Size: 512 MB Max Memory "
        "Used: 30 MB Init Duration: 50.25 ms");
    ASSERT_TRUE(m);
    EXPECT_DOUBLE_EQ(m->duration_ms, 3.5);  // not taken from "Billed Duration" or "Init Duration"
    EXPECT_DOUBLE_EQ(*m->init_ms, 50.25);
}

TEST(ReportLine, UsesTheLastReportInTheTail) {
    auto m = parse_report_line(
        "REPORT RequestId: old\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax "
        "Memory Used: 7 MB\n"
        "REPORT RequestId: new\tDuration: 2 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax "
        "Memory Used: 8 MB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->request_id, "new");
}

TEST(ReportLine, MissingOrMalformedFieldsAreRejected) {
    EXPECT_FALSE(parse_report_line(""));
    EXPECT_FALSE(parse_report_line("START RequestId: x Version: $LATEST\n"));
    EXPECT_FALSE(parse_report_line(
        "REPORT RequestId: x\tDuration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 7 MB"));
    EXPECT_FALSE(
        parse_report_line("REPORT RequestId: x\tDuration: fast\tBilled Duration: 1 ms\tMemory "
                          "Size: 128 MB\tMax Memory Used: 7 MB"));
}

// Found by fuzz/fuzz_report_line: a Memory Size outside int was converted to int (UB).
TEST(ReportLine, MemorySizeOutsideIntIsRejected) {
    for (const char* size : {"5214748364812", "1e10", "inf", "nan", "-1"})
        EXPECT_FALSE(parse_report_line(
            std::string("REPORT RequestId: x\tDuration: 1 ms\tBilled Duration: 1 ms\t"
                        "Memory Size: ") +
            size + " MB\tMax Memory Used: 7 MB"))
            << size;
}

TEST(ReportLine, FailureStatusAndErrorTypeAreRead) {
    auto t = parse_report_line(
        "REPORT RequestId: a\tDuration: 3000.41 ms\tBilled Duration: 3001 ms\tMemory Size: 128 "
        "MB\tMax Memory Used: 39 MB\tStatus: timeout\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->status, "timeout");
    EXPECT_EQ(t->error_type, "");
    EXPECT_DOUBLE_EQ(t->duration_ms, 3000.41);
    auto e = parse_report_line(
        "REPORT RequestId: b\tDuration: 12.50 ms\tBilled Duration: 53 ms\tMemory Size: 128 MB\tMax "
        "Memory Used: 128 MB\tInit Duration: 40.25 ms\tStatus: error\tError Type: "
        "Runtime.OutOfMemory\tLambench Resource Model: partial");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, "error");
    EXPECT_EQ(e->error_type, "Runtime.OutOfMemory");
    ASSERT_TRUE(e->init_ms);
    EXPECT_DOUBLE_EQ(*e->init_ms, 40.25);
    EXPECT_DOUBLE_EQ(e->billed_ms, 53);
    // Space-separated emulators: one word each.
    auto s = parse_report_line(
        "REPORT RequestId: c Duration: 1.00 ms Billed Duration: 1 ms Memory Size: 128 MB Max "
        "Memory Used: 7 MB Status: error Error Type: Runtime.ExitError");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, "error");
    EXPECT_EQ(s->error_type, "Runtime.ExitError");
    // A status inside another field's value is not the status.
    auto n = parse_report_line(
        "REPORT RequestId: dStatus: x\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 "
        "MB\tMax Memory Used: 7 MB");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->status, "");
}
