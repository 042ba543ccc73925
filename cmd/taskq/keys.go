package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// apiKey is a key as listed by the server.
type apiKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Key       string     `json:"key"`
	Created   *time.Time `json:"created"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	LastUsed  *time.Time `json:"last_used"`
}

func keysCreate(c *cmdContext, args []string) error {
	fs := c.flags()
	name := fs.String("name", "", "a label for the key (or the first argument)")
	role := fs.String("role", "user", "user or admin")
	expiresAt := fs.String("expires-at", "", "RFC 3339 time the key stops working")
	expiresIn := fs.Duration("expires-in", 0, "the key stops working this long from now")
	pos, err := c.setup(fs, args, 0, 1, "NAME")
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		if *name != "" && *name != pos[0] {
			return errorf("the name is given twice (%q and --name %q)", pos[0], *name)
		}
		*name = pos[0]
	}
	if *name == "" {
		return errorf("missing NAME (usage: taskq keys create NAME [--role user|admin])")
	}
	body := map[string]any{"name": *name, "role": *role}
	switch {
	case *expiresAt != "" && *expiresIn != 0:
		return errorf("give --expires-at or --expires-in, not both")
	case *expiresAt != "":
		t, err := parseTime("expires-at", *expiresAt)
		if err != nil {
			return err
		}
		body["expires_at"] = t.UTC().Format(time.RFC3339Nano)
	case *expiresIn < 0:
		return errorf("--expires-in must be positive")
	case *expiresIn > 0:
		body["expires_at"] = time.Now().Add(*expiresIn).UTC().Format(time.RFC3339Nano)
	}
	raw, err := c.api.do(c.ctx(), request{method: http.MethodPost, path: "/api/keys", body: body})
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	var k apiKey
	if err := json.Unmarshal(raw, &k); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	tb := newTable(c.stdout, "ID", "NAME", "ROLE", "EXPIRES", "KEY")
	tb.row(k.ID, k.Name, k.Role, when(k.ExpiresAt), k.Key)
	if err := tb.flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "the key is shown only now: store it safely")
	return nil
}

func keysList(c *cmdContext, args []string) error {
	if _, err := c.setup(c.flags(), args, 0, 0, ""); err != nil {
		return err
	}
	var list struct {
		Keys []apiKey `json:"keys"`
	}
	raw, err := c.api.getJSON(c.ctx(), "/api/keys", nil, &list)
	if err != nil {
		return err
	}
	if c.json() {
		return printJSON(c.stdout, raw)
	}
	tb := newTable(c.stdout, "ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST_USED", "REVOKED")
	for _, k := range list.Keys {
		tb.row(k.ID, k.Name, k.Role, when(k.Created), when(k.ExpiresAt), when(k.LastUsed), when(k.RevokedAt))
	}
	return tb.flush()
}

func keysRevoke(c *cmdContext, args []string) error {
	pos, err := c.setup(c.flags(), args, 1, 1, "ID")
	if err != nil {
		return err
	}
	if _, err := c.api.do(c.ctx(), request{method: http.MethodDelete, path: "/api/keys/" + url.PathEscape(pos[0])}); err != nil {
		return err
	}
	return c.printDone(pos[0], "revoked", "revoked key "+pos[0])
}
