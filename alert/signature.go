package alert

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// HeaderEvent carries the event's kind.
	HeaderEvent = "X-Taskq-Event"
	// HeaderDelivery carries the id of the delivery task: the same on
	// every attempt of one delivery, different for each URL.
	HeaderDelivery = "X-Taskq-Delivery"
	// HeaderTimestamp carries the Unix time in seconds of the attempt.
	HeaderTimestamp = "X-Taskq-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256, keyed by
	// the secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-Taskq-Signature"
)

// SignaturePrefix starts every signature.
const SignaturePrefix = "sha256="

// DefaultTolerance is the largest gap between a delivery's timestamp and
// the receiver's clock that Verify accepts when given zero.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify; match them with errors.Is.
var (
	// ErrInvalidSignature: the signature is missing, malformed or does
	// not match the secret, timestamp and body.
	ErrInvalidSignature = errors.New("alert: invalid webhook signature")
	// ErrInvalidTimestamp: the timestamp is missing, malformed or too far
	// from now (a replay or a skewed clock).
	ErrInvalidTimestamp = errors.New("alert: invalid webhook timestamp")
)

// Sign returns the X-Taskq-Signature value for a body sent at timestamp
// (decimal Unix seconds): "sha256=" + hex(HMAC-SHA256(secret, timestamp +
// "." + body)).
func Sign(secret []byte, timestamp string, body []byte) string {
	return SignaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery as a receiver gets it: timestamp and signature
// are the X-Taskq-Timestamp and X-Taskq-Signature headers, body the raw
// request body (verify before decoding it). It fails with an error matching
// ErrInvalidTimestamp when the timestamp is more than tolerance away from
// the local clock (DefaultTolerance when tolerance is zero or less), and
// with one matching ErrInvalidSignature when the signature does not match.
// The comparison takes constant time. Receivers should also drop event ids
// they have already processed: a delivery may arrive more than once.
func Verify(secret []byte, timestamp string, body []byte, signature string, tolerance time.Duration) error {
	return verifyAt(secret, timestamp, body, signature, tolerance, time.Now())
}

func verifyAt(secret []byte, timestamp string, body []byte, signature string, tolerance time.Duration, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret to check it with", ErrInvalidSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: not decimal Unix seconds", ErrInvalidTimestamp)
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: %s away from now, over the tolerance of %s", ErrInvalidTimestamp, skew.Truncate(time.Second), tolerance)
	}
	hexSig, ok := strings.CutPrefix(signature, SignaturePrefix)
	if !ok {
		return fmt.Errorf("%w: missing %q prefix", ErrInvalidSignature, SignaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: not a hex SHA-256 digest", ErrInvalidSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrInvalidSignature
	}
	return nil
}
