package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Defaults of JWTConfig.
const (
	// DefaultTokenTTL is the default lifetime of issued tokens.
	DefaultTokenTTL = 15 * time.Minute
	// DefaultClockSkew is the default tolerance on exp, nbf and iat.
	DefaultClockSkew = 30 * time.Second
	// MaxTokenLen bounds the tokens Verify parses.
	MaxTokenLen = 8 << 10
)

// RoleClaim is the private claim that carries the principal's role.
const RoleClaim = "role"

// JWTConfig configures an Issuer and a Verifier. Set exactly one key
// source: Secret (HMAC), or PrivateKeyPEM and/or PublicKeyPEM (RSA, ECDSA
// P-256/384/521 or Ed25519, PKCS#1/PKCS#8/PKIX), or a JWKS (verification
// only; pair it with PrivateKeyPEM and KeyID to issue tokens it accepts).
type JWTConfig struct {
	// Secret is the HMAC key (TASKQ_JWT_SECRET), at least MinSecretLen
	// bytes; NewSecret makes a random one.
	Secret []byte
	// PrivateKeyPEM signs tokens; without PublicKeyPEM or a JWKS its public
	// half verifies them.
	PrivateKeyPEM []byte
	// PublicKeyPEM verifies tokens (a Verifier needs no private key).
	PublicKeyPEM []byte
	// JWKS is a JSON Web Key Set to verify with. Each key needs a kid and
	// an alg; a token must name a kid of the set and is verified only with
	// that key's alg.
	JWKS []byte
	// JWKSFile is read at construction as JWKS would be.
	JWKSFile string
	// Algorithm overrides the algorithm: HS256 (default for Secret), HS384,
	// HS512; RS256 (default for RSA), RS384, RS512, PS256, PS384, PS512;
	// ES256/ES384/ES512 are fixed by the curve and EdDSA by Ed25519.
	Algorithm string
	// KeyID is written as kid in the tokens the Issuer signs.
	KeyID string
	// TTL is the lifetime of issued tokens; default 15m.
	TTL time.Duration
	// Issuer, when set, is written as iss and required on verification.
	Issuer string
	// Audience, when set, is written as aud and required on verification.
	Audience string
	// ClockSkew is the tolerance on exp, nbf and iat; default 30s, negative
	// means none.
	ClockSkew time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c JWTConfig) withDefaults() JWTConfig {
	if c.TTL <= 0 {
		c.TTL = DefaultTokenTTL
	}
	switch {
	case c.ClockSkew == 0:
		c.ClockSkew = DefaultClockSkew
	case c.ClockSkew < 0:
		c.ClockSkew = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// NewSecret returns a random MinSecretLen-byte HMAC secret, for a server
// started without TASKQ_JWT_SECRET.
func NewSecret() []byte {
	b := make([]byte, MinSecretLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// Issuer signs access tokens. It is safe for concurrent use.
type Issuer struct {
	cfg JWTConfig
	key signKey
}

// NewIssuer returns an Issuer, or an error when no usable signing key is
// configured.
func NewIssuer(cfg JWTConfig) (*Issuer, error) {
	cfg = cfg.withDefaults()
	k, err := cfg.signingKey()
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, key: k}, nil
}

// Algorithm returns the signing algorithm.
func (i *Issuer) Algorithm() string { return i.key.alg.String() }

// TTL returns the lifetime of the tokens.
func (i *Issuer) TTL() time.Duration { return i.cfg.TTL }

// Issue signs a token for principal (sub) with role, valid from now for the
// TTL, which it returns as expiresIn.
func (i *Issuer) Issue(principal string, role Role) (token string, expiresIn time.Duration, err error) {
	return i.issue(principal, role, "")
}

// adminKeyClaim is the private claim binding a token of the bootstrap
// admin key to a fingerprint of that key (Keys.adminFingerprint): when the
// key changes, its tokens stop working.
const adminKeyClaim = "akf"

// issue is Issue, adding adminKeyClaim when fingerprint is set.
func (i *Issuer) issue(principal string, role Role, fingerprint string) (token string, expiresIn time.Duration, err error) {
	if principal == "" {
		return "", 0, errors.New("auth: Issue: empty principal")
	}
	if !role.Valid() {
		return "", 0, fmt.Errorf("auth: Issue: invalid role %q", role)
	}
	now := i.cfg.Now()
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	b := jwt.NewBuilder().
		Subject(principal).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(i.cfg.TTL)).
		JwtID(hex.EncodeToString(jti[:])).
		Claim(RoleClaim, string(role))
	if fingerprint != "" {
		b = b.Claim(adminKeyClaim, fingerprint)
	}
	if i.cfg.Issuer != "" {
		b = b.Issuer(i.cfg.Issuer)
	}
	if i.cfg.Audience != "" {
		b = b.Audience([]string{i.cfg.Audience})
	}
	tok, err := b.Build()
	if err != nil {
		return "", 0, fmt.Errorf("auth: build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(i.key.alg, i.key.key))
	if err != nil {
		return "", 0, fmt.Errorf("auth: sign token: %w", err)
	}
	return string(signed), i.cfg.TTL, nil
}

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	cfg  JWTConfig
	keys map[string]verifyKey // by kid; "" for a single configured key
}

// NewVerifier returns a Verifier, or an error when no usable key is
// configured.
func NewVerifier(cfg JWTConfig) (*Verifier, error) {
	cfg = cfg.withDefaults()
	keys, err := cfg.verifyKeys()
	if err != nil {
		return nil, err
	}
	return &Verifier{cfg: cfg, keys: keys}, nil
}

// jwsHeader is the part of a JOSE header checked before verification.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Cty  string          `json:"cty"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
	Jku  string          `json:"jku"`
	Jwk  json.RawMessage `json:"jwk"`
	X5u  string          `json:"x5u"`
}

// Verify checks a compact JWS token: shape, algorithm (only the configured
// one, never the header's choice), signature, exp (required), nbf and iat
// (with the clock skew), iss and aud when configured, sub and role. The
// returned Principal has ID = sub and KeyID = sub unless sub is
// AdminPrincipalID. Verify does not consult the key store: use
// Authenticator.AuthenticateBearer to also reject tokens of revoked keys.
func (v *Verifier) Verify(token string) (Principal, error) {
	p, _, err := v.verify(token)
	return p, err
}

// verify is Verify, also returning the adminKeyClaim ("" when absent).
func (v *Verifier) verify(token string) (Principal, string, error) {
	vk, err := v.keyFor(token)
	if err != nil {
		return Principal{}, "", err
	}
	opts := []jwt.ParseOption{
		jwt.WithKey(vk.alg, vk.key),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.cfg.ClockSkew),
		jwt.WithClock(jwt.ClockFunc(v.cfg.Now)),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	}
	if v.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.cfg.Issuer))
	}
	if v.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.cfg.Audience))
	}
	tok, err := jwt.ParseString(token, opts...)
	if err != nil {
		return Principal{}, "", classifyJWTError(err)
	}
	raw, _ := tok.Get(RoleClaim)
	role, _ := raw.(string)
	if !Role(role).Valid() {
		return Principal{}, "", fail(ReasonInvalidClaims, "token has no valid role", nil)
	}
	p := Principal{ID: tok.Subject(), Role: Role(role)}
	if p.ID == "" {
		return Principal{}, "", fail(ReasonInvalidClaims, "token has no subject", nil)
	}
	if p.ID != AdminPrincipalID {
		p.KeyID = p.ID
	}
	rawFP, _ := tok.Get(adminKeyClaim)
	fp, _ := rawFP.(string)
	return p, fp, nil
}

