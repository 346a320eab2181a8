/* A small test harness: each test is a function; a test fails if any of
 * its checks fails. The runner prints one line per test and, last, a line
 * "N passed, N failed". */
#ifndef EVENTBUS_TEST_CHECK_H
#define EVENTBUS_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <eventbus.h>

struct test_case {
    const char *name;
    void (*run)(void);
    /* Needs the local stack (EB_BOOTSTRAP_SERVERS and the registered ids). */
    bool needs_stack;
};

/* Set by check_failed; read by the runner after each test. */
extern int current_test_failures;

void check_failed(const char *file, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(condition)                                                                  \
    do {                                                                                  \
        if (!(condition))                                                                 \
            check_failed(__FILE__, __LINE__, "%s", #condition);                          \
    } while (0)

/* Checks a call's result code, printing the last error message if it differs. */
#define CHECK_RESULT(call, expected)                                                      \
    do {                                                                                  \
        eventbus_result check_got_ = (call);                                              \
        if (check_got_ != (expected))                                                     \
            check_failed(__FILE__, __LINE__, "%s returned %s, expected %s (%s)", #call,  \
                         eventbus_result_name(check_got_), eventbus_result_name(expected),  \
                         eventbus_last_error_message());                                  \
    } while (0)

#define CHECK_OK(call) CHECK_RESULT(call, EVENTBUS_RESULT_OK)

/* Helpers shared by the test files. */
char *read_file(const char *path, size_t *len_out);
char *repo_path(const char *relative);
const char *required_env(const char *name);
unsigned long env_number(const char *name);
char *hex(const uint8_t *bytes, size_t len);

extern const struct test_case codec_tests[];
extern const size_t codec_tests_len;
extern const struct test_case error_tests[];
extern const size_t error_tests_len;
extern const struct test_case producer_tests[];
extern const size_t producer_tests_len;

/* The path this runner was started as, for tests that start it again. */
extern const char *test_program;

/* What the runner does when started with --auth-refused-child. */
int auth_refused_child(void);

#endif
