package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testclock"
)

// hsPair returns an HS256 Issuer and Verifier on a fake clock.
func hsPair(t *testing.T, clock *testclock.Clock, mod func(*auth.JWTConfig)) (*auth.Issuer, *auth.Verifier) {
	t.Helper()
	cfg := auth.JWTConfig{Secret: testSecret, Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	iss, err := auth.NewIssuer(cfg)
	require.NoError(t, err)
	ver, err := auth.NewVerifier(cfg)
	require.NoError(t, err)
	return iss, ver
}

// signClaims signs arbitrary claims with the test secret and alg HS256.
func signClaims(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		require.NoError(t, tok.Set(k, v))
	}
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, testSecret))
	require.NoError(t, err)
	return string(b)
}

// rawToken assembles a compact JWS from a header and claims, signed by sign
// (nil: empty signature).
func rawToken(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func hmacSHA256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func TestJWTHS256RoundTrip(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss, ver := hsPair(t, clock, nil)
	require.Equal(t, "HS256", iss.Algorithm())

	tok, exp, err := iss.Issue("key-1", auth.RoleUser)
	require.NoError(t, err)
	require.Equal(t, auth.DefaultTokenTTL, exp)
	p, err := ver.Verify(tok)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: "key-1", Role: auth.RoleUser, KeyID: "key-1"}, p)

	tok, _, err = iss.Issue(auth.AdminPrincipalID, auth.RoleAdmin)
	require.NoError(t, err)
	p, err = ver.Verify(tok)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)

	parsed, err := jwt.ParseString(tok, jwt.WithVerify(false), jwt.WithValidate(false))
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(15*time.Minute).Unix(), parsed.Expiration().Unix())
	require.Equal(t, clock.Now().Unix(), parsed.IssuedAt().Unix())
	require.NotEmpty(t, parsed.JwtID())

	_, _, err = iss.Issue("", auth.RoleUser)
	require.Error(t, err)
	_, _, err = iss.Issue("k", "root")
	require.Error(t, err)
}

func TestJWTExpiry(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss, ver := hsPair(t, clock, func(c *auth.JWTConfig) { c.TTL = time.Minute })
	tok, exp, err := iss.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	require.Equal(t, time.Minute, exp)

	clock.Advance(time.Minute + 20*time.Second) // past exp, within the 30s skew
	_, err = ver.Verify(tok)
	require.NoError(t, err)

	clock.Advance(11 * time.Second)
	_, err = ver.Verify(tok)
	requireReason(t, err, auth.ReasonExpired)
	require.Equal(t, "token expired", taskq.AsError(err).Message)
}

func TestJWTNotBeforeAndIssuedAt(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, ver := hsPair(t, clock, nil)
	now := clock.Now()
	base := func() map[string]any {
		return map[string]any{"sub": "k", "role": "user", "exp": now.Add(time.Hour)}
	}

	c := base()
	c["nbf"] = now.Add(10 * time.Second) // within skew
	_, err := ver.Verify(signClaims(t, c))
	require.NoError(t, err)

	c["nbf"] = now.Add(time.Minute)
	_, err = ver.Verify(signClaims(t, c))
	requireReason(t, err, auth.ReasonNotYetValid)

	c = base()
	c["iat"] = now.Add(time.Minute)
	_, err = ver.Verify(signClaims(t, c))
	requireReason(t, err, auth.ReasonNotYetValid)
}

