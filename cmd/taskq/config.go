package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// defaultURL is the reference server's default listen address.
const defaultURL = "http://127.0.0.1:8080"

// fileConfig is the config file: {"url": "...", "api_key": "..."}.
type fileConfig struct {
	URL    string `json:"url"`
	APIKey string `json:"api_key"`
}

// settings are the resolved connection settings.
type settings struct {
	url, apiKey string
}

// configPath returns the config file to read and whether it was named
// explicitly (a missing explicit file is an error, a missing default one
// is not).
func configPath(g globals, getenv func(string) string) (string, bool) {
	if g.config != "" {
		return g.config, true
	}
	if p := getenv("TASKQ_CONFIG"); p != "" {
		return p, true
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "taskq", "config.json"), false
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "taskq", "config.json"), false
	}
	return "", false
}

// readConfigFile reads the config file; it refuses one that others than
// its owner may read or write, since it holds a key.
func readConfigFile(path string) (fileConfig, error) {
	var c fileConfig
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return c, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return c, fmt.Errorf("config file %s has mode %#o: it holds an API key, so only its owner may read it (chmod 600 %s)",
			path, st.Mode().Perm(), path)
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config file %s: %v", path, err)
	}
	return c, nil
}

// resolve applies flags over the environment over the config file over
// the defaults.
func resolve(g globals, getenv func(string) string) (settings, error) {
	var s settings
	path, explicit := configPath(g, getenv)
	if path != "" {
		c, err := readConfigFile(path)
		switch {
		case err == nil:
			s.url, s.apiKey = c.URL, c.APIKey
		case errors.Is(err, fs.ErrNotExist) && !explicit:
		default:
			return s, &usageErr{msg: err.Error()}
		}
	}
	if v := getenv("TASKQ_URL"); v != "" {
		s.url = v
	}
	if v := getenv("TASKQ_API_KEY"); v != "" {
		s.apiKey = v
	}
	if g.set["url"] {
		s.url = g.url
	}
	if g.set["api-key"] {
		s.apiKey = g.apiKey
	}
	if s.url == "" {
		s.url = defaultURL
	}
	s.url = strings.TrimRight(s.url, "/")
	if !strings.HasPrefix(s.url, "http://") && !strings.HasPrefix(s.url, "https://") {
		return s, errorf("server URL %q must start with http:// or https://", s.url)
	}
	return s, nil
}
