package eventbus.stack.iam;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The access keys the broker accepts, looked up afresh for every
 * authentication so that tests can add and remove keys while it runs.
 *
 * <p>First the credentials file, one key a line:
 *
 * <pre>
 * # comment
 * &lt;access key id&gt;=&lt;secret access key&gt;[ &lt;session token&gt;]
 * </pre>
 *
 * <p>A key found there authenticates as its own access key id. Then, for a
 * temporary key ({@code ASIA...}) the file does not list, the local STS
 * (moto): its {@code GET /moto-api/data.json} lists every role session it has
 * issued, with the secret, the session token and the assumed-role ARN, which
 * becomes the principal. A real STS keeps the same ARN across refreshes when
 * the session name stays the same, so re-authentication keeps its principal.
 *
 * <p>A test that edits the file should write a new file and rename it over the
 * old one, so that an authentication never reads half a file.
 */
final class CredentialStore implements MskIamTokenValidator.CredentialLookup {
    private static final Duration STS_TIMEOUT = Duration.ofSeconds(5);

    private final Path file;
    private final URI stsEndpoint;
    private final HttpClient http;

    /** {@code stsEndpoint} may be null: then only the file counts. */
    CredentialStore(Path file, URI stsEndpoint) {
        this.file = file;
        this.stsEndpoint = stsEndpoint;
        this.http = stsEndpoint == null ? null
                : HttpClient.newBuilder().connectTimeout(STS_TIMEOUT).build();
    }

    @Override
    public MskIamTokenValidator.Credential find(String accessKeyId) throws Rejection {
        List<String> notes = new ArrayList<>();
        MskIamTokenValidator.Credential fromFile = findInFile(accessKeyId, notes);
        if (fromFile != null) {
            return fromFile;
        }
        if (accessKeyId.startsWith("ASIA") && stsEndpoint != null) {
            MskIamTokenValidator.Credential issued = findInSts(accessKeyId, notes);
            if (issued != null) {
                return issued;
            }
        }
        StringBuilder detail = new StringBuilder("access key " + accessKeyId + " is not in " + file);
        if (stsEndpoint != null && accessKeyId.startsWith("ASIA")) {
            detail.append(" nor among the role sessions of the local STS at ").append(stsEndpoint);
        } else if (stsEndpoint != null) {
            detail.append(" (only ASIA keys are looked up in the local STS)");
        }
        notes.forEach(note -> detail.append("; ").append(note));
        throw new Rejection(Rejection.UNKNOWN_ACCESS_KEY, detail.toString());
    }

    private MskIamTokenValidator.Credential findInFile(String accessKeyId, List<String> notes) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            notes.add(file + " does not exist");
            return null;
        } catch (IOException e) {
            notes.add("cannot read " + file + ": " + e);
            return null;
        }
        for (int number = 1; number <= lines.size(); number++) {
            String line = lines.get(number - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            String[] values = equals < 0 ? new String[0] : line.substring(equals + 1).strip().split("\\s+");
            if (equals <= 0 || values.length < 1 || values[0].isEmpty() || values.length > 2) {
                notes.add("line " + number + " of " + file + " is not <access key id>=<secret>"
                        + "[ <session token>]");
                continue;
            }
            if (line.substring(0, equals).strip().equals(accessKeyId)) {
                String sessionToken = values.length == 2 ? values[1] : null;
                return new MskIamTokenValidator.Credential(accessKeyId, values[0], sessionToken,
                        accessKeyId);
            }
        }
        return null;
    }

    private MskIamTokenValidator.Credential findInSts(String accessKeyId, List<String> notes) {
        URI dump = stsEndpoint.resolve("/moto-api/data.json");
        Object state;
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(dump).timeout(STS_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() != 200) {
                notes.add("the local STS answered " + response.statusCode() + " to GET " + dump);
                return null;
            }
            state = Json.parse(response.body());
        } catch (IOException | IllegalArgumentException e) {
            notes.add("the local STS did not answer GET " + dump + ": " + e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            notes.add("interrupted while asking the local STS");
            return null;
        }

        for (Object session : list(member(member(state, "sts"), "AssumedRole"))) {
            if (accessKeyId.equals(member(session, "access_key_id"))
                    && member(session, "secret_access_key") instanceof String secret
                    && member(session, "session_token") instanceof String sessionToken
                    && member(session, "arn") instanceof String arn) {
                return new MskIamTokenValidator.Credential(accessKeyId, secret, sessionToken, arn);
            }
        }
        return null;
    }

    private static Object member(Object object, String name) {
        return object instanceof Map<?, ?> map ? map.get(name) : null;
    }

    private static List<?> list(Object value) {
        return value instanceof List<?> list ? list : List.of();
    }
}
