package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// MinSecretLen is the shortest HMAC secret accepted: RFC 7518 asks for a
// key at least as long as the hash output (32 bytes for HS256).
const MinSecretLen = 32

// verifyKey is one key a Verifier accepts, with the only algorithm it may be
// used with.
type verifyKey struct {
	alg jwa.SignatureAlgorithm
	key any // []byte for HMAC, a public jwk.Key otherwise
}

// signKey is the Issuer's key.
type signKey struct {
	alg jwa.SignatureAlgorithm
	key any // []byte for HMAC, a private jwk.Key otherwise
}

// signingKey returns the key and algorithm the Issuer signs with.
func (c JWTConfig) signingKey() (signKey, error) {
	if err := c.checkSources(); err != nil {
		return signKey{}, err
	}
	switch {
	case len(c.Secret) > 0:
		alg, err := hmacAlg(c.Algorithm, c.Secret)
		return signKey{alg: alg, key: c.Secret}, err
	case len(c.PrivateKeyPEM) > 0:
		k, err := parsePEMKey(c.PrivateKeyPEM)
		if err != nil {
			return signKey{}, err
		}
		if priv, _ := jwk.IsPrivateKey(k); !priv {
			return signKey{}, errors.New("auth: JWTConfig.PrivateKeyPEM holds no private key")
		}
		alg, err := keyAlg(c.Algorithm, k)
		if err != nil {
			return signKey{}, err
		}
		if c.KeyID != "" {
			if err := k.Set(jwk.KeyIDKey, c.KeyID); err != nil {
				return signKey{}, fmt.Errorf("auth: set kid: %w", err)
			}
		}
		return signKey{alg: alg, key: k}, nil
	}
	return signKey{}, errors.New("auth: no JWT signing key: set JWTConfig.Secret (TASKQ_JWT_SECRET) or PrivateKeyPEM")
}

// verifyKeys returns the keys a Verifier accepts, by kid ("" when the
// Verifier has a single key and kid is not checked).
func (c JWTConfig) verifyKeys() (map[string]verifyKey, error) {
	if err := c.checkSources(); err != nil {
		return nil, err
	}
	switch {
	case len(c.JWKS) > 0 || c.JWKSFile != "":
		src := c.JWKS
		if c.JWKSFile != "" {
			b, err := os.ReadFile(c.JWKSFile)
			if err != nil {
				return nil, fmt.Errorf("auth: read JWKS file: %w", err)
			}
			src = b
		}
		return parseJWKS(src)
	case len(c.PublicKeyPEM) > 0 || len(c.PrivateKeyPEM) > 0:
		src := c.PublicKeyPEM
		if len(src) == 0 {
			src = c.PrivateKeyPEM
		}
		k, err := parsePEMKey(src)
		if err != nil {
			return nil, err
		}
		alg, err := keyAlg(c.Algorithm, k)
		if err != nil {
			return nil, err
		}
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		return map[string]verifyKey{"": {alg: alg, key: pub}}, nil
	case len(c.Secret) > 0:
		alg, err := hmacAlg(c.Algorithm, c.Secret)
		if err != nil {
			return nil, err
		}
		return map[string]verifyKey{"": {alg: alg, key: c.Secret}}, nil
	}
	return nil, errors.New("auth: no JWT verification key: set JWTConfig.Secret (TASKQ_JWT_SECRET), a PEM key or a JWKS")
}

// checkSources rejects ambiguous combinations of key sources.
func (c JWTConfig) checkSources() error {
	asym := len(c.PrivateKeyPEM) > 0 || len(c.PublicKeyPEM) > 0 || len(c.JWKS) > 0 || c.JWKSFile != ""
	switch {
	case len(c.Secret) > 0 && asym:
		return errors.New("auth: JWTConfig.Secret cannot be combined with PEM keys or a JWKS")
	case len(c.JWKS) > 0 && c.JWKSFile != "":
		return errors.New("auth: set either JWTConfig.JWKS or JWKSFile, not both")
	}
	return nil
}

