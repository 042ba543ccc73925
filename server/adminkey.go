package server

import (
	"fmt"
	"io"
	"os"
)

// Where a generated admin key is shown; tests replace them.
var (
	keyTerminal      io.Writer = os.Stderr
	stderrIsTerminal           = func() bool {
		fi, err := os.Stderr.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
)

// revealAdminKey hands a generated admin key to the operator without
// writing it to the log: printed once on stderr when stderr is a terminal,
// else written to a file only its owner can read (Config.AdminKeyFile, or
// a new file in the temporary directory), whose path the log names. The
// file is removed at Stop. The key itself never reaches the log.
func (s *Server) revealAdminKey(key string) error {
	const what = "TASKQ_ADMIN_KEY is empty: generated an admin key for this in-memory run only (set TASKQ_ADMIN_KEY to choose one)"
	if stderrIsTerminal() {
		fmt.Fprintf(keyTerminal, "\ntaskq: admin key of this in-memory run (shown once, not logged):\n\n    %s\n\n", key)
		s.log.Warn(what + "; it was shown once on the terminal")
		return nil
	}
	path, err := writeKeyFile(s.cfg.AdminKeyFile, key)
	if err != nil {
		return fmt.Errorf("server: writing the generated admin key (TASKQ_ADMIN_KEY_FILE): %w", err)
	}
	s.adminKeyFile = path
	s.log.Warn(what+"; it is in a file readable only by this user, removed at shutdown", "admin_key_file", path)
	return nil
}

// writeKeyFile writes key to path (created or replaced, mode 0600), or to
// a new file in the temporary directory when path is empty, and returns
// the path.
func writeKeyFile(path, key string) (string, error) {
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "taskq-admin-key-*") // mode 0600
	} else {
		_ = os.Remove(path) // a new file: never one another user may read
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return "", err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return "", err
	}
	if _, err := io.WriteString(f, key+"\n"); err != nil {
		_ = f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}
