package eventbus.stack.iam;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the validator without a broker: {@code java -cp <jar> eventbus.stack.iam.SelfTest}.
 * {@code cargo xtask stack up} runs it after each compilation and refuses a
 * jar that fails it.
 *
 * <p>The known answer anchors the signing code to an independent
 * implementation; the round trips then sign tokens with that code and check
 * that each kind of bad token is refused for the right reason.
 */
public final class SelfTest {
    private static final String REGION = "us-gov-west-1";
    private static final String HOST = "kafka." + REGION + ".amazonaws.com";
    private static final String ACCESS_KEY_ID = "AKIAEXAMPLESELFTEST1";
    private static final String SECRET = "self/test+secret/access/key/0000000000001";
    private static final String TEMPORARY_KEY_ID = "ASIAEXAMPLESELFTEST1";
    private static final String TEMPORARY_SECRET = "temporary/secret/access/key/000000000001";
    private static final String SESSION_TOKEN = "FQoGZXIvYXdzEBYaD/session+token==";
    private static final String ROLE_SESSION_ARN =
            "arn:aws-us-gov:sts::123456789012:assumed-role/eventbus-producer/self-test";
    private static final Instant SIGNED_AT = Instant.parse("2026-01-02T03:04:05Z");

    private final List<String> failures = new ArrayList<>();
    private int checks;

    public static void main(String[] args) {
        SelfTest test = new SelfTest();
        test.knownAnswer();
        test.roundTrips();
        test.readsTheStsState();
        if (test.failures.isEmpty()) {
            System.out.println("MSK IAM validator self-test passed (" + test.checks + " checks)");
        } else {
            test.failures.forEach(failure -> System.out.println("FAILED: " + failure));
            System.exit(1);
        }
    }

    /** A SigV4 known answer for an MSK IAM presigned URL, computed independently of this code. */
    private void knownAnswer() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("Action", "kafka-cluster:Connect");
        parameters.put("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
        parameters.put("X-Amz-Credential",
                "AWS_ACCESS_KEY_ID/20100101/us-east-1/kafka-cluster/aws4_request");
        parameters.put("X-Amz-Date", "20100101T000000Z");
        parameters.put("X-Amz-Expires", "900");
        parameters.put("X-Amz-SignedHeaders", "host");

        String query = SigV4.canonicalQuery(parameters);
        expectEqual("known-answer canonical query", query, "Action=kafka-cluster%3AConnect"
                + "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AWS_ACCESS_KEY_ID%2F20100101%2Fus-east-1%2Fkafka-cluster%2Faws4_request"
                + "&X-Amz-Date=20100101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host");
        String canonicalRequest = SigV4.canonicalRequest("hostname", query);
        expectEqual("known-answer canonical request hash", SigV4.sha256Hex(canonicalRequest),
                "8a719fb6d4b33f7d9c5b25b65af85a44d3627bdca66e1287b1a366fa90bafaa1");
        String stringToSign = SigV4.stringToSign("20100101T000000Z",
                SigV4.credentialScope("20100101", "us-east-1", "kafka-cluster"), canonicalRequest);
        expectEqual("known-answer signature",
                SigV4.signature("AWS_SECRET_ACCESS_KEY", "20100101", "us-east-1", "kafka-cluster",
                        stringToSign),
                "d3eeeddfb2c2b76162d583d7499c2364eb9a92b248218e31866659b18997ef44");
        expectEqual("URI encoding of reserved and non-ASCII characters",
                SigV4.uriEncode("a b+c/d=e~f_g.h-i\u00e9"), "a%20b%2Bc%2Fd%3De~f_g.h-i%C3%A9");
    }

