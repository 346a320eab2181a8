package eventbus.stack.iam;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks an AWS MSK IAM token the way an MSK cluster with IAM access control
 * does, without Kafka: this class only needs the JDK, so the self-test runs it
 * directly.
 *
 * <p>The token is the base64url encoding, without padding, of a SigV4
 * query-presigned URL:
 *
 * <pre>
 * https://kafka.&lt;region&gt;.amazonaws.com/?Action=kafka-cluster%3AConnect
 *     &amp;X-Amz-Algorithm=AWS4-HMAC-SHA256
 *     &amp;X-Amz-Credential=&lt;access key id&gt;%2F&lt;yyyymmdd&gt;%2F&lt;region&gt;%2Fkafka-cluster%2Faws4_request
 *     &amp;X-Amz-Date=&lt;yyyymmddThhmmssZ&gt;&amp;X-Amz-Expires=900&amp;X-Amz-SignedHeaders=host
 *     [&amp;X-Amz-Security-Token=...]&amp;X-Amz-Signature=...&amp;User-Agent=...
 * </pre>
 *
 * <p>{@code User-Agent} is added by the signing libraries after signing, so it
 * is left out of the signature wherever it appears.
 */
final class MskIamTokenValidator {
    static final String SERVICE = "kafka-cluster";
    static final String ACTION = "kafka-cluster:Connect";

    /** The signing libraries all use 900 s. */
    static final long MAX_EXPIRES_SECONDS = 900;

    /** How far in the future a signing time may lie, for clocks that drift. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    static final String ALGORITHM_PARAMETER = "X-Amz-Algorithm";
    static final String CREDENTIAL_PARAMETER = "X-Amz-Credential";
    static final String DATE_PARAMETER = "X-Amz-Date";
    static final String EXPIRES_PARAMETER = "X-Amz-Expires";
    static final String SIGNED_HEADERS_PARAMETER = "X-Amz-SignedHeaders";
    static final String SECURITY_TOKEN_PARAMETER = "X-Amz-Security-Token";
    static final String SIGNATURE_PARAMETER = "X-Amz-Signature";
    static final String USER_AGENT_PARAMETER = "User-Agent";

    private static final List<String> REQUIRED_PARAMETERS = List.of("Action", ALGORITHM_PARAMETER,
            CREDENTIAL_PARAMETER, DATE_PARAMETER, EXPIRES_PARAMETER, SIGNED_HEADERS_PARAMETER,
            SIGNATURE_PARAMETER);

    static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'");

    /** A key pair the broker knows, and the principal it authenticates as. */
    record Credential(String accessKeyId, String secretAccessKey, String sessionToken,
            String principal) {}

    /** Finds the credential of an access key id, or refuses with the reason. */
    interface CredentialLookup {
        Credential find(String accessKeyId) throws Rejection;
    }

    /** A valid token: who it authenticates and when it stops being valid. */
    record Accepted(String principal, String accessKeyId, long startTimeMs, long lifetimeMs) {}

    private final String region;
    private final String expectedHost;
    private final CredentialLookup credentials;

    MskIamTokenValidator(String region, CredentialLookup credentials) {
        this.region = Objects.requireNonNull(region);
        this.expectedHost = "kafka." + region + ".amazonaws.com";
        this.credentials = Objects.requireNonNull(credentials);
    }

