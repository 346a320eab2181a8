/* Producing through the C API: delivery callbacks, flush, close, the
 * errors only a producer has, logs and fork. The first tests need no
 * broker (they point at a port nothing listens on, on loopback); the last
 * ones produce to the local stack. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAX_DELIVERIES 64

/* Written into out-parameters before a call that must fail. */
static eventbus_serializer *const UNTOUCHED_SERIALIZER = (eventbus_serializer *)&test_program;

/* What the delivery callback saw, filled on librdkafka's thread. */
struct deliveries {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count;
    eventbus_result results[MAX_DELIVERIES];
    int32_t partitions[MAX_DELIVERIES];
    int64_t offsets[MAX_DELIVERIES];
    bool retriable[MAX_DELIVERIES];
    char topics[MAX_DELIVERIES][96];
    char messages[MAX_DELIVERIES][256];
};

static void deliveries_init(struct deliveries *seen) {
    memset(seen, 0, sizeof *seen);
    pthread_mutex_init(&seen->lock, NULL);
    pthread_cond_init(&seen->changed, NULL);
}

static void deliveries_destroy(struct deliveries *seen) {
    pthread_mutex_destroy(&seen->lock);
    pthread_cond_destroy(&seen->changed);
}

static void on_delivery(void *userdata, const eventbus_delivery_report *report) {
    struct deliveries *seen = userdata;
    pthread_mutex_lock(&seen->lock);
    if (seen->count < MAX_DELIVERIES) {
        int i = seen->count;
        seen->results[i] = report->result;
        seen->partitions[i] = report->partition;
        seen->offsets[i] = report->offset;
        seen->retriable[i] = report->retriable;
        snprintf(seen->topics[i], sizeof seen->topics[i], "%s", report->topic);
        snprintf(seen->messages[i], sizeof seen->messages[i], "%s",
                 report->error_message == NULL ? "" : report->error_message);
    }
    seen->count++;
    pthread_cond_broadcast(&seen->changed);
    pthread_mutex_unlock(&seen->lock);
}

/* Waits until `count` reports arrived or `timeout_ms` passed; returns how many did. */
static int wait_for_deliveries(struct deliveries *seen, int count, int timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&seen->lock);
    while (seen->count < count &&
           pthread_cond_timedwait(&seen->changed, &seen->lock, &deadline) == 0) {
    }
    int arrived = seen->count;
    pthread_mutex_unlock(&seen->lock);
    return arrived;
}

static const char user_json[] = "{\"name\": \"Newbie\", \"company\": \"Ad Hoc\", "
                                "\"dateOfBirth\": \"2000-07-26\", \"sequenceNumber\": 1}";

/* A producer with local schema copies only, for a broker that is not
 * there: every message stays queued until its timeout. */
static eventbus_producer *offline_producer(const char *topic, const char *extra_key,
                                           const char *extra_value) {
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers", "127.0.0.1:1"));
    CHECK_OK(eventbus_config_set(config, "security_protocol", "PLAINTEXT"));
    CHECK_OK(eventbus_config_set(config, "message_timeout_ms", "60000"));
    if (extra_key != NULL)
        CHECK_OK(eventbus_config_set(config, extra_key, extra_value));
    char *value_schema = repo_path("examples/schemas/user.avsc");
    char *key_schema = repo_path("examples/schemas/user-key.avsc");
    eventbus_topic_binding topics[] = {
        {topic, 12, 0, value_schema, NULL},
        {"c-keyed", 12, 11, value_schema, key_schema},
    };
    eventbus_producer *producer = NULL;
    CHECK_OK(eventbus_producer_new(config, topics, 2, &producer));
    /* The producer keeps its own copy of everything it was given. */
    eventbus_config_free(config);
    free(value_schema);
    free(key_schema);
    return producer;
}