    private void roundTrips() {
        MskIamTokenValidator validator = new MskIamTokenValidator(REGION, accessKeyId -> {
            if (accessKeyId.equals(ACCESS_KEY_ID)) {
                return new MskIamTokenValidator.Credential(ACCESS_KEY_ID, SECRET, null, ACCESS_KEY_ID);
            }
            if (accessKeyId.equals(TEMPORARY_KEY_ID)) {
                return new MskIamTokenValidator.Credential(TEMPORARY_KEY_ID, TEMPORARY_SECRET,
                        SESSION_TOKEN, ROLE_SESSION_ARN);
            }
            throw new Rejection(Rejection.UNKNOWN_ACCESS_KEY, "access key " + accessKeyId);
        });
        Instant now = SIGNED_AT.plusSeconds(60);

        expectAccepted(validator, "a long-term key", new Presign().token(), now, ACCESS_KEY_ID,
                SIGNED_AT.plusSeconds(900));
        Presign temporary = new Presign();
        temporary.accessKeyId = TEMPORARY_KEY_ID;
        temporary.secret = TEMPORARY_SECRET;
        temporary.sessionToken = SESSION_TOKEN;
        expectAccepted(validator, "a temporary key, principal = the role session",
                temporary.token(), now, ROLE_SESSION_ARN, SIGNED_AT.plusSeconds(900));
        Presign userAgentFirst = new Presign();
        userAgentFirst.userAgentFirst = true;
        expectAccepted(validator, "User-Agent before the signed parameters",
                userAgentFirst.token(), now, ACCESS_KEY_ID, SIGNED_AT.plusSeconds(900));
        expectAccepted(validator, "a token signed 4 min in the future (clock skew)",
                new Presign().token(), SIGNED_AT.minusSeconds(240), ACCESS_KEY_ID,
                SIGNED_AT.plusSeconds(900));
        expectAccepted(validator, "a token in its last second", new Presign().token(),
                SIGNED_AT.plusSeconds(900), ACCESS_KEY_ID, SIGNED_AT.plusSeconds(900));

        Presign wrongSecret = new Presign();
        wrongSecret.secret = "not-the-secret";
        expectRejected(validator, "a wrong secret", wrongSecret.token(), now,
                Rejection.SIGNATURE_MISMATCH);
        String tampered = decode(new Presign().token()).replace("X-Amz-Expires=900", "X-Amz-Expires=899");
        expectRejected(validator, "a parameter changed after signing", encode(tampered), now,
                Rejection.SIGNATURE_MISMATCH);
        Presign otherRegion = new Presign();
        otherRegion.region = "us-east-1";
        otherRegion.host = "kafka.us-east-1.amazonaws.com";
        expectRejected(validator, "another region", otherRegion.token(), now, Rejection.WRONG_REGION);
        Presign otherHost = new Presign();
        otherHost.host = "kafka." + REGION + ".amazonaws.com.example.org";
        expectRejected(validator, "another host", otherHost.token(), now, Rejection.WRONG_HOST);
        Presign otherService = new Presign();
        otherService.service = "kafka";
        expectRejected(validator, "another service", otherService.token(), now,
                Rejection.WRONG_SERVICE);
        Presign otherAction = new Presign();
        otherAction.action = "kafka-cluster:DescribeCluster";
        expectRejected(validator, "another action", otherAction.token(), now, Rejection.WRONG_ACTION);
        expectRejected(validator, "an expired token", new Presign().token(),
                SIGNED_AT.plusSeconds(901), Rejection.EXPIRED);
        expectRejected(validator, "a token signed 6 min in the future", new Presign().token(),
                SIGNED_AT.minusSeconds(360), Rejection.NOT_YET_VALID);
        Presign unknown = new Presign();
        unknown.accessKeyId = "AKIAUNKNOWNSELFTEST1";
        expectRejected(validator, "an unknown key", unknown.token(), now,
                Rejection.UNKNOWN_ACCESS_KEY);
        Presign otherSessionToken = new Presign();
        otherSessionToken.accessKeyId = TEMPORARY_KEY_ID;
        otherSessionToken.secret = TEMPORARY_SECRET;
        otherSessionToken.sessionToken = "another-session-token";
        expectRejected(validator, "another session token", otherSessionToken.token(), now,
                Rejection.SESSION_TOKEN_MISMATCH);
        Presign noSessionToken = new Presign();
        noSessionToken.accessKeyId = TEMPORARY_KEY_ID;
        noSessionToken.secret = TEMPORARY_SECRET;
        expectRejected(validator, "a temporary key without its session token",
                noSessionToken.token(), now, Rejection.SESSION_TOKEN_MISMATCH);
        Presign longExpiry = new Presign();
        longExpiry.expires = "3600";
        expectRejected(validator, "X-Amz-Expires above 900", longExpiry.token(), now,
                Rejection.MALFORMED_TOKEN);
        expectRejected(validator, "not base64url", "not*base64", now, Rejection.MALFORMED_TOKEN);
        expectRejected(validator, "base64 padding", new Presign().token() + "==", now,
                Rejection.MALFORMED_TOKEN);
        expectRejected(validator, "an http URL", encode(decode(new Presign().token())
                .replace("https://", "http://")), now, Rejection.MALFORMED_TOKEN);
        String repeated = decode(new Presign().token()) + "&Action=kafka-cluster%3AConnect";
        expectRejected(validator, "a repeated parameter", encode(repeated), now,
                Rejection.MALFORMED_TOKEN);
    }

