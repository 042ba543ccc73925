package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testclock"
)

// newClock is a settable clock for the Now fields of the configs.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC))
}

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// requireReason asserts that err is an unauthorized *taskq.Error with reason.
func requireReason(t testing.TB, err error, reason auth.Reason) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, taskq.ErrUnauthorized, "error: %v", err)
	require.Equal(t, reason, auth.ReasonOf(err), "error: %v", err)
	var te *taskq.Error
	require.True(t, errors.As(err, &te))
	require.NotEmpty(t, te.Message)
	require.True(t, slices.Contains(auth.Reasons, reason))
}

// pemPair returns PKCS#8 private and PKIX public PEM blocks of key.
func pemPair(t testing.TB, key crypto.Signer) (priv, pub []byte) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
}

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	ecKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
	edKey = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)