static void an_undeliverable_message_is_reported_to_its_callback(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    eventbus_producer *producer = offline_producer("c-undeliverable", "message_timeout_ms", "1000");
    if (producer == NULL)
        return;
    CHECK_OK(eventbus_producer_produce(producer, "c-undeliverable", NULL, 0, user_json,
                                       strlen(user_json), NULL, 0, on_delivery, &seen));
    CHECK(eventbus_producer_in_flight(producer) == 1);
    CHECK_RESULT(eventbus_producer_flush(producer, 50), EVENTBUS_RESULT_TIMEOUT);
    CHECK(eventbus_last_error_retriable());
    CHECK(wait_for_deliveries(&seen, 1, 15000) == 1);
    CHECK(seen.results[0] == EVENTBUS_RESULT_DELIVERY);
    CHECK(seen.retriable[0]);
    CHECK(seen.partitions[0] == -1 && seen.offsets[0] == -1);
    CHECK(strcmp(seen.topics[0], "c-undeliverable") == 0);
    CHECK(strstr(seen.messages[0], "message.timeout.ms") != NULL);
    CHECK_OK(eventbus_producer_close(producer, 1000));
    eventbus_producer_free(producer);
    CHECK(seen.count == 1);
    deliveries_destroy(&seen);
}

static void close_reports_what_it_could_not_deliver(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    eventbus_producer *producer = offline_producer("c-close", NULL, NULL);
    if (producer == NULL)
        return;
    const eventbus_header headers[] = {{"source", (const uint8_t *)"c-tests", 7},
                                       {"empty", NULL, 0}};
    for (int i = 0; i < 2; i++)
        CHECK_OK(eventbus_producer_produce(producer, "c-close", NULL, 0, user_json,
                                           strlen(user_json), headers, 2, on_delivery, &seen));
    CHECK_RESULT(eventbus_producer_close(producer, 200), EVENTBUS_RESULT_TIMEOUT);
    CHECK(strstr(eventbus_last_error_message(), "2 messages were not delivered") != NULL);
    CHECK(wait_for_deliveries(&seen, 2, 5000) == 2);
    for (int i = 0; i < 2 && i < seen.count; i++) {
        CHECK(seen.results[i] == EVENTBUS_RESULT_DELIVERY);
        CHECK(strstr(seen.messages[i], "closed or dropped") != NULL);
    }
    CHECK_RESULT(eventbus_producer_produce(producer, "c-close", NULL, 0, user_json,
                                           strlen(user_json), NULL, 0, on_delivery, &seen),
                 EVENTBUS_RESULT_CLOSED);
    CHECK(eventbus_producer_in_flight(producer) == 0);
    eventbus_producer_free(producer);
    CHECK(seen.count == 2);
    deliveries_destroy(&seen);
}

static void a_full_queue_is_queue_full(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    /* A 1 KiB queue, and no waiting for room, so that the test does not wait 5 s. */
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers", "127.0.0.1:1"));
    CHECK_OK(eventbus_config_set(config, "security_protocol", "PLAINTEXT"));
    CHECK_OK(eventbus_config_set(config, "queue_max_bytes", "1024"));
    CHECK_OK(eventbus_config_set(config, "enqueue_timeout_ms", "0"));
    char *schema = repo_path("examples/schemas/user.avsc");
    eventbus_topic_binding topic = {"c-full", 12, 0, schema, NULL};
    eventbus_producer *producer = NULL;
    CHECK_OK(eventbus_producer_new(config, &topic, 1, &producer));
    free(schema);
    eventbus_config_free(config);
    if (producer == NULL)
        return;
    eventbus_result result = EVENTBUS_RESULT_OK;
    int queued = 0;
    while (queued < 100 && result == EVENTBUS_RESULT_OK) {
        result = eventbus_producer_produce(producer, "c-full", NULL, 0, user_json,
                                           strlen(user_json), NULL, 0, on_delivery, &seen);
        if (result == EVENTBUS_RESULT_OK)
            queued++;
    }
    CHECK_RESULT(result, EVENTBUS_RESULT_QUEUE_FULL);
    CHECK(eventbus_last_error_retriable());
    CHECK(queued > 0 && queued < 100);
    CHECK_RESULT(eventbus_producer_close(producer, 0), EVENTBUS_RESULT_TIMEOUT);
    CHECK(wait_for_deliveries(&seen, queued, 5000) == queued);
    eventbus_producer_free(producer);
    deliveries_destroy(&seen);
}

