package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/timerange"
)

// tokenRequest is the body of POST /api/auth/token.
type tokenRequest struct {
	APIKey string `json:"api_key"`
}

// tokenResponse is the answer of POST /api/auth/token.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// exchangeToken serves POST /api/auth/token. A wrong key counts toward
// the client IP's block like any failed authentication.
func (s *Server) exchangeToken(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req tokenRequest
	if err := decodeJSON(r.Body, &req, false); err != nil {
		return err
	}
	if req.APIKey == "" {
		return validationError([]taskq.FieldError{{Field: "api_key", Message: "is required"}})
	}
	tok, ttl, p, err := s.authn.ExchangeAPIKey(r.Context(), req.APIKey)
	if err != nil {
		if auth.CountsAsFailure(err) {
			s.metrics.AuthFailure(string(auth.ReasonOf(err)))
			s.recordFailure(r)
		}
		return err
	}
	infoOf(r.Context()).principal = p.ID
	s.writeJSON(w, r, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second)})
	return nil
}

// keyCreateRequest is the body of POST /api/keys.
type keyCreateRequest struct {
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	ExpiresAt *string   `json:"expires_at"`
}

// keyCreated is the answer of POST /api/keys; Key is shown only here.
type keyCreated struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      auth.Role  `json:"role"`
	Key       string     `json:"key"`
	Created   time.Time  `json:"created"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// createKey serves POST /api/keys.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req keyCreateRequest
	if err := decodeJSON(r.Body, &req, false); err != nil {
		return err
	}
	var exp *time.Time
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *req.ExpiresAt)
		if err != nil {
			return validationError([]taskq.FieldError{{Field: "expires_at", Message: "must be an RFC 3339 time"}})
		}
		if !timerange.Valid(t) {
			return validationError([]taskq.FieldError{{Field: "expires_at", Message: timerange.Message}})
		}
		exp = &t
	}
	k, secret, err := s.keys.Create(r.Context(), req.Name, req.Role, exp)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "API key created", "key_id", k.ID, "role", k.Role, "request_id", requestID(r.Context()))
	s.writeJSON(w, r, http.StatusCreated, keyCreated{ID: k.ID, Name: k.Name, Role: k.Role, Key: secret, Created: k.Created, ExpiresAt: k.ExpiresAt})
	return nil
}

// listKeys serves GET /api/keys: never the secrets.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	keys, err := s.keys.List(r.Context())
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []*auth.APIKey{}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

// revokeKey serves DELETE /api/keys/{id}: the key and its tokens stop
// working at once.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	err := s.keys.Revoke(r.Context(), r.PathValue("id"))
	if errors.Is(err, taskq.ErrNotFound) {
		return apiError(taskq.CodeNotFound, "API key not found")
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "API key revoked", "key_id", r.PathValue("id"), "request_id", requestID(r.Context()))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