    Accepted validate(String token, Instant now) throws Rejection {
        URI url = decode(token);
        Map<String, String> parameters = queryParameters(url.getRawQuery());
        for (String name : REQUIRED_PARAMETERS) {
            if (!parameters.containsKey(name)) {
                throw malformed("the presigned URL has no " + name + " parameter");
            }
        }

        if (!SigV4.ALGORITHM.equals(parameters.get(ALGORITHM_PARAMETER))) {
            throw malformed(ALGORITHM_PARAMETER + " is " + parameters.get(ALGORITHM_PARAMETER)
                    + ", expected " + SigV4.ALGORITHM);
        }
        String[] scope = parameters.get(CREDENTIAL_PARAMETER).split("/", -1);
        if (scope.length != 5 || !SigV4.TERMINATOR.equals(scope[4])) {
            throw malformed(CREDENTIAL_PARAMETER + " is not <access key id>/<yyyymmdd>/<region>/"
                    + "<service>/aws4_request");
        }
        String accessKeyId = scope[0];
        String scopeDate = scope[1];
        String scopeRegion = scope[2];
        String scopeService = scope[3];

        if (!region.equals(scopeRegion)) {
            throw new Rejection(Rejection.WRONG_REGION, "the token is signed for region "
                    + scopeRegion + ", but this cluster is in " + region);
        }
        if (!expectedHost.equals(url.getHost())) {
            throw new Rejection(Rejection.WRONG_HOST, "the presigned URL is for host "
                    + url.getHost() + ", expected " + expectedHost);
        }
        if (!SERVICE.equals(scopeService)) {
            throw new Rejection(Rejection.WRONG_SERVICE, "the token is signed for service "
                    + scopeService + ", expected " + SERVICE);
        }
        if (!ACTION.equals(parameters.get("Action"))) {
            throw new Rejection(Rejection.WRONG_ACTION, "Action is " + parameters.get("Action")
                    + ", expected " + ACTION);
        }
        if (!"host".equals(parameters.get(SIGNED_HEADERS_PARAMETER))) {
            throw malformed(SIGNED_HEADERS_PARAMETER + " is " + parameters.get(SIGNED_HEADERS_PARAMETER)
                    + ", expected host alone");
        }

        String amzDate = parameters.get(DATE_PARAMETER);
        Instant signedAt = parseAmzDate(amzDate);
        if (!amzDate.startsWith(scopeDate)) {
            throw malformed("the credential scope's date " + scopeDate + " is not the date of "
                    + DATE_PARAMETER + " " + amzDate);
        }
        long expiresSeconds = parseExpires(parameters.get(EXPIRES_PARAMETER));
        Instant expiresAt = signedAt.plusSeconds(expiresSeconds);
        if (now.isAfter(expiresAt)) {
            throw new Rejection(Rejection.EXPIRED, "the token expired at " + expiresAt
                    + " (signed at " + signedAt + ", valid for " + expiresSeconds + " s); it is now "
                    + now.truncatedTo(ChronoUnit.SECONDS));
        }
        if (signedAt.isAfter(now.plus(CLOCK_SKEW))) {
            throw new Rejection(Rejection.NOT_YET_VALID, "the token is signed at " + signedAt
                    + ", more than " + CLOCK_SKEW.toMinutes() + " min after now, "
                    + now.truncatedTo(ChronoUnit.SECONDS));
        }

        Credential credential = credentials.find(accessKeyId);
        String sessionToken = parameters.get(SECURITY_TOKEN_PARAMETER);
        if (credential.sessionToken() == null && sessionToken != null) {
            throw new Rejection(Rejection.SESSION_TOKEN_MISMATCH, "access key " + accessKeyId
                    + " is a long-term key, but the token carries " + SECURITY_TOKEN_PARAMETER);
        }
        if (credential.sessionToken() != null && sessionToken == null) {
            throw new Rejection(Rejection.SESSION_TOKEN_MISMATCH, "access key " + accessKeyId
                    + " is temporary, but the token carries no " + SECURITY_TOKEN_PARAMETER);
        }
        if (credential.sessionToken() != null && !constantTimeEquals(credential.sessionToken(),
                sessionToken)) {
            throw new Rejection(Rejection.SESSION_TOKEN_MISMATCH, SECURITY_TOKEN_PARAMETER
                    + " is not the session token issued with access key " + accessKeyId);
        }

        String signature = parameters.get(SIGNATURE_PARAMETER);
        if (!signature.matches("[0-9a-f]{64}")) {
            throw malformed(SIGNATURE_PARAMETER + " is not 64 lower-case hex digits");
        }
        Map<String, String> signed = new LinkedHashMap<>(parameters);
        signed.remove(SIGNATURE_PARAMETER);
        signed.remove(USER_AGENT_PARAMETER);
        String canonicalRequest = SigV4.canonicalRequest(url.getHost(), SigV4.canonicalQuery(signed));
        String stringToSign = SigV4.stringToSign(amzDate,
                SigV4.credentialScope(scopeDate, scopeRegion, scopeService), canonicalRequest);
        String expected = SigV4.signature(credential.secretAccessKey(), scopeDate, scopeRegion,
                scopeService, stringToSign);
        if (!constantTimeEquals(expected, signature)) {
            throw new Rejection(Rejection.SIGNATURE_MISMATCH, "X-Amz-Signature does not match "
                    + "the one computed with the secret key of " + accessKeyId
                    + "; the string to sign was '" + stringToSign.replace("\n", "\\n") + "'");
        }

        return new Accepted(credential.principal(), accessKeyId, signedAt.toEpochMilli(),
                expiresAt.toEpochMilli());
    }