static void produce_refuses_what_the_topic_cannot_take(void) {
    eventbus_producer *producer = offline_producer("c-refusals", NULL, NULL);
    if (producer == NULL)
        return;
    CHECK_RESULT(eventbus_producer_produce(producer, "c-unbound", NULL, 0, user_json,
                                           strlen(user_json), NULL, 0, NULL, NULL),
                 EVENTBUS_RESULT_CONFIG);
    CHECK(strstr(eventbus_last_error_message(), "not bound") != NULL);
    CHECK_RESULT(eventbus_producer_produce(producer, "c-refusals", "1", 1, user_json,
                                           strlen(user_json), NULL, 0, NULL, NULL),
                 EVENTBUS_RESULT_CONFIG);
    CHECK(strstr(eventbus_last_error_message(), "no key schema") != NULL);
    const char no_name[] = "{\"company\": \"x\", \"dateOfBirth\": 1, \"sequenceNumber\": 1}";
    CHECK_RESULT(eventbus_producer_produce(producer, "c-refusals", NULL, 0, no_name,
                                           strlen(no_name), NULL, 0, NULL, NULL),
                 EVENTBUS_RESULT_INVALID_RECORD);
    CHECK(strcmp(eventbus_last_error_field_path(), "name") == 0);
    CHECK_RESULT(eventbus_producer_produce(producer, "c-keyed", "\"one\"", 5, user_json,
                                           strlen(user_json), NULL, 0, NULL, NULL),
                 EVENTBUS_RESULT_INVALID_RECORD);
    CHECK_RESULT(eventbus_producer_produce(producer, "c-keyed", "1", 1, user_json,
                                           strlen(user_json), NULL, 1, NULL, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    const eventbus_header bad_header = {"\xff", NULL, 0};
    CHECK_RESULT(eventbus_producer_produce(producer, "c-keyed", "1", 1, user_json,
                                           strlen(user_json), &bad_header, 1, NULL, NULL),
                 EVENTBUS_RESULT_INVALID_UTF8);
    CHECK_RESULT(eventbus_producer_produce(producer, "c-keyed", "1", 1, "{", 1, NULL, 0, NULL,
                                           NULL),
                 EVENTBUS_RESULT_INVALID_JSON);
    /* Nothing was queued by any of those. */
    CHECK(eventbus_producer_in_flight(producer) == 0);
    CHECK_OK(eventbus_producer_close(producer, 1000));
    eventbus_producer_free(producer);
}

static void freeing_an_open_producer_reports_its_queued_messages(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    eventbus_producer *producer = offline_producer("c-freed", NULL, NULL);
    if (producer == NULL)
        return;
    CHECK_OK(eventbus_producer_produce(producer, "c-freed", NULL, 0, user_json,
                                       strlen(user_json), NULL, 0, on_delivery, &seen));
    eventbus_producer_free(producer);
    CHECK(seen.count == 1);
    CHECK(seen.count < 1 || seen.results[0] == EVENTBUS_RESULT_DELIVERY);
    deliveries_destroy(&seen);
}

/* What the log callback saw. */
struct log_lines {
    pthread_mutex_t lock;
    int count;
    int from_producer;
    int on_calling_thread;
    pthread_t caller;
};

static void on_log(void *userdata, eventbus_log_level level, const char *target,
                   const char *message) {
    struct log_lines *lines = userdata;
    pthread_mutex_lock(&lines->lock);
    lines->count++;
    if (strcmp(target, "eventbus::producer") == 0 && strstr(message, "topic bound") != NULL &&
        level == EVENTBUS_LOG_LEVEL_INFO)
        lines->from_producer++;
    if (pthread_equal(pthread_self(), lines->caller))
        lines->on_calling_thread++;
    pthread_mutex_unlock(&lines->lock);
}

static void logs_reach_the_callback_on_the_log_thread(void) {
    struct log_lines lines = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, pthread_self()};
    CHECK_RESULT(eventbus_log_set_callback(on_log, &lines, 9), EVENTBUS_RESULT_CONFIG);
    CHECK_OK(eventbus_log_set_callback(on_log, &lines, EVENTBUS_LOG_LEVEL_INFO));
    eventbus_producer *producer = offline_producer("c-logged", NULL, NULL);
    CHECK_OK(eventbus_producer_close(producer, 1000));
    eventbus_producer_free(producer);
    /* Stopping delivers what is queued, then waits for the log thread. */
    CHECK_OK(eventbus_log_set_callback(NULL, NULL, EVENTBUS_LOG_LEVEL_OFF));
    int seen = lines.count;
    CHECK(lines.from_producer >= 2);
    CHECK(lines.on_calling_thread == 0);
    /* Nothing arrives once it is stopped. */
    producer = offline_producer("c-unlogged", NULL, NULL);
    eventbus_producer_free(producer);
    CHECK(lines.count == seen);
    pthread_mutex_destroy(&lines.lock);
}

static void a_forked_child_cannot_use_its_parents_producer(void) {
    eventbus_producer *producer = offline_producer("c-fork", NULL, NULL);
    if (producer == NULL)
        return;
    /* The verdict comes through a pipe, not the exit status: the child ends
     * itself with SIGKILL (see below). */
    int verdict[2];
    CHECK(pipe(verdict) == 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(verdict[0]);
        eventbus_result result = eventbus_producer_produce(
            producer, "c-fork", NULL, 0, user_json, strlen(user_json), NULL, 0, NULL, NULL);
        bool refused = result == EVENTBUS_RESULT_CLOSED &&
                       strstr(eventbus_last_error_message(), "before fork()") != NULL &&
                       eventbus_producer_close(producer, 0) == EVENTBUS_RESULT_CLOSED &&
                       eventbus_producer_in_flight(producer) == 0;
        /* Forgotten, not destroyed: destroying would wait for the parent's threads. */
        eventbus_producer_free(producer);
        char answer = refused ? 'y' : 'n';
        if (write(verdict[1], &answer, 1) != 1)
            answer = '?';
        /* Not _exit: under valgrind, a child forked from a process with
         * threads has been seen to hang in valgrind's own exit handling
         * after this last write (one thread left, waiting on a futex, its
         * parent in waitpid). Nothing intercepts SIGKILL. */
        kill(getpid(), SIGKILL);
        _exit(1);
    }
    close(verdict[1]);
    /* A child stuck on a lock its parent's threads held at fork() would
     * hang the run: it gets two minutes (valgrind is slow), then is killed. */
    struct pollfd answered = {.fd = verdict[0], .events = POLLIN};
    char answer = '?';
    if (poll(&answered, 1, 120 * 1000) == 1) {
        CHECK(read(verdict[0], &answer, 1) == 1 && answer == 'y');
    } else {
        kill(child, SIGKILL);
        check_failed(__FILE__, __LINE__, "the forked child gave no answer within 120 s");
    }
    close(verdict[0]);
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* The parent's producer is unaffected. */
    CHECK_OK(eventbus_producer_produce(producer, "c-fork", NULL, 0, user_json, strlen(user_json),
                                       NULL, 0, NULL, NULL));
    CHECK_RESULT(eventbus_producer_close(producer, 0), EVENTBUS_RESULT_TIMEOUT);
    eventbus_producer_free(producer);
}

/* ---- against the local stack ---- */

/* A topic of this run of this process: the runner runs several times
 * (plain, under ASan, under valgrind) with one prefix. */
static char *stack_topic(const char *suffix) {
    const char *prefix = required_env("EVENTBUS_C_TEST_TOPIC_PREFIX");
    size_t len = strlen(prefix) + strlen(suffix) + 32;
    char *topic = malloc(len);
    snprintf(topic, len, "%s-%ld-%s", prefix, (long)getpid(), suffix);
    return topic;
}

static void produces_to_the_local_stack_with_delivery_reports(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    char *topic = stack_topic("users");
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new_from_env(&config));
    eventbus_topic_binding binding = {topic, (uint32_t)env_number("EVENTBUS_C_TEST_USER_VALUE_ID"),
                                      (uint32_t)env_number("EVENTBUS_C_TEST_USER_KEY_ID"), NULL,
                                      NULL};
    eventbus_producer *producer = NULL;
    CHECK_OK(eventbus_producer_new(config, &binding, 1, &producer));
    eventbus_config_free(config);
    if (producer != NULL) {
        const char *users[] = {
            "{\"name\": \"Newbie\", \"company\": \"Ad Hoc\", \"dateOfBirth\": \"2000-07-26\", "
            "\"sequenceNumber\": 1}",
            "{\"name\": \"Grace Hopper\", \"company\": \"US Navy\", \"dateOfBirth\": "
            "\"1906-12-09\", \"sequenceNumber\": 2}",
            "{\"name\": \"Alan Turing\", \"company\": \"NPL\", \"dateOfBirth\": \"1912-06-23\", "
            "\"sequenceNumber\": 3}",
        };
        const char *keys[] = {"1", "2", "3"};
        const eventbus_header header = {"source", (const uint8_t *)"c-tests", 7};
        for (int i = 0; i < 3; i++)
            CHECK_OK(eventbus_producer_produce(producer, topic, keys[i], 1, users[i],
                                               strlen(users[i]), &header, 1, on_delivery, &seen));
        CHECK_OK(eventbus_producer_flush(producer, 30000));
        /* Flush returns once every callback has run. */
        CHECK(seen.count == 3);
        for (int i = 0; i < seen.count && i < 3; i++) {
            CHECK(seen.results[i] == EVENTBUS_RESULT_OK);
            CHECK(strcmp(seen.topics[i], topic) == 0);
            CHECK(seen.partitions[i] >= 0);
            CHECK(seen.offsets[i] >= 0 && seen.offsets[i] < 3);
            CHECK(seen.messages[i][0] == '\0');
        }
        CHECK(seen.offsets[0] != seen.offsets[1] && seen.offsets[1] != seen.offsets[2]);
        CHECK_OK(eventbus_producer_close(producer, 10000));
        CHECK_OK(eventbus_producer_close(producer, 10000));
        eventbus_producer_free(producer);
    }
    free(topic);
    deliveries_destroy(&seen);
}