// keyFor checks the token's shape and header and returns the one key (and
// algorithm) it may be verified with.
func (v *Verifier) keyFor(token string) (verifyKey, error) {
	if len(token) == 0 || len(token) > MaxTokenLen || strings.Count(token, ".") != 2 {
		return verifyKey{}, fail(ReasonMalformed, "malformed token", nil)
	}
	seg := token[:strings.IndexByte(token, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return verifyKey{}, fail(ReasonMalformed, "malformed token", err)
	}
	var h jwsHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return verifyKey{}, fail(ReasonMalformed, "malformed token", err)
	}
	if h.Cty != "" || len(h.Crit) > 0 || len(h.B64) > 0 || h.Jku != "" || len(h.Jwk) > 0 || h.X5u != "" {
		return verifyKey{}, fail(ReasonMalformed, "unsupported token header", nil)
	}
	kid := ""
	if _, single := v.keys[""]; !single {
		kid = h.Kid
		if kid == "" {
			return verifyKey{}, fail(ReasonUnknownKey, "token has no key id", nil)
		}
	}
	vk, ok := v.keys[kid]
	if !ok {
		return verifyKey{}, fail(ReasonUnknownKey, "unknown token key id", nil)
	}
	if h.Alg != vk.alg.String() {
		return verifyKey{}, fail(ReasonInvalidAlgorithm, "token algorithm not accepted", nil)
	}
	return vk, nil
}

// classifyJWTError maps a jwx error to an unauthorized error with a Reason.
func classifyJWTError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired()):
		return fail(ReasonExpired, "token expired", err)
	case errors.Is(err, jwt.ErrTokenNotYetValid()), errors.Is(err, jwt.ErrInvalidIssuedAt()):
		return fail(ReasonNotYetValid, "token not yet valid", err)
	case errors.Is(err, jwt.ErrInvalidIssuer()):
		return fail(ReasonInvalidIssuer, "token issuer not accepted", err)
	case errors.Is(err, jwt.ErrInvalidAudience()):
		return fail(ReasonInvalidAudience, "token audience not accepted", err)
	case errors.Is(err, jwt.ErrRequiredClaim()):
		return fail(ReasonInvalidClaims, "token lacks a required claim", err)
	case jws.IsVerificationError(err):
		return fail(ReasonInvalidSignature, "invalid token signature", err)
	case jwt.IsValidationError(err):
		return fail(ReasonInvalidClaims, "invalid token claims", err)
	}
	return fail(ReasonMalformed, "malformed token", err)
}