    /** base64url without padding, of a UTF-8 https URL with path "/". */
    private static URI decode(String token) throws Rejection {
        if (token == null || token.isEmpty()) {
            throw malformed("the token is empty");
        }
        if (token.indexOf('=') >= 0) {
            throw malformed("the token has base64 padding; MSK IAM tokens are base64url "
                    + "without padding");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw malformed("the token is not base64url: " + e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed("the decoded token is not UTF-8 text");
        }

        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw malformed("the decoded token is not a URL: " + e.getMessage());
        }
        if (!"https".equals(url.getScheme())) {
            throw malformed("the decoded token is not an https URL");
        }
        if (url.getHost() == null || url.getRawUserInfo() != null || url.getPort() != -1
                || url.getRawFragment() != null) {
            throw malformed("the presigned URL must be https://<host>/?<query> with no port, "
                    + "user or fragment");
        }
        if (!"/".equals(url.getRawPath())) {
            throw malformed("the presigned URL's path is " + url.getRawPath() + ", expected /");
        }
        if (url.getRawQuery() == null || url.getRawQuery().isEmpty()) {
            throw malformed("the presigned URL has no query");
        }
        return url;
    }

    /** Decoded names and values, in the order they came; a repeated name is refused. */
    private static Map<String, String> queryParameters(String rawQuery) throws Rejection {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String pair : rawQuery.split("&", -1)) {
            int equals = pair.indexOf('=');
            if (pair.isEmpty() || equals <= 0) {
                throw malformed("the presigned URL's query has a part without a name=value form");
            }
            String name = percentDecode(pair.substring(0, equals));
            String value = percentDecode(pair.substring(equals + 1));
            if (parameters.put(name, value) != null) {
                throw malformed("the presigned URL repeats the parameter " + name);
            }
        }
        return parameters;
    }

    /**
     * Percent-decoding as SigV4 signers encode: {@code %XX} only. A {@code +}
     * stays a plus sign; signers always send a space as {@code %20}.
     */
    private static String percentDecode(String text) throws Rejection {
        byte[] decoded = new byte[text.length()];
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
                int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw malformed("the presigned URL's query has a bad percent escape");
                }
                decoded[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c < 0x80) {
                decoded[length++] = (byte) c;
            } else {
                throw malformed("the presigned URL's query has a character that is not escaped");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed("the presigned URL's query does not decode to UTF-8");
        }
    }

    private static Instant parseAmzDate(String amzDate) throws Rejection {
        try {
            return LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw malformed(DATE_PARAMETER + " " + amzDate + " is not yyyymmddThhmmssZ");
        }
    }

    private static long parseExpires(String expires) throws Rejection {
        long seconds;
        try {
            seconds = Long.parseLong(expires);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 1 || seconds > MAX_EXPIRES_SECONDS || !expires.matches("[0-9]+")) {
            throw malformed(EXPIRES_PARAMETER + " is " + expires + ", expected 1 to "
                    + MAX_EXPIRES_SECONDS + " seconds");
        }
        return seconds;
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
                b.getBytes(StandardCharsets.UTF_8));
    }

    private static Rejection malformed(String detail) {
        return new Rejection(Rejection.MALFORMED_TOKEN, detail);
    }
}
