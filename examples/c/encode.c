/* Encodes one JSON record with a local copy of its schema and prints the
 * Confluent-framed message as lowercase hex, as `eventbus encode` does;
 * then decodes it again and prints the JSON it reads back.
 *
 *   encode SCHEMA_ID SCHEMA.avsc RECORD.json
 *   encode 12 examples/schemas/user.avsc examples/records/user.json
 */
#include <stdio.h>
#include <stdlib.h>

#include <eventbus.h>

static char *read_file(const char *path, size_t *len_out) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        return NULL;
    }
    fseek(file, 0, SEEK_END);
    long len = ftell(file);
    rewind(file);
    char *text = malloc((size_t)len + 1);
    size_t got = fread(text, 1, (size_t)len, file);
    fclose(file);
    text[got] = '\0';
    *len_out = got;
    return text;
}

static int fail(const char *what) {
    fprintf(stderr, "encode: %s: %s\n", what, eventbus_last_error_message());
    const char *field = eventbus_last_error_field_path();
    if (field != NULL)
        fprintf(stderr, "encode: the field at fault: %s\n", field[0] ? field : "<root>");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SCHEMA_ID SCHEMA.avsc RECORD.json\n", argv[0]);
        return 2;
    }
    uint32_t schema_id = (uint32_t)strtoul(argv[1], NULL, 10);
    size_t schema_len = 0, record_len = 0;
    char *schema = read_file(argv[2], &schema_len);
    char *record = read_file(argv[3], &record_len);
    if (schema == NULL || record == NULL)
        return 1;

    eventbus_serializer *serializer = NULL;
    if (eventbus_serializer_new_from_schema(schema_id, schema, schema_len, &serializer) !=
        EVENTBUS_RESULT_OK)
        return fail(argv[2]);

    uint8_t *message = NULL;
    size_t message_len = 0;
    if (eventbus_serializer_encode(serializer, record, record_len, &message, &message_len) !=
        EVENTBUS_RESULT_OK)
        return fail(argv[3]);
    for (size_t i = 0; i < message_len; i++)
        printf("%02x", message[i]);
    printf("\n");

    char *json = NULL;
    if (eventbus_serializer_decode(serializer, message, message_len, &json, NULL) !=
        EVENTBUS_RESULT_OK)
        return fail("decoding it again");
    printf("%s\n", json);

    eventbus_buffer_free(json);
    eventbus_buffer_free(message);
    eventbus_serializer_free(serializer);
    free(record);
    free(schema);
    return 0;
}
