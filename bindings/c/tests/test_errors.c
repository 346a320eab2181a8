/* Every result code that an argument or a record can cause, without a
 * broker: what is returned, what the last error says, and that
 * out-parameters stay untouched on failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Written into out-parameters before a call that must fail. */
static uint8_t untouched_byte;
#define UNTOUCHED ((void *)&untouched_byte)

static const char user_json[] = "{\"name\": \"Newbie\", \"company\": \"Ad Hoc\", "
                                "\"dateOfBirth\": \"2000-07-26\", \"sequenceNumber\": 1}";

static eventbus_serializer *example_serializer(const char *schema_file, uint32_t schema_id) {
    char *path = repo_path(schema_file);
    size_t len = 0;
    char *schema = read_file(path, &len);
    eventbus_serializer *serializer = NULL;
    if (schema != NULL)
        CHECK_OK(eventbus_serializer_new_from_schema(schema_id, schema, len, &serializer));
    free(schema);
    free(path);
    return serializer;
}

static bool last_message_contains(const char *text) {
    return strstr(eventbus_last_error_message(), text) != NULL;
}

static void result_codes_have_stable_numbers_and_names(void) {
    CHECK(EVENTBUS_RESULT_OK == 0);
    CHECK(EVENTBUS_RESULT_CONFIG == 1);
    CHECK(EVENTBUS_RESULT_INVALID_RECORD == 6);
    CHECK(EVENTBUS_RESULT_QUEUE_FULL == 12);
    CHECK(EVENTBUS_RESULT_NULL_POINTER == 100);
    CHECK(EVENTBUS_RESULT_INTERNAL == 200);
    CHECK(strcmp(eventbus_result_name(EVENTBUS_RESULT_OK), "ok") == 0);
    CHECK(strcmp(eventbus_result_name(EVENTBUS_RESULT_REGISTRY_UNAVAILABLE),
                 "registry_unavailable") == 0);
    CHECK(strcmp(eventbus_result_name(EVENTBUS_RESULT_QUEUE_FULL), "queue_full") == 0);
    CHECK(strcmp(eventbus_result_name(EVENTBUS_RESULT_INVALID_UTF8), "invalid_utf8") == 0);
    CHECK(strcmp(eventbus_result_name(EVENTBUS_RESULT_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
    CHECK(strcmp(eventbus_result_name(13), "unknown") == 0);
    CHECK(strcmp(eventbus_version(), EVENTBUS_VERSION) == 0);
}

static void null_pointers_are_refused_and_named(void) {
    eventbus_serializer *serializer = example_serializer("examples/schemas/user.avsc", 12);
    uint8_t *bytes = UNTOUCHED;
    size_t len = 77;
    CHECK_RESULT(eventbus_serializer_encode(NULL, user_json, strlen(user_json), &bytes, &len),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK(last_message_contains("serializer is NULL"));
    CHECK(eventbus_last_error_code() == EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_serializer_encode(serializer, NULL, 10, &bytes, &len),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_serializer_encode(serializer, user_json, strlen(user_json), NULL, &len),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_serializer_encode(serializer, user_json, strlen(user_json), &bytes, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK(bytes == UNTOUCHED && len == 77);
    char *json = UNTOUCHED;
    CHECK_RESULT(eventbus_serializer_decode(serializer, NULL, 6, &json, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK(json == UNTOUCHED);
    CHECK_RESULT(eventbus_serializer_new_from_schema(1, "\"string\"", 8, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    eventbus_serializer *made = UNTOUCHED;
    CHECK_RESULT(eventbus_serializer_new_from_registry(1, NULL, NULL, &made),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK(made == UNTOUCHED);
    CHECK_RESULT(eventbus_config_new(NULL), EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_config_set(NULL, "aws_region", "us-east-1"),
                 EVENTBUS_RESULT_NULL_POINTER);
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_RESULT(eventbus_config_set(config, NULL, "x"), EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_config_set(config, "aws_region", NULL), EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_config_set_kafka_property(config, "linger.ms", NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    eventbus_producer *producer = UNTOUCHED;
    CHECK_RESULT(eventbus_producer_new(NULL, NULL, 0, &producer), EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_producer_new(config, NULL, 1, &producer), EVENTBUS_RESULT_NULL_POINTER);
    CHECK(producer == UNTOUCHED);
    CHECK_RESULT(eventbus_producer_produce(NULL, "t", NULL, 0, "{}", 2, NULL, 0, NULL, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_producer_flush(NULL, 0), EVENTBUS_RESULT_NULL_POINTER);
    CHECK_RESULT(eventbus_producer_close(NULL, 0), EVENTBUS_RESULT_NULL_POINTER);
    CHECK(eventbus_producer_in_flight(NULL) == 0);
    CHECK(eventbus_serializer_schema_id(NULL) == 0);
    /* Every _free takes NULL. */
    eventbus_config_free(NULL);
    eventbus_serializer_free(NULL);
    eventbus_producer_free(NULL);
    eventbus_buffer_free(NULL);
    eventbus_config_free(config);
    eventbus_serializer_free(serializer);
}

static void text_must_be_utf8_and_json_well_formed(void) {
    eventbus_serializer *serializer = example_serializer("examples/schemas/user.avsc", 12);
    uint8_t *bytes = UNTOUCHED;
    size_t len = 0;
    const char not_utf8[] = "{\"name\": \"\xff\xfe\", \"company\": \"x\", "
                            "\"dateOfBirth\": 1, \"sequenceNumber\": 1}";
    CHECK_RESULT(eventbus_serializer_encode(serializer, not_utf8, strlen(not_utf8), &bytes, &len),
                 EVENTBUS_RESULT_INVALID_UTF8);
    CHECK(last_message_contains("not valid UTF-8"));
    CHECK_RESULT(eventbus_serializer_encode(serializer, "{\"name\": ", 9, &bytes, &len),
                 EVENTBUS_RESULT_INVALID_JSON);
    CHECK(last_message_contains("not well-formed JSON"));
    CHECK_RESULT(eventbus_serializer_new_from_schema(1, "\"str\xc3\x28\"", 7, &serializer),
                 EVENTBUS_RESULT_INVALID_UTF8);
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_RESULT(eventbus_config_set(config, "aws_region", "us-\xff"),
                 EVENTBUS_RESULT_INVALID_UTF8);
    eventbus_config_free(config);
    CHECK(bytes == UNTOUCHED);
    eventbus_serializer_free(serializer);
}

static void an_invalid_schema_is_refused(void) {
    eventbus_serializer *serializer = UNTOUCHED;
    const char schema[] = "{\"type\": \"record\", \"name\": \"X\", \"fields\": [{\"name\": \"a\"}]}";
    CHECK_RESULT(eventbus_serializer_new_from_schema(3, schema, strlen(schema), &serializer),
                 EVENTBUS_RESULT_INVALID_SCHEMA);
    CHECK(serializer == UNTOUCHED);
    CHECK(last_message_contains("invalid schema"));
    CHECK(eventbus_last_error_field_path() == NULL);
    CHECK_RESULT(eventbus_serializer_new_from_schema(3, "{", 1, &serializer),
                 EVENTBUS_RESULT_INVALID_SCHEMA);
}

static void an_invalid_record_names_its_field(void) {
    eventbus_serializer *user = example_serializer("examples/schemas/user.avsc", 12);
    uint8_t *bytes = UNTOUCHED;
    size_t len = 0;
    const char missing_company[] = "{\"name\": \"x\", \"company\": null, "
                                   "\"dateOfBirth\": \"2000-07-26\", \"sequenceNumber\": 1}";
    CHECK_RESULT(eventbus_serializer_encode(user, missing_company, strlen(missing_company), &bytes,
                                            &len),
                 EVENTBUS_RESULT_INVALID_RECORD);
    CHECK(bytes == UNTOUCHED);
    const char *path = eventbus_last_error_field_path();
    CHECK(path != NULL && strcmp(path, "company") == 0);
    CHECK(last_message_contains("invalid record: company: expected string, found null"));
    CHECK(!eventbus_last_error_retriable());

    char *appointment_path = repo_path("examples/records/appointment.json");
    size_t appointment_len = 0;
    char *appointment = read_file(appointment_path, &appointment_len);
    eventbus_serializer *appointments =
        example_serializer("examples/schemas/appointment.avsc", 13);
    char *city = appointment == NULL ? NULL : strstr(appointment, "\"Spokane\"");
    CHECK(city != NULL);
    if (city != NULL) {
        memcpy(city, "null     ", 9);
        CHECK_RESULT(eventbus_serializer_encode(appointments, appointment, appointment_len, &bytes,
                                                &len),
                     EVENTBUS_RESULT_INVALID_RECORD);
        path = eventbus_last_error_field_path();
        CHECK(path != NULL && strcmp(path, "facility.city") == 0);
    }
    /* A later failure of another kind has no field path. */
    CHECK_RESULT(eventbus_serializer_encode(user, "[", 1, &bytes, &len),
                 EVENTBUS_RESULT_INVALID_JSON);
    CHECK(eventbus_last_error_field_path() == NULL);
    /* The record itself has the empty path. */
    CHECK_RESULT(eventbus_serializer_encode(user, "42", 2, &bytes, &len),
                 EVENTBUS_RESULT_INVALID_RECORD);
    path = eventbus_last_error_field_path();
    CHECK(path != NULL && path[0] == '\0');
    free(appointment);
    free(appointment_path);
    eventbus_serializer_free(appointments);
    eventbus_serializer_free(user);
}

static void bad_messages_fail_to_decode(void) {
    eventbus_serializer *user = example_serializer("examples/schemas/user.avsc", 12);
    char *json = UNTOUCHED;
    const uint8_t not_framed[] = {1, 2, 3};
    CHECK_RESULT(eventbus_serializer_decode(user, not_framed, sizeof not_framed, &json, NULL),
                 EVENTBUS_RESULT_DECODE);
    const uint8_t truncated[] = {0, 0, 0, 0, 12, 0x0c, 'N'};
    CHECK_RESULT(eventbus_serializer_decode(user, truncated, sizeof truncated, &json, NULL),
                 EVENTBUS_RESULT_DECODE);
    CHECK_RESULT(eventbus_serializer_decode(user, NULL, 0, &json, NULL), EVENTBUS_RESULT_DECODE);
    const uint8_t other_schema[] = {0, 0, 0, 0, 99, 0};
    CHECK_RESULT(eventbus_serializer_decode(user, other_schema, sizeof other_schema, &json, NULL),
                 EVENTBUS_RESULT_SCHEMA_MISMATCH);
    CHECK(last_message_contains("schema id 99"));
    CHECK(json == UNTOUCHED);
    eventbus_serializer_free(user);
}

static void configuration_mistakes_are_config_errors(void) {
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_RESULT(eventbus_config_set(config, "bootstrap.servers", "x:9098"),
                 EVENTBUS_RESULT_CONFIG);
    CHECK(last_message_contains("unknown setting \"bootstrap.servers\""));
    CHECK_RESULT(eventbus_config_set(config, "startup_timeout_ms", "soon"),
                 EVENTBUS_RESULT_CONFIG);
    CHECK_RESULT(eventbus_config_set(config, "enable_idempotence", "maybe"),
                 EVENTBUS_RESULT_CONFIG);
    CHECK_OK(eventbus_config_set(config, "security_protocol", "PLAINTEXT"));
    eventbus_topic_binding topic = {"c-config-errors", 1, 0, NULL, NULL};
    eventbus_producer *producer = UNTOUCHED;
    /* No bootstrap servers. */
    CHECK_RESULT(eventbus_producer_new(config, &topic, 1, &producer), EVENTBUS_RESULT_CONFIG);
    CHECK(last_message_contains("no bootstrap servers"));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers", "127.0.0.1:1"));
    /* No topics. */
    CHECK_RESULT(eventbus_producer_new(config, NULL, 0, &producer), EVENTBUS_RESULT_CONFIG);
    /* A property contradicting the Event Bus rules. */
    CHECK_OK(eventbus_config_set_kafka_property(config, "use.latest.version", "true"));
    CHECK_RESULT(eventbus_producer_new(config, &topic, 1, &producer), EVENTBUS_RESULT_CONFIG);
    CHECK(producer == UNTOUCHED);
    eventbus_config_free(config);
    /* A schema id with no schema source. */
    CHECK_OK(eventbus_config_new(&config));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers", "127.0.0.1:1"));
    CHECK_OK(eventbus_config_set(config, "security_protocol", "PLAINTEXT"));
    CHECK_RESULT(eventbus_producer_new(config, &topic, 1, &producer), EVENTBUS_RESULT_CONFIG);
    CHECK(last_message_contains("no schema source"));
    eventbus_config_free(config);
    eventbus_serializer *serializer = UNTOUCHED;
    CHECK_RESULT(eventbus_serializer_new_from_registry(1, "localhost:8081", NULL, &serializer),
                 EVENTBUS_RESULT_CONFIG);
    CHECK(serializer == UNTOUCHED);
}

static void an_unreachable_registry_is_registry_unavailable(void) {
    eventbus_config *config = NULL;
    CHECK_OK(eventbus_config_new(&config));
    CHECK_OK(eventbus_config_set(config, "bootstrap_servers", "127.0.0.1:1"));
    CHECK_OK(eventbus_config_set(config, "security_protocol", "PLAINTEXT"));
    /* Port 1 on loopback: nothing listens there. */
    CHECK_OK(eventbus_config_set(config, "schema_registry_url", "http://127.0.0.1:1"));
    CHECK_OK(eventbus_config_set(config, "schema_registry_retry_ms", "0"));
    eventbus_topic_binding topic = {"c-registry-down", 1, 0, NULL, NULL};
    eventbus_producer *producer = UNTOUCHED;
    CHECK_RESULT(eventbus_producer_new(config, &topic, 1, &producer),
                 EVENTBUS_RESULT_REGISTRY_UNAVAILABLE);
    CHECK(eventbus_last_error_retriable());
    CHECK(producer == UNTOUCHED);
    eventbus_config_free(config);
}

static void a_panic_stays_inside_the_library(void) {
    CHECK_RESULT(eventbus_check_panic_boundary(), EVENTBUS_RESULT_INTERNAL);
    CHECK(last_message_contains("the panic boundary works"));
    /* And the library goes on working. */
    eventbus_serializer *serializer = example_serializer("examples/schemas/user.avsc", 12);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_OK(eventbus_serializer_encode(serializer, user_json, strlen(user_json), &bytes, &len));
    eventbus_buffer_free(bytes);
    eventbus_serializer_free(serializer);
}

static void the_last_error_copies_like_snprintf(void) {
    CHECK_RESULT(eventbus_serializer_encode(NULL, "", 0, NULL, NULL),
                 EVENTBUS_RESULT_NULL_POINTER);
    const char *message = eventbus_last_error_message();
    size_t full = strlen(message);
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(eventbus_last_error_message_copy(small, sizeof small) == full);
    CHECK(small[7] == '\0' && strncmp(small, message, 7) == 0);
    char *big = malloc(full + 1);
    CHECK(eventbus_last_error_message_copy(big, full + 1) == full);
    CHECK(strcmp(big, message) == 0);
    CHECK(eventbus_last_error_message_copy(NULL, 0) == full);
    free(big);
}

const struct test_case error_tests[] = {
    {"result_codes_have_stable_numbers_and_names", result_codes_have_stable_numbers_and_names,
     false},
    {"null_pointers_are_refused_and_named", null_pointers_are_refused_and_named, false},
    {"text_must_be_utf8_and_json_well_formed", text_must_be_utf8_and_json_well_formed, false},
    {"an_invalid_schema_is_refused", an_invalid_schema_is_refused, false},
    {"an_invalid_record_names_its_field", an_invalid_record_names_its_field, false},
    {"bad_messages_fail_to_decode", bad_messages_fail_to_decode, false},
    {"configuration_mistakes_are_config_errors", configuration_mistakes_are_config_errors, false},
    {"an_unreachable_registry_is_registry_unavailable",
     an_unreachable_registry_is_registry_unavailable, false},
    {"a_panic_stays_inside_the_library", a_panic_stays_inside_the_library, false},
    {"the_last_error_copies_like_snprintf", the_last_error_copies_like_snprintf, false},
};
const size_t error_tests_len = sizeof error_tests / sizeof error_tests[0];