static void a_registry_serializer_matches_the_offline_one(void) {
    uint32_t schema_id = (uint32_t)env_number("EVENTBUS_C_TEST_USER_VALUE_ID");
    const char *url = required_env("SCHEMA_REGISTRY_URL");
    const char *prefix = getenv("SCHEMA_REGISTRY_PATH_PREFIX");
    eventbus_serializer *remote = NULL, *local = NULL;
    CHECK_OK(eventbus_serializer_new_from_registry(schema_id, url, prefix, &remote));
    char *path = repo_path("examples/schemas/user.avsc");
    size_t len = 0;
    char *schema = read_file(path, &len);
    CHECK_OK(eventbus_serializer_new_from_schema(schema_id, schema, len, &local));
    uint8_t *from_remote = NULL, *from_local = NULL;
    size_t remote_len = 0, local_len = 0;
    CHECK_OK(eventbus_serializer_encode(remote, user_json, strlen(user_json), &from_remote,
                                        &remote_len));
    CHECK_OK(eventbus_serializer_encode(local, user_json, strlen(user_json), &from_local,
                                        &local_len));
    CHECK(remote_len == local_len && from_remote != NULL && from_local != NULL &&
          memcmp(from_remote, from_local, local_len) == 0);
    CHECK(eventbus_serializer_schema_id(remote) == schema_id);

    eventbus_serializer *missing = UNTOUCHED_SERIALIZER;
    CHECK_RESULT(eventbus_serializer_new_from_registry(2000000000u, url, prefix, &missing),
                 EVENTBUS_RESULT_SCHEMA_NOT_FOUND);
    CHECK(missing == UNTOUCHED_SERIALIZER);
    CHECK(strstr(eventbus_last_error_message(), "2000000000") != NULL);
    eventbus_buffer_free(from_remote);
    eventbus_buffer_free(from_local);
    eventbus_serializer_free(remote);
    eventbus_serializer_free(local);
    free(schema);
    free(path);
}