func hmacAlg(name string, secret []byte) (jwa.SignatureAlgorithm, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("auth: JWT secret too short: %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	switch alg := jwa.SignatureAlgorithm(name); alg {
	case "":
		return jwa.HS256, nil
	case jwa.HS256, jwa.HS384, jwa.HS512:
		return alg, nil
	}
	return "", fmt.Errorf("auth: algorithm %q cannot be used with a secret (use HS256, HS384 or HS512)", name)
}

func parsePEMKey(src []byte) (jwk.Key, error) {
	k, err := jwk.ParseKey(src, jwk.WithPEM(true))
	if err != nil {
		return nil, fmt.Errorf("auth: parse PEM key: %w", err)
	}
	return k, nil
}

// keyAlg returns the algorithm to use with k: name when given and
// compatible with the key, else the key type's natural choice.
func keyAlg(name string, k jwk.Key) (jwa.SignatureAlgorithm, error) {
	var allowed []jwa.SignatureAlgorithm
	switch k.KeyType() {
	case jwa.RSA:
		allowed = []jwa.SignatureAlgorithm{jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512}
	case jwa.EC:
		crv, _ := k.Get(jwk.ECDSACrvKey)
		switch crv {
		case jwa.P256:
			allowed = []jwa.SignatureAlgorithm{jwa.ES256}
		case jwa.P384:
			allowed = []jwa.SignatureAlgorithm{jwa.ES384}
		case jwa.P521:
			allowed = []jwa.SignatureAlgorithm{jwa.ES512}
		}
	case jwa.OKP:
		if crv, _ := k.Get(jwk.OKPCrvKey); crv == jwa.Ed25519 {
			allowed = []jwa.SignatureAlgorithm{jwa.EdDSA}
		}
	case jwa.OctetSeq:
		var raw []byte
		if err := k.Raw(&raw); err != nil {
			return "", fmt.Errorf("auth: symmetric key: %w", err)
		}
		return hmacAlg(name, raw)
	}
	if len(allowed) == 0 {
		return "", fmt.Errorf("auth: unsupported key type %s", k.KeyType())
	}
	if name == "" {
		return allowed[0], nil
	}
	for _, a := range allowed {
		if string(a) == name {
			return a, nil
		}
	}
	return "", fmt.Errorf("auth: algorithm %q cannot be used with a %s key", name, k.KeyType())
}

// parseJWKS loads a key set; every signature key must carry a unique kid
// and an alg that fits its type. Keys marked "use":"enc" are skipped.
func parseJWKS(src []byte) (map[string]verifyKey, error) {
	set, err := jwk.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("auth: parse JWKS: %w", err)
	}
	keys := make(map[string]verifyKey, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		if strings.EqualFold(k.KeyUsage(), string(jwk.ForEncryption)) {
			continue
		}
		kid := k.KeyID()
		if kid == "" {
			return nil, fmt.Errorf("auth: JWKS key #%d has no kid", i)
		}
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("auth: JWKS kid %q appears twice", kid)
		}
		if k.Algorithm() == nil || k.Algorithm().String() == "" {
			return nil, fmt.Errorf("auth: JWKS key %q has no alg", kid)
		}
		alg, err := keyAlg(k.Algorithm().String(), k)
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS key %q: %w", kid, err)
		}
		var key any = k
		if alg == jwa.HS256 || alg == jwa.HS384 || alg == jwa.HS512 {
			var raw []byte
			if err := k.Raw(&raw); err != nil {
				return nil, fmt.Errorf("auth: JWKS key %q: %w", kid, err)
			}
			key = raw
		} else if key, err = jwk.PublicKeyOf(k); err != nil {
			return nil, fmt.Errorf("auth: JWKS key %q: %w", kid, err)
		}
		keys[kid] = verifyKey{alg: alg, key: key}
	}
	if len(keys) == 0 {
		return nil, errors.New("auth: JWKS holds no signature key")
	}
	return keys, nil
}