    private void readsTheStsState() {
        Object state = Json.parse("{\"sts\": {\"AssumedRole\": [{\"access_key_id\": \"ASIA1\", "
                + "\"secret_access_key\": \"a/b+c\", \"session_token\": \"t\\u002b\\/=\", "
                + "\"arn\": \"arn:aws:sts::1:assumed-role/r/s\", \"external_id\": null, "
                + "\"n\": -1.5e3, \"ok\": true}]}, \"iam\": {}}");
        Object session = ((List<?>) ((Map<?, ?>) ((Map<?, ?>) state).get("sts")).get("AssumedRole"))
                .get(0);
        Map<?, ?> members = (Map<?, ?>) session;
        expectEqual("JSON strings and escapes", members.get("session_token"), "t+/=");
        expectEqual("JSON numbers", members.get("n"), -1500.0);
        expectEqual("JSON literals", members.get("ok"), Boolean.TRUE);
    }

    /** Signs a token the way aws-msk-iam-sasl-signer does, with knobs for bad tokens. */
    private static final class Presign {
        String accessKeyId = ACCESS_KEY_ID;
        String secret = SECRET;
        String sessionToken;
        String region = REGION;
        String host = HOST;
        String service = MskIamTokenValidator.SERVICE;
        String action = MskIamTokenValidator.ACTION;
        String expires = "900";
        boolean userAgentFirst;

        String token() {
            String amzDate = MskIamTokenValidator.AMZ_DATE.format(SIGNED_AT.atOffset(ZoneOffset.UTC));
            String date = amzDate.substring(0, 8);
            Map<String, String> parameters = new LinkedHashMap<>();
            parameters.put("Action", action);
            parameters.put("X-Amz-Algorithm", SigV4.ALGORITHM);
            parameters.put("X-Amz-Credential", accessKeyId + "/"
                    + SigV4.credentialScope(date, region, service));
            parameters.put("X-Amz-Date", amzDate);
            parameters.put("X-Amz-Expires", expires);
            if (sessionToken != null) {
                parameters.put("X-Amz-Security-Token", sessionToken);
            }
            parameters.put("X-Amz-SignedHeaders", "host");
            String query = SigV4.canonicalQuery(parameters);
            String signature = SigV4.signature(secret, date, region, service, SigV4.stringToSign(
                    amzDate, SigV4.credentialScope(date, region, service),
                    SigV4.canonicalRequest(host, query)));
            String userAgent = "User-Agent=eventbus-self-test%2F1.0";
            String url = userAgentFirst
                    ? "https://" + host + "/?" + userAgent + "&" + query + "&X-Amz-Signature=" + signature
                    : "https://" + host + "/?" + query + "&X-Amz-Signature=" + signature + "&" + userAgent;
            return encode(url);
        }
    }

    private static String encode(String url) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(url.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String token) {
        return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    }

    private void expectAccepted(MskIamTokenValidator validator, String what, String token,
            Instant now, String principal, Instant expiresAt) {
        checks++;
        try {
            MskIamTokenValidator.Accepted accepted = validator.validate(token, now);
            if (!accepted.principal().equals(principal)
                    || accepted.lifetimeMs() != expiresAt.toEpochMilli()
                    || accepted.startTimeMs() != SIGNED_AT.toEpochMilli()) {
                failures.add(what + ": accepted as " + accepted);
            }
        } catch (Rejection rejection) {
            failures.add(what + ": refused with " + rejection.getMessage());
        }
    }

    private void expectRejected(MskIamTokenValidator validator, String what, String token,
            Instant now, String code) {
        checks++;
        try {
            validator.validate(token, now);
            failures.add(what + ": accepted, expected " + code);
        } catch (Rejection rejection) {
            if (!rejection.code().equals(code)) {
                failures.add(what + ": refused with " + rejection.getMessage() + ", expected " + code);
            }
        }
    }

    private void expectEqual(String what, Object actual, Object expected) {
        checks++;
        if (!expected.equals(actual)) {
            failures.add(what + ": got " + actual + ", expected " + expected);
        }
    }
}