func TestJWTRejects(t *testing.T) {
	t.Parallel()
	clock := newClock()
	iss, ver := hsPair(t, clock, nil)
	now := clock.Now()
	good, _, err := iss.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	parts := strings.Split(good, ".")

	other := []byte(strings.Repeat("z", 32))
	otherIss, err := auth.NewIssuer(auth.JWTConfig{Secret: other, Now: clock.Now})
	require.NoError(t, err)
	wrongSecret, _, err := otherIss.Issue("k", auth.RoleUser)
	require.NoError(t, err)

	claims := map[string]any{"sub": "k", "role": "admin", "exp": now.Add(time.Hour).Unix()}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, claims)) + "." + parts[2]

	cases := []struct {
		name   string
		token  string
		reason auth.Reason
	}{
		{"empty", "", auth.ReasonMalformed},
		{"two segments", "a.b", auth.ReasonMalformed},
		{"garbage", "a.b.c", auth.ReasonMalformed},
		{"too long", strings.Repeat("a", auth.MaxTokenLen) + ".b.c", auth.ReasonMalformed},
		{"json serialization", `{"payload":"e30","signatures":[]}`, auth.ReasonMalformed},
		{"wrong secret", wrongSecret, auth.ReasonInvalidSignature},
		{"tampered payload", tampered, auth.ReasonInvalidSignature},
		{"bad signature encoding", parts[0] + "." + parts[1] + ".!!!", auth.ReasonMalformed},
		{"alg none", rawToken(t, map[string]any{"alg": "none", "typ": "JWT"}, claims, nil), auth.ReasonInvalidAlgorithm},
		{"alg None", rawToken(t, map[string]any{"alg": "None"}, claims, nil), auth.ReasonInvalidAlgorithm},
		{"alg none with signature", rawToken(t, map[string]any{"alg": "none"}, claims, hmacSHA256(testSecret)), auth.ReasonInvalidAlgorithm},
		{"no alg", rawToken(t, map[string]any{"typ": "JWT"}, claims, hmacSHA256(testSecret)), auth.ReasonInvalidAlgorithm},
		{"alg HS512", rawToken(t, map[string]any{"alg": "HS512"}, claims, hmacSHA256(testSecret)), auth.ReasonInvalidAlgorithm},
		{"embedded jwk", rawToken(t, map[string]any{"alg": "HS256", "jwk": map[string]any{"kty": "oct", "k": "AAAA"}}, claims, hmacSHA256(testSecret)), auth.ReasonMalformed},
		{"jku", rawToken(t, map[string]any{"alg": "HS256", "jku": "https://evil.example/jwks"}, claims, hmacSHA256(testSecret)), auth.ReasonMalformed},
		{"crit", rawToken(t, map[string]any{"alg": "HS256", "crit": []string{"x"}, "x": 1}, claims, hmacSHA256(testSecret)), auth.ReasonMalformed},
		{"b64 false", rawToken(t, map[string]any{"alg": "HS256", "b64": false}, claims, hmacSHA256(testSecret)), auth.ReasonMalformed},
		{"nested cty", rawToken(t, map[string]any{"alg": "HS256", "cty": "JWT"}, claims, hmacSHA256(testSecret)), auth.ReasonMalformed},
		{"missing exp", signClaims(t, map[string]any{"sub": "k", "role": "user"}), auth.ReasonInvalidClaims},
		{"missing sub", signClaims(t, map[string]any{"role": "user", "exp": now.Add(time.Hour)}), auth.ReasonInvalidClaims},
		{"empty sub", signClaims(t, map[string]any{"sub": "", "role": "user", "exp": now.Add(time.Hour)}), auth.ReasonInvalidClaims},
		{"missing role", signClaims(t, map[string]any{"sub": "k", "exp": now.Add(time.Hour)}), auth.ReasonInvalidClaims},
		{"unknown role", signClaims(t, map[string]any{"sub": "k", "role": "root", "exp": now.Add(time.Hour)}), auth.ReasonInvalidClaims},
		{"role not a string", signClaims(t, map[string]any{"sub": "k", "role": 1, "exp": now.Add(time.Hour)}), auth.ReasonInvalidClaims},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ver.Verify(tc.token)
			requireReason(t, err, tc.reason)
			require.Zero(t, p)
		})
	}

	// The hand-made HS256 path itself is sound: the same assembly with the
	// right secret verifies, so the cases above fail for the stated reason.
	claims["role"] = "user"
	_, err = ver.Verify(rawToken(t, map[string]any{"alg": "HS256", "typ": "JWT"}, claims, hmacSHA256(testSecret)))
	require.NoError(t, err)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestJWTAlgorithmConfusion(t *testing.T) {
	t.Parallel()
	clock := newClock()
	priv, pub := pemPair(t, rsaKey())
	ver, err := auth.NewVerifier(auth.JWTConfig{PublicKeyPEM: pub, Now: clock.Now})
	require.NoError(t, err)
	claims := map[string]any{"sub": "k", "role": "admin", "exp": clock.Now().Add(time.Hour).Unix()}

	// The classic attack: HS256 keyed with the public key's PEM bytes.
	_, err = ver.Verify(rawToken(t, map[string]any{"alg": "HS256", "typ": "JWT"}, claims, hmacSHA256(pub)))
	requireReason(t, err, auth.ReasonInvalidAlgorithm)
	// Even when the header claims RS256 the HMAC does not verify as RSA.
	_, err = ver.Verify(rawToken(t, map[string]any{"alg": "RS256", "typ": "JWT"}, claims, hmacSHA256(pub)))
	requireReason(t, err, auth.ReasonInvalidSignature)
	// And the real RS256 issuer is accepted.
	iss, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: priv, Now: clock.Now})
	require.NoError(t, err)
	require.Equal(t, "RS256", iss.Algorithm())
	tok, _, err := iss.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	p, err := ver.Verify(tok)
	require.NoError(t, err)
	require.Equal(t, "k", p.ID)
}

