/* Compiled, not run, by `bindings/c/run header-check` with -Wall -Wextra
 * -pedantic -Werror as C99 and C11 (and, as header_check.cpp, as C++17):
 * the header must be clean in each, and its types usable as declared. */
#include <eventbus.h>

static void on_delivery(void *userdata, const eventbus_delivery_report *report) {
    (void)userdata;
    (void)report->topic;
}

static void on_log(void *userdata, eventbus_log_level level, const char *target,
                   const char *message) {
    (void)userdata;
    (void)level;
    (void)target;
    (void)message;
}

int header_check(void);

int header_check(void) {
    eventbus_result result = EVENTBUS_RESULT_OK;
    eventbus_topic_binding binding = {"topic", 12, 11, NULL, NULL};
    eventbus_header header = {"name", NULL, 0};
    eventbus_delivery_callback delivery = on_delivery;
    eventbus_log_callback log = on_log;
    struct eventbus_producer *producer = NULL;
    eventbus_config *config = NULL;
    (void)binding;
    (void)header;
    (void)delivery;
    (void)producer;
    (void)config;
    result = eventbus_log_set_callback(log, NULL, EVENTBUS_LOG_LEVEL_WARN);
    return result == EVENTBUS_RESULT_INTERNAL ? 1 : 0;
}