static void produces_over_sasl_ssl_with_an_iam_token(void) {
    struct deliveries seen;
    deliveries_init(&seen);
    char *topic = stack_topic("sasl");
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new_from_env(&config));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers",
                                 required_env("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS")));
    CHECK_OK(eventbus_config_set(config, "security_protocol", "SASL_SSL"));
    eventbus_topic_binding binding = {
        topic, (uint32_t)env_number("EVENTBUS_C_TEST_USER_VALUE_ID"), 0, NULL, NULL};
    eventbus_producer *producer = NULL;
    CHECK_OK(eventbus_producer_new(config, &binding, 1, &producer));
    eventbus_config_free(config);
    if (producer != NULL) {
        CHECK_OK(eventbus_producer_produce(producer, topic, NULL, 0, user_json, strlen(user_json),
                                           NULL, 0, on_delivery, &seen));
        CHECK_OK(eventbus_producer_close(producer, 30000));
        /* close returns only once the callbacks have run. */
        CHECK(seen.count == 1);
        CHECK(seen.results[0] == EVENTBUS_RESULT_OK);
        CHECK(seen.offsets[0] == 0);
        eventbus_producer_free(producer);
    }
    free(topic);
    deliveries_destroy(&seen);
}

/* Run in a child process with a wrong AWS secret in its environment. */
int auth_refused_child(void) {
    eventbus_config *config = NULL;
    if (eventbus_config_new_from_env(&config) != EVENTBUS_RESULT_OK)
        return 2;
    eventbus_config_set(config, "bootstrap_servers",
                        getenv("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS"));
    eventbus_config_set(config, "security_protocol", "SASL_SSL");
    eventbus_config_set(config, "startup_timeout_ms", "15000");
    char *topic = stack_topic("auth");
    eventbus_topic_binding binding = {
        topic, (uint32_t)strtoul(getenv("EVENTBUS_C_TEST_USER_VALUE_ID"), NULL, 10), 0, NULL,
        NULL};
    eventbus_producer *producer = NULL;
    eventbus_result result = eventbus_producer_new(config, &binding, 1, &producer);
    printf("%s: %s\n", eventbus_result_name(result), eventbus_last_error_message());
    fflush(stdout);
    eventbus_producer_free(producer);
    eventbus_config_free(config);
    free(topic);
    return result == EVENTBUS_RESULT_AUTH ? 0 : 1;
}

