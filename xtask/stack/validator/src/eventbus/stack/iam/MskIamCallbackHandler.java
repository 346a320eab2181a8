package eventbus.stack.iam;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker side of MSK IAM authentication for the local stack: the
 * OAUTHBEARER server callback handler of the SASL_SSL listener
 * ({@code listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class}).
 *
 * <p>Settings, read from server.properties:
 * <ul>
 * <li>{@value #REGION_CONFIG}: the region the cluster is in (default
 * {@value #DEFAULT_REGION});
 * <li>{@value #CREDENTIALS_FILE_CONFIG}: the file of known access keys (see
 * {@link CredentialStore});
 * <li>{@value #STS_ENDPOINT_CONFIG}: the local STS (moto), asked about
 * temporary keys; optional.
 * </ul>
 *
 * <p>A refused token fails the authentication with a
 * {@link SaslAuthenticationException} whose message names the reason, for
 * example {@code invalid_token: expired: ...}. That is the one way to get a
 * reason to the client: {@link OAuthBearerValidatorCallback#error} only
 * carries the RFC 7628 status, scope and openid-configuration, so a client
 * would see no more than {@code {"status":"invalid_token"}}. The reason is
 * logged here too, and Kafka logs it again as "Failed authentication".
 *
 * <p>SASL extensions are refused with {@link UnsupportedCallbackException},
 * which Kafka takes as "no extensions"; MSK IAM clients send none.
 */
public final class MskIamCallbackHandler implements AuthenticateCallbackHandler {
    public static final String REGION_CONFIG = "eventbus.msk.iam.region";
    public static final String CREDENTIALS_FILE_CONFIG = "eventbus.msk.iam.credentials.file";
    public static final String STS_ENDPOINT_CONFIG = "eventbus.msk.iam.sts.endpoint";
    public static final String DEFAULT_REGION = "us-gov-west-1";

    /** The status RFC 6750 gives an invalid, expired or malformed token. */
    static final String INVALID_TOKEN = "invalid_token";

    private static final Logger log = LoggerFactory.getLogger(MskIamCallbackHandler.class);

    private MskIamTokenValidator validator;

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism,
            List<AppConfigurationEntry> jaasConfigEntries) {
        if (!OAuthBearerLoginModule.OAUTHBEARER_MECHANISM.equals(saslMechanism)) {
            throw new IllegalArgumentException("MskIamCallbackHandler serves OAUTHBEARER, not "
                    + saslMechanism);
        }
        String region = setting(configs, REGION_CONFIG);
        if (region == null) {
            region = DEFAULT_REGION;
        }
        String credentialsFile = setting(configs, CREDENTIALS_FILE_CONFIG);
        if (credentialsFile == null) {
            throw new IllegalArgumentException(CREDENTIALS_FILE_CONFIG + " is not set");
        }
        String stsEndpoint = setting(configs, STS_ENDPOINT_CONFIG);

        validator = new MskIamTokenValidator(region, new CredentialStore(Path.of(credentialsFile),
                stsEndpoint == null ? null : URI.create(stsEndpoint)));
        log.info("MSK IAM token validation for region {}: access keys from {}, temporary keys "
                + "also from {}", region, credentialsFile,
                stsEndpoint == null ? "nowhere else" : stsEndpoint);
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        if (validator == null) {
            throw new IllegalStateException("MskIamCallbackHandler used before configure()");
        }
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerValidatorCallback validation) {
                validate(validation);
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    private void validate(OAuthBearerValidatorCallback callback) {
        MskIamTokenValidator.Accepted accepted;
        try {
            accepted = validator.validate(callback.tokenValue(), Instant.now());
        } catch (Rejection rejection) {
            log.info("Refused an MSK IAM token: {}", rejection.getMessage());
            callback.error(INVALID_TOKEN, null, null);
            throw new SaslAuthenticationException(INVALID_TOKEN + ": " + rejection.getMessage());
        }
        // One line per authentication, re-authentications included; tests
        // count them by "authenticated" and the access key id.
        log.info("MSK IAM token authenticated access key {} as principal {}, valid until {}",
                accepted.accessKeyId(), accepted.principal(),
                Instant.ofEpochMilli(accepted.lifetimeMs()));
        callback.token(new IamToken(callback.tokenValue(), accepted.principal(),
                accepted.lifetimeMs(), accepted.startTimeMs()));
    }

    @Override
    public void close() {}

    private static String setting(Map<String, ?> configs, String name) {
        Object value = configs.get(name);
        if (value == null) {
            return null;
        }
        String text = value.toString().strip();
        return text.isEmpty() ? null : text;
    }

    /** A validated token; {@code lifetimeMs} is the presigned URL's expiry. */
    private record IamToken(String value, String principalName, long lifetimeMs, Long startTimeMs)
            implements OAuthBearerToken {
        @Override
        public Set<String> scope() {
            return Set.of();
        }

        @Override
        public String toString() {
            return "IamToken[principalName=" + principalName + ", lifetimeMs=" + lifetimeMs + "]";
        }
    }
}
