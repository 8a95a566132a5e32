package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Launch starts a private cluster that lives in baseDir, for tools outside tests (cmd/bench): the
// cluster is created on first use and reused, data included, by later launches. settings are
// extra server settings ("shared_buffers=1GB"), applied at every start. Stop it with Stop; its
// files stay. A server a killed process left running in baseDir is stopped first.
func Launch(baseDir string, settings ...string) (*Server, error) {
	for _, s := range settings {
		if !strings.Contains(s, "=") || strings.ContainsAny(s, " '\"") {
			return nil, fmt.Errorf("pgtest: setting %q: want name=value without spaces or quotes", s)
		}
	}
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := checkRunuser(); err != nil {
			return nil, err
		}
	}
	if baseDir, err = filepath.Abs(baseDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(baseDir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if !traversable(filepath.Dir(baseDir)) {
			return nil, fmt.Errorf("pgtest: %s must be traversable by the postgres user", filepath.Dir(baseDir))
		}
		if out, err := exec.Command("chown", "-R", "postgres:", baseDir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown %s: %v: %s", baseDir, err, out)
		}
	}
	s := &Server{
		Host:      "127.0.0.1",
		SocketDir: baseDir,
		binDir:    binDir,
		baseDir:   baseDir,
		dataDir:   filepath.Join(baseDir, "data"),
		logPath:   filepath.Join(baseDir, "postgres.log"),
		options:   settings,
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		_ = os.RemoveAll(s.dataDir) // a half-made cluster
		if err := s.initdb(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "postmaster.pid")); err == nil {
		_, _ = s.pgctl("stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", "60")
	}
	if err := s.startFreshPort(); err != nil {
		return nil, err
	}
	if err := s.createLoginRole(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Resume starts a launched cluster that Stop stopped, on the same port and data; for programs
// (cmd/devenv) that take the store down and bring it back without a testing.TB.
func (s *Server) Resume() error {
	if s.external {
		return errors.New("pgtest: Resume needs a private cluster; unset " + envURL)
	}
	return s.start()
}
