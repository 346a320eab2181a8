package eventbus.stack.iam;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for a query-presigned {@code GET https://<host>/?...}
 * that signs only the {@code host} header and an empty payload: the shape of an
 * MSK IAM token.
 *
 * <p>The query parameters given here are already percent-decoded, and exclude
 * {@code X-Amz-Signature} and anything appended after signing.
 */
final class SigV4 {
    static final String ALGORITHM = "AWS4-HMAC-SHA256";

    /** The SHA-256 of the empty string: a presigned GET has no payload. */
    static final String EMPTY_PAYLOAD_SHA256 =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    static final String TERMINATOR = "aws4_request";

    private SigV4() {}

    /**
     * The canonical query string: each name and value URI-encoded, the pairs
     * sorted by encoded name (then value), joined with {@code &}.
     */
    static String canonicalQuery(Map<String, String> parameters) {
        TreeMap<String, String> encoded = new TreeMap<>();
        parameters.forEach((name, value) -> encoded.put(uriEncode(name), uriEncode(value)));
        StringJoiner query = new StringJoiner("&");
        encoded.forEach((name, value) -> query.add(name + "=" + value));
        return query.toString();
    }

    static String canonicalRequest(String host, String canonicalQuery) {
        return "GET\n"
                + "/\n"
                + canonicalQuery + "\n"
                + "host:" + host + "\n"
                + "\n"
                + "host\n"
                + EMPTY_PAYLOAD_SHA256;
    }

    /** {@code <yyyymmdd>/<region>/<service>/aws4_request} */
    static String credentialScope(String date, String region, String service) {
        return date + "/" + region + "/" + service + "/" + TERMINATOR;
    }

    static String stringToSign(String amzDate, String credentialScope, String canonicalRequest) {
        return ALGORITHM + "\n" + amzDate + "\n" + credentialScope + "\n" + sha256Hex(canonicalRequest);
    }

    /** The hex signature of {@code stringToSign} with the key derived from the secret. */
    static String signature(String secretAccessKey, String date, String region, String service,
            String stringToSign) {
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, TERMINATOR);
        return HexFormat.of().formatHex(hmac(key, stringToSign));
    }

    /**
     * URI encoding as SigV4 defines it: the unreserved characters of RFC 3986
     * ({@code A-Z a-z 0-9 - _ . ~}) stay, every other UTF-8 byte becomes
     * {@code %XX} in upper-case hex. A space is {@code %20}, never {@code +}.
     */
    static String uriEncode(String text) {
        StringBuilder encoded = new StringBuilder(text.length() + 16);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~') {
                encoded.append(c);
            } else {
                encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return encoded.toString();
    }

    static String sha256Hex(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no HmacSHA256", e);
        }
    }
}