static void refused_credentials_are_an_auth_error(void) {
    char command[4096];
    snprintf(command, sizeof command,
             "AWS_SECRET_ACCESS_KEY=not-the-secret '%s' --auth-refused-child", test_program);
    FILE *child = popen(command, "r");
    CHECK(child != NULL);
    if (child == NULL)
        return;
    char line[1024] = "";
    CHECK(fgets(line, sizeof line, child) != NULL);
    int status = pclose(child);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        check_failed(__FILE__, __LINE__, "the child said: %s", line);
    CHECK(strncmp(line, "auth: authentication failed", 27) == 0);
    CHECK(strstr(line, "not-the-secret") == NULL);
}

const struct test_case producer_tests[] = {
    {"an_undeliverable_message_is_reported_to_its_callback",
     an_undeliverable_message_is_reported_to_its_callback, false},
    {"close_reports_what_it_could_not_deliver", close_reports_what_it_could_not_deliver, false},
    {"a_full_queue_is_queue_full", a_full_queue_is_queue_full, false},
    {"produce_refuses_what_the_topic_cannot_take", produce_refuses_what_the_topic_cannot_take,
     false},
    {"freeing_an_open_producer_reports_its_queued_messages",
     freeing_an_open_producer_reports_its_queued_messages, false},
    {"logs_reach_the_callback_on_the_log_thread", logs_reach_the_callback_on_the_log_thread,
     false},
    {"a_forked_child_cannot_use_its_parents_producer",
     a_forked_child_cannot_use_its_parents_producer, false},
    {"produces_to_the_local_stack_with_delivery_reports",
     produces_to_the_local_stack_with_delivery_reports, true},
    {"a_registry_serializer_matches_the_offline_one", a_registry_serializer_matches_the_offline_one,
     true},
    {"produces_over_sasl_ssl_with_an_iam_token", produces_over_sasl_ssl_with_an_iam_token, true},
    {"refused_credentials_are_an_auth_error", refused_credentials_are_an_auth_error, true},
};
const size_t producer_tests_len = sizeof producer_tests / sizeof producer_tests[0];
