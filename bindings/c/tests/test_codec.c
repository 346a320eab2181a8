/* Encoding and decoding the example events through the C API, checked
 * byte for byte against what the core writes (the vectors file that
 * bindings/c/run makes with the eventbus command). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct vector {
    uint32_t schema_id;
    char *schema_path;
    char *hex;
    char *json;
};

/* Lines of "schema_id \t schema path \t expected hex \t JSON". */
static struct vector *read_vectors(size_t *count_out) {
    const char *path = required_env("EVENTBUS_C_TEST_VECTORS");
    FILE *file = fopen(path, "r");
    *count_out = 0;
    if (file == NULL) {
        check_failed(__FILE__, __LINE__, "cannot open the vectors file %s", path);
        return NULL;
    }
    struct vector *vectors = NULL;
    size_t count = 0;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t len;
    while ((len = getline(&line, &capacity, file)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        char *id = strtok(line, "\t"), *schema = strtok(NULL, "\t");
        char *expected = strtok(NULL, "\t"), *json = strtok(NULL, "");
        if (id == NULL || schema == NULL || expected == NULL || json == NULL) {
            check_failed(__FILE__, __LINE__, "malformed vector line %zu", count + 1);
            continue;
        }
        vectors = realloc(vectors, (count + 1) * sizeof *vectors);
        vectors[count].schema_id = (uint32_t)strtoul(id, NULL, 10);
        vectors[count].schema_path = repo_path(schema);
        vectors[count].hex = strdup(expected);
        vectors[count].json = strdup(json);
        count++;
    }
    free(line);
    fclose(file);
    *count_out = count;
    return vectors;
}

static void free_vectors(struct vector *vectors, size_t count) {
    for (size_t i = 0; i < count; i++) {
        free(vectors[i].schema_path);
        free(vectors[i].hex);
        free(vectors[i].json);
    }
    free(vectors);
}

static eventbus_serializer *serializer_for(uint32_t schema_id, const char *schema_path) {
    size_t len = 0;
    char *schema = read_file(schema_path, &len);
    eventbus_serializer *serializer = NULL;
    if (schema != NULL)
        CHECK_OK(eventbus_serializer_new_from_schema(schema_id, schema, len, &serializer));
    free(schema);
    return serializer;
}

static void encodes_every_example_as_the_core_does(void) {
    size_t count = 0;
    struct vector *vectors = read_vectors(&count);
    /* Both .json records, and the key and value of every .jsonl line. */
    CHECK(count >= 18);
    for (size_t i = 0; i < count; i++) {
        eventbus_serializer *serializer =
            serializer_for(vectors[i].schema_id, vectors[i].schema_path);
        if (serializer == NULL)
            continue;
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK_OK(eventbus_serializer_encode(serializer, vectors[i].json,
                                            strlen(vectors[i].json), &bytes, &len));
        if (bytes != NULL) {
            char *got = hex(bytes, len);
            if (strcmp(got, vectors[i].hex) != 0)
                check_failed(__FILE__, __LINE__, "vector %zu (%s): wrote %s, the core %s", i,
                             vectors[i].schema_path, got, vectors[i].hex);
            free(got);
        }
        eventbus_buffer_free(bytes);
        eventbus_serializer_free(serializer);
    }
    free_vectors(vectors, count);
}

static void encodes_into_the_callers_buffer(void) {
    size_t count = 0;
    struct vector *vectors = read_vectors(&count);
    CHECK(count > 0);
    for (size_t i = 0; i < count; i++) {
        eventbus_serializer *serializer =
            serializer_for(vectors[i].schema_id, vectors[i].schema_path);
        if (serializer == NULL)
            continue;
        const char *json = vectors[i].json;
        uint8_t buffer[8192];
        size_t len = 0;
        CHECK_OK(eventbus_serializer_encode_to(serializer, json, strlen(json), buffer,
                                               sizeof buffer, &len));
        char *got = hex(buffer, len);
        if (strcmp(got, vectors[i].hex) != 0)
            check_failed(__FILE__, __LINE__, "vector %zu (%s): wrote %s, the core %s", i,
                         vectors[i].schema_path, got, vectors[i].hex);
        free(got);

        /* One byte short: refused, with nothing written. */
        uint8_t short_buffer[8192];
        memset(short_buffer, 0xAA, sizeof short_buffer);
        size_t untouched = 12345;
        CHECK_RESULT(eventbus_serializer_encode_to(serializer, json, strlen(json), short_buffer,
                                                   len - 1, &untouched),
                     EVENTBUS_RESULT_BUFFER_TOO_SMALL);
        CHECK(untouched == 12345);
        CHECK(strstr(eventbus_last_error_message(), "needs") != NULL);
        size_t aa = 0;
        while (aa < sizeof short_buffer && short_buffer[aa] == 0xAA)
            aa++;
        CHECK(aa == sizeof short_buffer);
        eventbus_serializer_free(serializer);
    }
    free_vectors(vectors, count);

    /* NULL is a buffer of no bytes; NULL with a capacity is a mistake. */
    char *path = repo_path("examples/schemas/user.avsc");
    eventbus_serializer *users = serializer_for(7, path);
    free(path);
    const char *user = "{\"name\": \"N\", \"company\": \"C\", "
                       "\"dateOfBirth\": \"2000-07-26\", \"sequenceNumber\": 1}";
    size_t len = 0;
    CHECK_RESULT(eventbus_serializer_encode_to(users, user, strlen(user), NULL, 0, &len),
                 EVENTBUS_RESULT_BUFFER_TOO_SMALL);
    CHECK_RESULT(eventbus_serializer_encode_to(users, user, strlen(user), NULL, 64, &len),
                 EVENTBUS_RESULT_NULL_POINTER);
    uint8_t buffer[64];
    CHECK_RESULT(eventbus_serializer_encode_to(users, "{\"name\": 1}", 11, buffer, sizeof buffer,
                                               &len),
                 EVENTBUS_RESULT_INVALID_RECORD);
    CHECK(strcmp(eventbus_last_error_field_path(), "name") == 0);
    eventbus_serializer_free(users);
}

static void decoding_and_encoding_again_gives_the_same_bytes(void) {
    size_t count = 0;
    struct vector *vectors = read_vectors(&count);
    CHECK(count > 0);
    for (size_t i = 0; i < count; i++) {
        eventbus_serializer *serializer =
            serializer_for(vectors[i].schema_id, vectors[i].schema_path);
        if (serializer == NULL)
            continue;
        uint8_t *bytes = NULL, *again = NULL;
        size_t len = 0, again_len = 0, json_len = 0;
        char *json = NULL;
        CHECK_OK(eventbus_serializer_encode(serializer, vectors[i].json,
                                            strlen(vectors[i].json), &bytes, &len));
        CHECK_OK(eventbus_serializer_decode(serializer, bytes, len, &json, &json_len));
        if (json != NULL) {
            CHECK(strlen(json) == json_len);
            CHECK_OK(eventbus_serializer_encode(serializer, json, json_len, &again, &again_len));
            CHECK(again_len == len && again != NULL && memcmp(again, bytes, len) == 0);
        }
        eventbus_buffer_free(bytes);
        eventbus_buffer_free(again);
        eventbus_buffer_free(json);
        eventbus_serializer_free(serializer);
    }
    free_vectors(vectors, count);
}

static void decodes_into_natural_json(void) {
    char *path = repo_path("examples/schemas/user.avsc");
    eventbus_serializer *serializer = serializer_for(7, path);
    free(path);
    const char *user = "{\"name\": \"Newbie\", \"company\": \"Ad Hoc\", "
                       "\"dateOfBirth\": \"2000-07-26\", \"sequenceNumber\": 1}";
    uint8_t *bytes = NULL;
    size_t len = 0;
    char *json = NULL;
    CHECK_OK(eventbus_serializer_encode(serializer, user, strlen(user), &bytes, &len));
    CHECK(len > 5 && bytes[0] == 0 && bytes[4] == 7);
    CHECK(eventbus_serializer_schema_id(serializer) == 7);
    /* The length out-parameter of decode is optional. */
    CHECK_OK(eventbus_serializer_decode(serializer, bytes, len, &json, NULL));
    CHECK(json != NULL && strcmp(json, "{\"name\":\"Newbie\",\"company\":\"Ad Hoc\","
                                       "\"dateOfBirth\":\"2000-07-26\",\"sequenceNumber\":1}") ==
                              0);
    eventbus_buffer_free(bytes);
    eventbus_buffer_free(json);
    eventbus_serializer_free(serializer);
}

struct encoder_thread {
    eventbus_serializer *serializer;
    const char *json;
    const char *expected_hex;
    int mismatches;
};

static void *encode_many(void *argument) {
    struct encoder_thread *work = argument;
    for (int i = 0; i < 200; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (eventbus_serializer_encode(work->serializer, work->json, strlen(work->json), &bytes,
                                       &len) != EVENTBUS_RESULT_OK) {
            work->mismatches++;
            continue;
        }
        char *got = hex(bytes, len);
        work->mismatches += strcmp(got, work->expected_hex) != 0;
        free(got);
        eventbus_buffer_free(bytes);
    }
    return NULL;
}

static void one_serializer_encodes_on_many_threads_at_once(void) {
    size_t count = 0;
    struct vector *vectors = read_vectors(&count);
    if (count == 0) {
        free_vectors(vectors, count);
        return;
    }
    eventbus_serializer *serializer = serializer_for(vectors[0].schema_id, vectors[0].schema_path);
    struct encoder_thread work[4];
    pthread_t threads[4];
    for (int t = 0; t < 4; t++) {
        work[t] = (struct encoder_thread){serializer, vectors[0].json, vectors[0].hex, 0};
        CHECK(pthread_create(&threads[t], NULL, encode_many, &work[t]) == 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        CHECK(work[t].mismatches == 0);
    }
    eventbus_serializer_free(serializer);
    free_vectors(vectors, count);
}

const struct test_case codec_tests[] = {
    {"encodes_every_example_as_the_core_does", encodes_every_example_as_the_core_does, false},
    {"decoding_and_encoding_again_gives_the_same_bytes",
     decoding_and_encoding_again_gives_the_same_bytes, false},
    {"decodes_into_natural_json", decodes_into_natural_json, false},
    {"encodes_into_the_callers_buffer", encodes_into_the_callers_buffer, false},
    {"one_serializer_encodes_on_many_threads_at_once",
     one_serializer_encodes_on_many_threads_at_once, false},
};
const size_t codec_tests_len = sizeof codec_tests / sizeof codec_tests[0];
