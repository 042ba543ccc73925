package auth

import (
	"errors"

	"github.com/taskq/taskq"
)

// Reason says why an authentication failed. The values form a small fixed
// set (Reasons) so they can label the auth_failures_total metric.
type Reason string

// The reasons of a failed authentication.
const (
	// ReasonMalformed: the token or key is not well formed.
	ReasonMalformed Reason = "malformed"
	// ReasonInvalidAlgorithm: the token names another algorithm than the
	// configured one (alg none included).
	ReasonInvalidAlgorithm Reason = "invalid_algorithm"
	// ReasonInvalidSignature: the signature does not verify.
	ReasonInvalidSignature Reason = "invalid_signature"
	// ReasonExpired: the token's exp has passed.
	ReasonExpired Reason = "expired"
	// ReasonNotYetValid: the token's nbf or iat lies in the future.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonInvalidIssuer: iss differs from the configured issuer.
	ReasonInvalidIssuer Reason = "invalid_issuer"
	// ReasonInvalidAudience: aud lacks the configured audience.
	ReasonInvalidAudience Reason = "invalid_audience"
	// ReasonInvalidClaims: a required claim (exp, sub, role) is missing or
	// invalid.
	ReasonInvalidClaims Reason = "invalid_claims"
	// ReasonUnknownKey: no such API key (or the key a token names).
	ReasonUnknownKey Reason = "unknown_key"
	// ReasonRevoked: the API key was revoked.
	ReasonRevoked Reason = "revoked"
	// ReasonKeyExpired: the API key has expired.
	ReasonKeyExpired Reason = "key_expired"
	// ReasonNoCredentials: the request carried no credentials. It is an
	// unauthorized error but not a failed authentication: it does not count
	// toward IP blocking (see CountsAsFailure).
	ReasonNoCredentials Reason = "no_credentials"
)

// Reasons lists every Reason, for pre-creating metric label values.
var Reasons = []Reason{
	ReasonMalformed, ReasonInvalidAlgorithm, ReasonInvalidSignature, ReasonExpired,
	ReasonNotYetValid, ReasonInvalidIssuer, ReasonInvalidAudience, ReasonInvalidClaims,
	ReasonUnknownKey, ReasonRevoked, ReasonKeyExpired, ReasonNoCredentials,
}

// reasonError carries the Reason inside a *taskq.Error's chain.
type reasonError struct {
	reason Reason
	err    error
}

func (e *reasonError) Error() string {
	if e.err == nil {
		return "auth: " + string(e.reason)
	}
	return "auth: " + string(e.reason) + ": " + e.err.Error()
}

func (e *reasonError) Unwrap() error { return e.err }

// fail returns an unauthorized *taskq.Error with a sanitized message and
// reason; cause (possibly nil) is kept for logs only.
func fail(reason Reason, message string, cause error) error {
	return taskq.WrapError(taskq.CodeUnauthorized, message, &reasonError{reason: reason, err: cause})
}

// ReasonOf returns the Reason of an authentication failure returned by this
// package, or "" when err is nil or not such a failure (for example a
// service_unavailable error from the key store).
func ReasonOf(err error) Reason {
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	return ""
}