func TestJWTIssuerAudience(t *testing.T) {
	t.Parallel()
	clock := newClock()
	_, ver := hsPair(t, clock, func(c *auth.JWTConfig) { c.Issuer, c.Audience = "taskq", "taskq-api" })
	issue := func(issuer, audience string) string {
		iss, err := auth.NewIssuer(auth.JWTConfig{Secret: testSecret, Issuer: issuer, Audience: audience, Now: clock.Now})
		require.NoError(t, err)
		tok, _, err := iss.Issue("k", auth.RoleUser)
		require.NoError(t, err)
		return tok
	}
	_, err := ver.Verify(issue("taskq", "taskq-api"))
	require.NoError(t, err)
	_, err = ver.Verify(issue("evil", "taskq-api"))
	requireReason(t, err, auth.ReasonInvalidIssuer)
	_, err = ver.Verify(issue("", "taskq-api"))
	requireReason(t, err, auth.ReasonInvalidIssuer)
	_, err = ver.Verify(issue("taskq", "other"))
	requireReason(t, err, auth.ReasonInvalidAudience)
	_, err = ver.Verify(issue("taskq", ""))
	requireReason(t, err, auth.ReasonInvalidAudience)

	// Without configured iss/aud, tokens carrying them are accepted.
	_, plain := hsPair(t, clock, nil)
	_, err = plain.Verify(issue("anyone", "anything"))
	require.NoError(t, err)
}

