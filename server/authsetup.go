package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
)

// newAuth builds the authenticator, IP guard and rate limiters.
func (s *Server) newAuth(deps Deps, keyStore auth.KeyStore) error {
	var err error
	adminKey := s.cfg.AdminKey
	if _, memory := s.store.(*storage.Memory); memory && adminKey == "" {
		// Nothing durable is at stake and no key could be created without
		// an admin: make the embedded default usable.
		adminKey, _ = auth.GenerateAPIKey()
		if err := s.revealAdminKey(adminKey); err != nil {
			return err
		}
	}
	s.keys, err = auth.NewKeys(keyStore, auth.KeysConfig{AdminKey: adminKey, Logger: s.log})
	if err != nil {
		return err
	}
	jcfg, err := s.jwtConfig()
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(jcfg)
	if err != nil {
		return fmt.Errorf("server: JWT verification: %w", err)
	}
	issuer, err := auth.NewIssuer(jcfg)
	if err != nil {
		s.log.Warn("no JWT signing key: POST /api/auth/token is unavailable", "error", err)
		issuer = nil
	}
	s.authn, err = auth.NewAuthenticator(s.keys, verifier, issuer)
	if err != nil {
		return err
	}
	s.guard, err = auth.NewIPGuard(auth.IPGuardConfig{FailLimit: s.cfg.AuthFailLimit, BlockFor: s.cfg.AuthBlock, Deny: s.cfg.DenyCIDRs})
	if err != nil {
		return err
	}
	s.ipLimit = auth.PerSecond(s.cfg.RateLimit, s.cfg.RateBurst)
	s.principalLimit = s.ipLimit
	s.tokenLimit = auth.PerMinute(s.cfg.AuthRateLimit, 0)
	var mem auth.Limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{})
	s.limiter = mem
	rc := deps.Redis
	if rq, ok := s.queue.(*redisqueue.Queue); ok && rc == nil {
		rc = rq.Client()
	}
	if rc != nil {
		s.limiter, err = auth.NewRedisLimiter(rc, auth.RedisLimiterConfig{Prefix: deps.RateLimitPrefix, Fallback: mem})
		if err != nil {
			return err
		}
	}
	if !s.keys.HasAdminKey() {
		s.log.Warn("TASKQ_ADMIN_KEY is empty: only admin API keys stored earlier can administer this server")
	}
	return nil
}

// jwtConfig builds the JWT configuration; without a secret or key file a
// random secret is used and a warning logged.
func (s *Server) jwtConfig() (auth.JWTConfig, error) {
	c := auth.JWTConfig{
		Algorithm: s.cfg.JWTAlgorithm, TTL: s.cfg.JWTTTL,
		Issuer: s.cfg.JWTIssuer, Audience: s.cfg.JWTAudience, JWKSFile: s.cfg.JWKSFile,
	}
	read := func(path, what string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("server: %s: %w", what, err)
		}
		return b, nil
	}
	var err error
	if c.PrivateKeyPEM, err = read(s.cfg.JWTPrivateKeyFile, "TASKQ_JWT_PRIVATE_KEY_FILE"); err != nil {
		return c, err
	}
	if c.PublicKeyPEM, err = read(s.cfg.JWTPublicKeyFile, "TASKQ_JWT_PUBLIC_KEY_FILE"); err != nil {
		return c, err
	}
	asym := c.PrivateKeyPEM != nil || c.PublicKeyPEM != nil || c.JWKSFile != ""
	switch {
	case s.cfg.JWTSecret != "" && asym:
		return c, errors.New("server: set either TASKQ_JWT_SECRET or JWT key files, not both")
	case s.cfg.JWTSecret != "":
		c.Secret = []byte(s.cfg.JWTSecret)
	case !asym:
		c.Secret = auth.NewSecret()
		s.log.Warn("TASKQ_JWT_SECRET is empty: using a random secret; tokens stop working at restart and are not accepted by other replicas")
	}
	return c, nil
}
