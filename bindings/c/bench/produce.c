/*
 * Producing through the C API to the local broker, as one JSON line for
 * `cargo xtask bench`: start-up to the first delivered event, the resident
 * memory an idle producer and a loaded one add, throughput of EVENTS
 * appointment events (JSON text encoded by the library), and the latency of
 * produce-then-wait.
 *
 *   cc -O2 -o produce bindings/c/bench/produce.c -Ibindings/c/include -Ltarget/release -leventbus
 *   TOPIC=... VALUE_SCHEMA_ID=... [EVENTS=20000] [LATENCY_SAMPLES=300] ./produce examples/records/appointment.json
 *
 * The stack's variables (EB_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, ...)
 * come from `cargo xtask stack env`.
 */
#define _POSIX_C_SOURCE 200809L
#include <eventbus.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_long delivered;
static atomic_long failed;

static void on_delivery(void *userdata, const struct eventbus_delivery_report *report) {
    (void)userdata;
    if (report->result == EVENTBUS_RESULT_OK)
        atomic_fetch_add(&delivered, 1);
    else
        atomic_fetch_add(&failed, 1);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double resident_mib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atof(line + 6);
    if (status)
        fclose(status);
    return kib / 1024.0;
}

static long env_long(const char *name, long fallback) {
    const char *value = getenv(name);
    return value ? atol(value) : fallback;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, eventbus_last_error_message());
    exit(1);
}

/* Produces one event and waits for its report. */
static void produce_and_wait(const eventbus_producer *producer, const char *topic,
                             const char *json, size_t len) {
    long before = atomic_load(&delivered) + atomic_load(&failed);
    if (eventbus_producer_produce(producer, topic, NULL, 0, json, len, NULL, 0, on_delivery,
                                  NULL) != EVENTBUS_RESULT_OK)
        fail("produce");
    while (atomic_load(&delivered) + atomic_load(&failed) == before) {
        struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv) {
    const char *topic = getenv("TOPIC");
    long value_schema_id = env_long("VALUE_SCHEMA_ID", 0);
    long events = env_long("EVENTS", 20000);
    long samples = env_long("LATENCY_SAMPLES", 300);
    if (argc != 2 || !topic || value_schema_id <= 0 || samples <= 0) {
        fprintf(stderr, "usage: TOPIC=... VALUE_SCHEMA_ID=... %s RECORD.json\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    static char json[65536];
    size_t len = file ? fread(json, 1, sizeof json, file) : 0;
    if (file)
        fclose(file);
    if (len == 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }

    double baseline = resident_mib();
    double started = now_ms();
    eventbus_config *config = NULL;
    if (eventbus_config_new_from_env(&config) != EVENTBUS_RESULT_OK)
        fail("configuration");
    struct eventbus_topic_binding binding = {.topic = topic,
                                             .value_schema_id = (uint32_t)value_schema_id};
    eventbus_producer *producer = NULL;
    if (eventbus_producer_new(config, &binding, 1, &producer) != EVENTBUS_RESULT_OK)
        fail("producer");
    eventbus_config_free(config);
    produce_and_wait(producer, topic, json, len);
    double startup = now_ms() - started;
    sleep(2);
    double idle = resident_mib() - baseline;

    started = now_ms();
    for (long i = 0; i < events; i++)
        if (eventbus_producer_produce(producer, topic, NULL, 0, json, len, NULL, 0, on_delivery,
                                      NULL) != EVENTBUS_RESULT_OK)
            fail("produce");
    if (eventbus_producer_flush(producer, 120000) != EVENTBUS_RESULT_OK)
        fail("flush");
    double seconds = (now_ms() - started) / 1e3;
    double loaded = resident_mib() - baseline;

    double *latency = malloc(sizeof(double) * (size_t)samples);
    if (!latency)
        return 1;
    for (long i = 0; i < samples; i++) {
        double sent = now_ms();
        produce_and_wait(producer, topic, json, len);
        latency[i] = now_ms() - sent;
    }
    qsort(latency, (size_t)samples, sizeof(double), compare);
    if (eventbus_producer_close(producer, 30000) != EVENTBUS_RESULT_OK)
        fail("close");
    eventbus_producer_free(producer);
    if (atomic_load(&failed) > 0) {
        fprintf(stderr, "%ld deliveries failed\n", atomic_load(&failed));
        return 1;
    }

    long p99 = samples * 99 / 100;
    printf("{\"binding\":\"c\",\"implementation\":\"libeventbus %s C API, JSON text\","
           "\"startup_ms\":%.3f,\"idle_rss_mib\":%.3f,\"load_rss_mib\":%.3f,"
           "\"events_per_second\":%.1f,\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f}\n",
           eventbus_version(), startup, idle, loaded, events / seconds, latency[samples / 2],
           latency[p99 < samples ? p99 : samples - 1]);
    free(latency);
    return 0;
}