func TestJWTAsymmetricRoundTrips(t *testing.T) {
	t.Parallel()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rsaPriv, rsaPub := pemPair(t, rsaKey())
	ecPriv, ecPub := pemPair(t, ecKey())
	p384Priv, p384Pub := pemPair(t, p384)
	edPriv, edPub := pemPair(t, edKey())
	cases := []struct {
		name, alg, want string
		priv, pub       []byte
	}{
		{"RSA", "", "RS256", rsaPriv, rsaPub},
		{"RSA-PSS", "PS256", "PS256", rsaPriv, rsaPub},
		{"RSA-512", "RS512", "RS512", rsaPriv, rsaPub},
		{"ECDSA P-256", "", "ES256", ecPriv, ecPub},
		{"ECDSA P-384", "", "ES384", p384Priv, p384Pub},
		{"EdDSA", "", "EdDSA", edPriv, edPub},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			iss, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: tc.priv, Algorithm: tc.alg, Now: clock.Now})
			require.NoError(t, err)
			require.Equal(t, tc.want, iss.Algorithm())
			tok, _, err := iss.Issue("k", auth.RoleAdmin)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(tok, "ey"))

			for _, cfg := range []auth.JWTConfig{
				{PublicKeyPEM: tc.pub, Algorithm: tc.alg, Now: clock.Now},
				{PrivateKeyPEM: tc.priv, Algorithm: tc.alg, Now: clock.Now},
			} {
				ver, err := auth.NewVerifier(cfg)
				require.NoError(t, err)
				p, err := ver.Verify(tok)
				require.NoError(t, err)
				require.Equal(t, auth.Principal{ID: "k", Role: auth.RoleAdmin, KeyID: "k"}, p)
			}
			// A token of another key of the same type does not verify.
			_, err = auth.NewIssuer(auth.JWTConfig{PublicKeyPEM: tc.pub})
			require.Error(t, err, "a public key cannot sign")
		})
	}

	// A different ECDSA key's token fails with invalid_signature.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherPriv, _ := pemPair(t, other)
	iss, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: otherPriv})
	require.NoError(t, err)
	tok, _, err := iss.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	ver, err := auth.NewVerifier(auth.JWTConfig{PublicKeyPEM: ecPub})
	require.NoError(t, err)
	_, err = ver.Verify(tok)
	requireReason(t, err, auth.ReasonInvalidSignature)
}

func TestJWTJWKSFile(t *testing.T) {
	t.Parallel()
	clock := newClock()
	ecPriv, _ := pemPair(t, ecKey())
	edPriv, _ := pemPair(t, edKey())
	_, rsaPub := pemPair(t, rsaKey())

	set := jwk.NewSet()
	addPub := func(raw any, kid string, alg jwa.SignatureAlgorithm) {
		k, err := jwk.FromRaw(raw)
		require.NoError(t, err)
		require.NoError(t, k.Set(jwk.KeyIDKey, kid))
		require.NoError(t, k.Set(jwk.AlgorithmKey, alg))
		require.NoError(t, set.AddKey(k))
	}
	addPub(ecKey().Public(), "ec-1", jwa.ES256)
	addPub(edKey().Public(), "ed-1", jwa.EdDSA)
	addPub(rsaKey().Public(), "rsa-1", jwa.RS256)
	b, err := json.Marshal(set)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))

	ver, err := auth.NewVerifier(auth.JWTConfig{JWKSFile: path, Now: clock.Now})
	require.NoError(t, err)
	for _, tc := range []struct {
		priv []byte
		kid  string
	}{{ecPriv, "ec-1"}, {edPriv, "ed-1"}} {
		iss, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: tc.priv, KeyID: tc.kid, Now: clock.Now})
		require.NoError(t, err)
		tok, _, err := iss.Issue("k", auth.RoleUser)
		require.NoError(t, err)
		p, err := ver.Verify(tok)
		require.NoError(t, err, tc.kid)
		require.Equal(t, "k", p.ID)

		// The same key under a kid of the set that belongs to another key.
		wrong, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: tc.priv, KeyID: "rsa-1", Now: clock.Now})
		require.NoError(t, err)
		tok, _, err = wrong.Issue("k", auth.RoleUser)
		require.NoError(t, err)
		_, err = ver.Verify(tok)
		requireReason(t, err, auth.ReasonInvalidAlgorithm)
	}

	// No kid, or an unknown kid: refused before any verification.
	noKid, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: ecPriv, Now: clock.Now})
	require.NoError(t, err)
	tok, _, err := noKid.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	_, err = ver.Verify(tok)
	requireReason(t, err, auth.ReasonUnknownKey)
	unknown, err := auth.NewIssuer(auth.JWTConfig{PrivateKeyPEM: ecPriv, KeyID: "nope", Now: clock.Now})
	require.NoError(t, err)
	tok, _, err = unknown.Issue("k", auth.RoleUser)
	require.NoError(t, err)
	_, err = ver.Verify(tok)
	requireReason(t, err, auth.ReasonUnknownKey)

	// Algorithm confusion against a JWKS RSA key.
	claims := map[string]any{"sub": "k", "role": "admin", "exp": clock.Now().Add(time.Hour).Unix()}
	_, err = ver.Verify(rawToken(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, claims, hmacSHA256(rsaPub)))
	requireReason(t, err, auth.ReasonInvalidAlgorithm)
	_, err = ver.Verify(rawToken(t, map[string]any{"alg": "none", "kid": "ec-1"}, claims, nil))
	requireReason(t, err, auth.ReasonInvalidAlgorithm)

	// Key sets without alg or kid are refused at construction.
	for name, js := range map[string]string{
		"no alg":   `{"keys":[{"kty":"oct","kid":"a","k":"` + base64.RawURLEncoding.EncodeToString(testSecret) + `"}]}`,
		"no kid":   `{"keys":[{"kty":"oct","alg":"HS256","k":"` + base64.RawURLEncoding.EncodeToString(testSecret) + `"}]}`,
		"bad alg":  `{"keys":[{"kty":"oct","kid":"a","alg":"RS256","k":"` + base64.RawURLEncoding.EncodeToString(testSecret) + `"}]}`,
		"only enc": `{"keys":[{"kty":"oct","kid":"a","alg":"HS256","use":"enc","k":"` + base64.RawURLEncoding.EncodeToString(testSecret) + `"}]}`,
		"not json": `{`,
	} {
		_, err := auth.NewVerifier(auth.JWTConfig{JWKS: []byte(js)})
		require.Error(t, err, name)
	}
	// A symmetric JWKS key verifies HS256 tokens with its kid.
	symVer, err := auth.NewVerifier(auth.JWTConfig{Now: clock.Now, JWKS: []byte(`{"keys":[{"kty":"oct","kid":"s","alg":"HS256","k":"` + base64.RawURLEncoding.EncodeToString(testSecret) + `"}]}`)})
	require.NoError(t, err)
	claims["role"] = "user"
	_, err = symVer.Verify(rawToken(t, map[string]any{"alg": "HS256", "kid": "s"}, claims, hmacSHA256(testSecret)))
	require.NoError(t, err)
	_, err = auth.NewVerifier(auth.JWTConfig{JWKSFile: filepath.Join(t.TempDir(), "missing.json")})
	require.Error(t, err)
}

