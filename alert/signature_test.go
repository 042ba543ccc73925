package alert

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignMatchesDefinition(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256("key", "1700000000.{}"), computed independently with
	// `printf '1700000000.{}' | openssl dgst -sha256 -hmac key`.
	require.Equal(t, "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae",
		Sign([]byte("key"), "1700000000", []byte("{}")))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef")
	body := []byte(`{"id":"1","kind":"breaker.opened"}`)
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign(secret, ts, body)
	tests := []struct {
		name      string
		secret    []byte
		ts        string
		body      []byte
		sig       string
		tolerance time.Duration
		now       time.Time
		want      error
	}{
		{"valid", secret, ts, body, sig, time.Minute, now, nil},
		{"valid at the tolerance edge", secret, ts, body, sig, time.Minute, now.Add(time.Minute), nil},
		{"zero tolerance is 5m", secret, ts, body, sig, 0, now.Add(4 * time.Minute), nil},
		{"tampered body", secret, ts, []byte(`{"id":"1","kind":"breaker.closed"}`), sig, time.Minute, now, ErrInvalidSignature},
		{"tampered timestamp", secret, strconv.FormatInt(now.Unix()+1, 10), body, sig, time.Minute, now, ErrInvalidSignature},
		{"tampered signature", secret, ts, body, sig[:len(sig)-1] + "0", time.Minute, now, ErrInvalidSignature},
		{"wrong secret", []byte("fedcba9876543210"), ts, body, sig, time.Minute, now, ErrInvalidSignature},
		{"no secret", nil, ts, body, sig, time.Minute, now, ErrInvalidSignature},
		{"no prefix", secret, ts, body, sig[len(SignaturePrefix):], time.Minute, now, ErrInvalidSignature},
		{"not hex", secret, ts, body, SignaturePrefix + "zz", time.Minute, now, ErrInvalidSignature},
		{"short digest", secret, ts, body, sig[:len(sig)-2], time.Minute, now, ErrInvalidSignature},
		{"empty signature", secret, ts, body, "", time.Minute, now, ErrInvalidSignature},
		{"timestamp too old", secret, ts, body, sig, time.Minute, now.Add(time.Minute + time.Second), ErrInvalidTimestamp},
		{"timestamp in the future", secret, ts, body, sig, time.Minute, now.Add(-2 * time.Minute), ErrInvalidTimestamp},
		{"default tolerance exceeded", secret, ts, body, sig, 0, now.Add(6 * time.Minute), ErrInvalidTimestamp},
		{"malformed timestamp", secret, "17e8", body, sig, time.Minute, now, ErrInvalidTimestamp},
		{"empty timestamp", secret, "", body, sig, time.Minute, now, ErrInvalidTimestamp},
		{"huge timestamp", secret, "9223372036854775807", body, sig, time.Minute, now, ErrInvalidTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := verifyAt(tc.secret, tc.ts, tc.body, tc.sig, tc.tolerance, tc.now)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// Verify uses the local clock.
func TestVerifyUsesTheClock(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	require.NoError(t, Verify(secret, ts, []byte("x"), Sign(secret, ts, []byte("x")), time.Minute))
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	require.ErrorIs(t, Verify(secret, old, []byte("x"), Sign(secret, old, []byte("x")), time.Minute), ErrInvalidTimestamp)
}
