package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testenv"
)

func BenchmarkVerify(b *testing.B) {
	_, ecPub := pemPair(b, ecKey())
	ecPriv, _ := pemPair(b, ecKey())
	edPriv, edPub := pemPair(b, edKey())
	rsaPriv, rsaPub := pemPair(b, rsaKey())
	for _, bc := range []struct {
		name      string
		sign, ver auth.JWTConfig
	}{
		{"HS256", auth.JWTConfig{Secret: testSecret}, auth.JWTConfig{Secret: testSecret}},
		{"ES256", auth.JWTConfig{PrivateKeyPEM: ecPriv}, auth.JWTConfig{PublicKeyPEM: ecPub}},
		{"EdDSA", auth.JWTConfig{PrivateKeyPEM: edPriv}, auth.JWTConfig{PublicKeyPEM: edPub}},
		{"RS256", auth.JWTConfig{PrivateKeyPEM: rsaPriv}, auth.JWTConfig{PublicKeyPEM: rsaPub}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			iss, err := auth.NewIssuer(bc.sign)
			require.NoError(b, err)
			ver, err := auth.NewVerifier(bc.ver)
			require.NoError(b, err)
			tok, _, err := iss.Issue("k1", auth.RoleUser)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ver.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAuthenticateAPIKey(b *testing.B) {
	ctx := context.Background()
	keys, err := auth.NewKeys(auth.NewMemoryKeyStore(), auth.KeysConfig{})
	require.NoError(b, err)
	_, secret, err := keys.Create(ctx, "bench", auth.RoleUser, nil)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.Authenticate(ctx, secret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryLimiterAllow(b *testing.B) {
	ctx := context.Background()
	l := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "ip:10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	var n atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(ctx, keys[n.Add(1)%uint64(len(keys))], auth.PerSecond(50, 100)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRedisLimiterAllow(b *testing.B) {
	r := testenv.StartRedis(b)
	l := newRedisLimiter(b, newRedisClient(b, r), auth.RedisLimiterConfig{})
	ctx := context.Background()
	var n atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(ctx, "k"+strconv.FormatUint(n.Add(1)%1024, 10), auth.PerSecond(50, 100)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkClientIP(b *testing.B) {
	trusted, err := auth.ParsePrefixes("10.0.0.0/8")
	require.NoError(b, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 198.51.100.7, 10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		if !auth.ClientIP(r, trusted).IsValid() {
			b.Fatal("invalid")
		}
	}
}