func TestJWTConfigErrors(t *testing.T) {
	t.Parallel()
	rsaPriv, rsaPub := pemPair(t, rsaKey())
	ecPriv, _ := pemPair(t, ecKey())
	for name, cfg := range map[string]auth.JWTConfig{
		"nothing":               {},
		"short secret":          {Secret: []byte("short")},
		"secret and key":        {Secret: testSecret, PrivateKeyPEM: rsaPriv},
		"secret with RS256":     {Secret: testSecret, Algorithm: "RS256"},
		"secret with none":      {Secret: testSecret, Algorithm: "none"},
		"RSA key with HS256":    {PrivateKeyPEM: rsaPriv, Algorithm: "HS256"},
		"RSA key with ES256":    {PrivateKeyPEM: rsaPriv, Algorithm: "ES256"},
		"P-256 key with ES384":  {PrivateKeyPEM: ecPriv, Algorithm: "ES384"},
		"not PEM":               {PrivateKeyPEM: []byte("hello")},
		"public key to sign":    {PrivateKeyPEM: rsaPub},
		"JWKS and JWKSFile":     {JWKS: []byte(`{"keys":[]}`), JWKSFile: "x"},
		"secret and JWKS":       {Secret: testSecret, JWKS: []byte(`{"keys":[]}`)},
		"RSA key with alg none": {PublicKeyPEM: rsaPub, Algorithm: "none"},
	} {
		_, errI := auth.NewIssuer(cfg)
		_, errV := auth.NewVerifier(cfg)
		require.True(t, errI != nil && (errV != nil || name == "public key to sign"), "%s: issuer %v verifier %v", name, errI, errV)
	}
	require.Len(t, auth.NewSecret(), auth.MinSecretLen)
	require.NotEqual(t, auth.NewSecret(), auth.NewSecret())
}
