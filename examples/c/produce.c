/* Produces JSON records from standard input, one per line, to a topic
 * bound to its registered schemas, and prints where each was written.
 * Settings come from the environment (EB_BOOTSTRAP_SERVERS,
 * SCHEMA_REGISTRY_URL, ...), as for every eventbus binding.
 *
 *   produce TOPIC VALUE_SCHEMA_ID < values.jsonl
 *   produce TOPIC VALUE_SCHEMA_ID KEY_SCHEMA_ID < keys-and-values.tsv
 *
 * With a key schema, each line is the key's JSON, a tab, the value's JSON.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eventbus.h>

/* Counts outcomes; called on librdkafka's delivery thread, one at a time. */
struct outcomes {
    int delivered;
    int failed;
};

static void on_delivery(void *userdata, const eventbus_delivery_report *report) {
    struct outcomes *outcomes = userdata;
    if (report->result == EVENTBUS_RESULT_OK) {
        outcomes->delivered++;
        printf("%s partition %d offset %lld\n", report->topic, (int)report->partition,
               (long long)report->offset);
    } else {
        outcomes->failed++;
        fprintf(stderr, "produce: not delivered (%s%s): %s\n",
                eventbus_result_name(report->result),
                report->retriable ? ", retriable" : "", report->error_message);
    }
}

static void on_log(void *userdata, eventbus_log_level level, const char *target,
                   const char *message) {
    (void)userdata;
    fprintf(stderr, "[%s] %s: %s\n", level == EVENTBUS_LOG_LEVEL_ERROR ? "error" : "warn",
            target, message);
}

static int fail(const char *what) {
    fprintf(stderr, "produce: %s: %s\n", what, eventbus_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s TOPIC VALUE_SCHEMA_ID [KEY_SCHEMA_ID] < records\n", argv[0]);
        return 2;
    }
    eventbus_log_set_callback(on_log, NULL, EVENTBUS_LOG_LEVEL_WARN);

    eventbus_config *config = NULL;
    if (eventbus_config_new_from_env(&config) != EVENTBUS_RESULT_OK)
        return fail("configuration");
    eventbus_topic_binding topic = {
        .topic = argv[1],
        .value_schema_id = (uint32_t)strtoul(argv[2], NULL, 10),
        .key_schema_id = argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0,
    };
    eventbus_producer *producer = NULL;
    eventbus_result made = eventbus_producer_new(config, &topic, 1, &producer);
    eventbus_config_free(config);
    if (made != EVENTBUS_RESULT_OK)
        return fail("starting the producer");

    struct outcomes outcomes = {0, 0};
    int refused = 0;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t len;
    while ((len = getline(&line, &capacity, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0)
            continue;
        const char *key = NULL, *value = line;
        size_t key_len = 0, value_len = (size_t)len;
        if (topic.key_schema_id != 0) {
            char *tab = strchr(line, '\t');
            if (tab == NULL) {
                fprintf(stderr, "produce: expected KEY<tab>VALUE: %s\n", line);
                refused++;
                continue;
            }
            key = line;
            key_len = (size_t)(tab - line);
            value = tab + 1;
            value_len = (size_t)len - key_len - 1;
        }
        if (eventbus_producer_produce(producer, topic.topic, key, key_len, value, value_len, NULL,
                                      0, on_delivery, &outcomes) != EVENTBUS_RESULT_OK) {
            /* An invalid record is refused before anything is queued; go on. */
            fail("refused");
            refused++;
        }
    }
    free(line);

    /* Close delivers everything queued (or reports it failed) before returning. */
    eventbus_result closed = eventbus_producer_close(producer, 30000);
    if (closed != EVENTBUS_RESULT_OK)
        fail("closing");
    eventbus_producer_free(producer);
    eventbus_log_set_callback(NULL, NULL, EVENTBUS_LOG_LEVEL_OFF);
    fprintf(stderr, "produce: %d delivered, %d failed, %d refused\n", outcomes.delivered,
            outcomes.failed, refused);
    return closed == EVENTBUS_RESULT_OK && outcomes.failed == 0 && refused == 0 ? 0 : 1;
}
