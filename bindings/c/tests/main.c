/* The C API tests' runner.
 *
 *   eventbus-c-tests            run every test
 *   eventbus-c-tests NAME...    run the tests whose names contain NAME
 *
 * EVENTBUS_C_TEST_ROOT is the repository root (for examples/ and the test
 * vectors); the producer tests need the local stack's variables and the
 * schema ids that bindings/c/run registers. Without EB_BOOTSTRAP_SERVERS
 * they fail, unless EVENTBUS_C_TEST_SKIP_STACK=1 says to leave them out. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int current_test_failures;
const char *test_program;

void check_failed(const char *file, int line, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fprintf(stdout, "    %s:%d: ", file, line);
    vfprintf(stdout, format, arguments);
    fputc('\n', stdout);
    va_end(arguments);
    current_test_failures++;
}

char *read_file(const char *path, size_t *len_out) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stdout, "    cannot open %s\n", path);
        return NULL;
    }
    size_t capacity = 4096, len = 0;
    char *text = malloc(capacity);
    size_t got;
    while ((got = fread(text + len, 1, capacity - len - 1, file)) > 0) {
        len += got;
        if (capacity - len - 1 == 0) {
            capacity *= 2;
            text = realloc(text, capacity);
        }
    }
    fclose(file);
    text[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return text;
}

char *repo_path(const char *relative) {
    const char *root = getenv("EVENTBUS_C_TEST_ROOT");
    if (root == NULL)
        root = ".";
    size_t len = strlen(root) + strlen(relative) + 2;
    char *path = malloc(len);
    snprintf(path, len, "%s/%s", root, relative);
    return path;
}

const char *required_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        check_failed(__FILE__, __LINE__, "%s is not set", name);
        return "";
    }
    return value;
}

unsigned long env_number(const char *name) {
    return strtoul(required_env(name), NULL, 10);
}

char *hex(const uint8_t *bytes, size_t len) {
    static const char digits[] = "0123456789abcdef";
    char *text = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 15];
    }
    text[len * 2] = '\0';
    return text;
}

static bool selected(const char *name, int argc, char **argv) {
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i]) != NULL)
            return true;
    return false;
}

int main(int argc, char **argv) {
    test_program = argv[0];
    if (argc == 2 && strcmp(argv[1], "--auth-refused-child") == 0)
        return auth_refused_child();

    const char *skip = getenv("EVENTBUS_C_TEST_SKIP_STACK");
    bool skip_stack = skip != NULL && strcmp(skip, "1") == 0;
    const struct {
        const struct test_case *tests;
        size_t len;
    } groups[] = {
        {codec_tests, codec_tests_len},
        {error_tests, error_tests_len},
        {producer_tests, producer_tests_len},
    };
    int passed = 0, failed = 0, skipped = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        for (size_t t = 0; t < groups[g].len; t++) {
            const struct test_case *test = &groups[g].tests[t];
            if (!selected(test->name, argc, argv))
                continue;
            if (test->needs_stack && skip_stack) {
                skipped++;
                continue;
            }
            current_test_failures = 0;
            test->run();
            fflush(stdout);
            printf("%s - %s\n", current_test_failures == 0 ? "ok" : "FAIL", test->name);
            if (current_test_failures == 0)
                passed++;
            else
                failed++;
        }
    }
    if (skipped > 0)
        printf("(%d stack tests left out: EVENTBUS_C_TEST_SKIP_STACK=1)\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
