package eventbus.stack.iam;

/**
 * Why a token was refused. The code is stable and meant for tests to match on;
 * the detail says what was expected and what came.
 */
final class Rejection extends Exception {
    private static final long serialVersionUID = 1L;

    static final String MALFORMED_TOKEN = "malformed_token";
    static final String WRONG_HOST = "wrong_host";
    static final String WRONG_REGION = "wrong_region";
    static final String WRONG_SERVICE = "wrong_service";
    static final String WRONG_ACTION = "wrong_action";
    static final String EXPIRED = "expired";
    static final String NOT_YET_VALID = "not_yet_valid";
    static final String UNKNOWN_ACCESS_KEY = "unknown_access_key";
    static final String SESSION_TOKEN_MISMATCH = "session_token_mismatch";
    static final String SIGNATURE_MISMATCH = "signature_mismatch";

    private final String code;

    Rejection(String code, String detail) {
        super(code + ": " + detail);
        this.code = code;
    }

    String code() {
        return code;
    }
}
