package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/taskq/taskq"
)

// API key format and limits.
const (
	// APIKeyPrefix starts every generated key.
	APIKeyPrefix = "tq_"
	// APIKeyLen is the length of a generated key: the prefix and 32 random
	// bytes in unpadded base64url (43 characters).
	APIKeyLen = len(APIKeyPrefix) + 43
	// MinAdminKeyLen is the shortest bootstrap admin key accepted.
	MinAdminKeyLen = 16
	// MaxKeyNameLen bounds an API key's name (in characters).
	MaxKeyNameLen = 128
	// DefaultTouchInterval is how often last_used is written per key.
	DefaultTouchInterval = time.Minute

	apiKeyRandLen = 32
	maxTouched    = 1 << 16
)

// GenerateAPIKey returns a new secret ("tq_" + 43 base64url characters of
// 32 random bytes) and its SHA-256 hash, the only form that is stored.
func GenerateAPIKey() (secret string, hash []byte) {
	var b [apiKeyRandLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	secret = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashAPIKey(secret)
}

// HashAPIKey returns the SHA-256 of a secret, as stored in APIKey.Hash.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// WellFormedAPIKey reports whether s has the shape GenerateAPIKey produces.
func WellFormedAPIKey(s string) bool {
	if len(s) != APIKeyLen || !strings.HasPrefix(s, APIKeyPrefix) {
		return false
	}
	for i := len(APIKeyPrefix); i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// KeysConfig configures Keys. The zero value works.
type KeysConfig struct {
	// AdminKey is the bootstrap admin key (TASKQ_ADMIN_KEY), accepted as
	// the principal AdminPrincipalID with role admin. Only its hash is
	// kept. Empty disables it; otherwise at least MinAdminKeyLen bytes.
	AdminKey string
	// TouchInterval is the least time between two writes of a key's
	// last_used; default 1m.
	TouchInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives failed last_used writes; default discards.
	Logger *slog.Logger
}

// Keys creates, lists, revokes and authenticates API keys over a
// KeyStore. There is no cache: a revocation takes effect at once, on
// every replica sharing the store. It is safe for concurrent use.
type Keys struct {
	store     KeyStore
	cfg       KeysConfig
	adminHash []byte // nil when no admin key

	mu      sync.Mutex
	touched map[string]time.Time // key id -> last write of last_used
}

// NewKeys returns a Keys service on store.
func NewKeys(store KeyStore, cfg KeysConfig) (*Keys, error) {
	if store == nil {
		return nil, errors.New("auth: NewKeys: nil KeyStore (use NewMemoryKeyStore or auth/pgkeys)")
	}
	if cfg.TouchInterval <= 0 {
		cfg.TouchInterval = DefaultTouchInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("component", "auth")
	k := &Keys{store: store, touched: make(map[string]time.Time)}
	if cfg.AdminKey != "" {
		if len(cfg.AdminKey) < MinAdminKeyLen {
			return nil, fmt.Errorf("auth: admin key too short: need at least %d bytes", MinAdminKeyLen)
		}
		k.adminHash = HashAPIKey(cfg.AdminKey)
		cfg.AdminKey = ""
	}
	k.cfg = cfg
	return k, nil
}

// HasAdminKey reports whether a bootstrap admin key is configured.
func (k *Keys) HasAdminKey() bool { return k.adminHash != nil }

// adminFingerprint identifies the bootstrap admin key in the tokens issued
// for it: a truncated SHA-256 of its hash (the key cannot be recovered
// from it). "" without an admin key.
func (k *Keys) adminFingerprint() string {
	if k.adminHash == nil {
		return ""
	}
	sum := sha256.Sum256(append([]byte("taskq admin key fingerprint\x00"), k.adminHash...))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Create stores a new key and returns it with its secret, which is shown
// only now. name must be non-empty printable text of at most MaxKeyNameLen
// characters, role admin or user, expiresAt nil or in the future;
// otherwise the error has code validation_error with field details.
func (k *Keys) Create(ctx context.Context, name string, role Role, expiresAt *time.Time) (*APIKey, string, error) {
	now := k.cfg.Now()
	var details []taskq.FieldError
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		details = append(details, taskq.FieldError{Field: "name", Message: "is required"})
	case utf8.RuneCountInString(name) > MaxKeyNameLen || !utf8.ValidString(name):
		details = append(details, taskq.FieldError{Field: "name", Message: fmt.Sprintf("must be valid text of at most %d characters", MaxKeyNameLen)})
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		details = append(details, taskq.FieldError{Field: "name", Message: "must not contain control characters"})
	}
	if !role.Valid() {
		details = append(details, taskq.FieldError{Field: "role", Message: "must be admin or user"})
	}
	if expiresAt != nil && !expiresAt.After(now) {
		details = append(details, taskq.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	if len(details) > 0 {
		e := taskq.NewError(taskq.CodeValidation, details[0].Field+" "+details[0].Message)
		e.Details = details
		return nil, "", e
	}
	secret, hash := GenerateAPIKey()
	key := &APIKey{ID: taskq.NewID(), Name: name, Role: role, Hash: hash, Created: now.UTC()}
	if expiresAt != nil {
		t := expiresAt.UTC()
		key.ExpiresAt = &t
	}
	if err := k.store.CreateAPIKey(ctx, key); err != nil {
		return nil, "", storeError("create API key", err)
	}
	out := *key
	out.Hash = nil
	return &out, secret, nil
}

// List returns every stored key, oldest first, without hashes.
func (k *Keys) List(ctx context.Context) ([]*APIKey, error) {
	keys, err := k.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, storeError("list API keys", err)
	}
	out := make([]*APIKey, len(keys))
	for i, key := range keys {
		c := *key
		c.Hash = nil
		out[i] = &c
	}
	return out, nil
}

// Revoke revokes a key at once: the key and every JWT issued for it stop
// working. It returns an error matching taskq.ErrNotFound for an unknown id.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	if err := k.store.RevokeAPIKey(ctx, id, k.cfg.Now()); err != nil {
		return storeError("revoke API key", err)
	}
	k.mu.Lock()
	delete(k.touched, id)
	k.mu.Unlock()
	return nil
}

// Authenticate returns the principal of an API key secret: the bootstrap
// admin key (compared in constant time), or a stored key looked up by hash
// that is neither revoked nor expired. A successful use updates last_used
// (at most once per TouchInterval per key). Failures are unauthorized
// errors with a Reason; store outages keep their own code.
func (k *Keys) Authenticate(ctx context.Context, secret string) (Principal, error) {
	hash := HashAPIKey(secret)
	if k.adminHash != nil && subtle.ConstantTimeCompare(hash, k.adminHash) == 1 {
		return Principal{ID: AdminPrincipalID, Role: RoleAdmin}, nil
	}
	if !WellFormedAPIKey(secret) {
		return Principal{}, fail(ReasonMalformed, "malformed API key", nil)
	}
	key, err := k.store.GetAPIKeyByHash(ctx, hash)
	if errors.Is(err, taskq.ErrNotFound) {
		return Principal{}, fail(ReasonUnknownKey, "invalid API key", nil)
	}
	if err != nil {
		return Principal{}, storeError("look up API key", err)
	}
	if subtle.ConstantTimeCompare(key.Hash, hash) != 1 {
		return Principal{}, fail(ReasonUnknownKey, "invalid API key", nil)
	}
	return k.accept(ctx, key, "")
}

// keyPrincipal returns the principal of the stored key id (for a JWT's
// sub) if the key is still active and grants role.
func (k *Keys) keyPrincipal(ctx context.Context, id string, role Role) (Principal, error) {
	key, err := k.store.GetAPIKey(ctx, id)
	if errors.Is(err, taskq.ErrNotFound) {
		return Principal{}, fail(ReasonUnknownKey, "token key no longer exists", nil)
	}
	if err != nil {
		return Principal{}, storeError("look up API key", err)
	}
	return k.accept(ctx, key, role)
}

// accept checks that key is active (and grants role when role is set),
// records its use and returns its principal.
func (k *Keys) accept(ctx context.Context, key *APIKey, role Role) (Principal, error) {
	now := k.cfg.Now()
	switch {
	case key.RevokedAt != nil:
		return Principal{}, fail(ReasonRevoked, "API key revoked", nil)
	case !key.Active(now):
		return Principal{}, fail(ReasonKeyExpired, "API key expired", nil)
	case !key.Role.Valid():
		return Principal{}, fail(ReasonInvalidClaims, "API key has no valid role", nil)
	case role != "" && role != key.Role:
		return Principal{}, fail(ReasonInvalidClaims, "token role does not match its key", nil)
	}
	k.touch(ctx, key, now)
	return Principal{ID: key.ID, Role: key.Role, KeyID: key.ID}, nil
}

// touch writes last_used unless it was written less than TouchInterval ago
// (by this process, or by anyone according to the stored value). The
// write survives the caller's cancellation but is bounded in time; a
// failure is logged, never returned.
func (k *Keys) touch(ctx context.Context, key *APIKey, now time.Time) {
	iv := k.cfg.TouchInterval
	if key.LastUsed != nil && !now.Before(*key.LastUsed) && now.Sub(*key.LastUsed) < iv {
		return
	}
	k.mu.Lock()
	if t, ok := k.touched[key.ID]; ok && !now.Before(t) && now.Sub(t) < iv {
		k.mu.Unlock()
		return
	}
	if len(k.touched) >= maxTouched {
		for id, t := range k.touched {
			if now.Sub(t) >= iv || now.Before(t) {
				delete(k.touched, id)
			}
		}
		if len(k.touched) >= maxTouched {
			clear(k.touched)
		}
	}
	k.touched[key.ID] = now
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := k.store.TouchAPIKey(ctx, key.ID, now); err != nil {
		k.cfg.Logger.WarnContext(ctx, "cannot record API key use", "key_id", key.ID, "error", err)
	}
}

// storeError keeps a store's *taskq.Error (its code and sanitized message)
// and hides anything else behind internal_error.
func storeError(op string, err error) error {
	var te *taskq.Error
	if errors.As(err, &te) {
		return err
	}
	return taskq.WrapError(taskq.CodeInternal, op+" failed", err)
}
