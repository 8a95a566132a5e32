//go:build mage

// Build, test and packaging targets. Run them with `go tool mage -v <target>`;
// `go tool mage -l` lists them. `ci` is the one test command.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/magefile/mage/mg"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
)

const (
	distDir       = "dist"
	dashboardsDir = "dashboards"

	// Inputs of CI's fuzzing runs (docs/RELIABILITY.md).
	fuzzParseQueryInputs   = "80000x"
	fuzzLoadSettingsInputs = "70000x"
)

// Default builds the backend for every platform the SDK supports.
var Default = build.BuildAll

func init() {
	// plugin.json lives at the repository root, not in src/ where the SDK looks by default.
	_ = build.SetBeforeBuildCallback(func(cfg build.Config) (build.Config, error) {
		cfg.PluginJSONPath = "."
		cfg.OutputBinaryPath = distDir
		return cfg, nil
	})
}

// BuildLinux builds the backend for linux/amd64 and linux/arm64 only (what the Docker image and
// most Grafana servers need), which is much faster than buildAll on a small machine.
func BuildLinux() {
	b := build.Build{}
	mg.SerialDeps(b.Linux, b.LinuxARM64)
}

// Frontend installs npm dependencies when needed and builds the frontend into dist/ (webpack also
// copies plugin.json, the docs and the dashboards there).
func Frontend() error {
	mg.Deps(NpmInstall)
	return run("npm", "run", "build")
}

// Dist builds the complete plugin into dist/ and checks that every file Grafana needs is there.
// The frontend goes first: webpack cleans dist/ (it keeps backend executables, but the order
// makes sure nothing the backend build writes is lost).
func Dist() error {
	mg.SerialDeps(Frontend, BuildLinux)
	return checkDist()
}

// CI is the project's test command: check formatting, vet, test and briefly fuzz the backend, type-check,
// lint and test the frontend, build and check the plugin package, then run the browser tests
// against a real Grafana (see E2E).
func CI() error {
	mg.SerialDeps(NpmInstall)
	if err := checkGofmt(); err != nil {
		return err
	}
	steps := [][]string{
		{"go", "vet", "./..."},
		// PostgreSQL tests start their own throw-away clusters (or use TEST_DATABASE_URL).
		{"go", "test", "-count=1", "./..."},
		// A short fixed fuzzing run of the query and settings parsers (the QueryData fuzzer needs a
		// PostgreSQL per worker and minutes of instrumented build: run it by hand, see docs/RELIABILITY.md).
		// A number of inputs, not a duration: a duration-bounded run can fail with "context deadline
		// exceeded" when its time runs out mid-input (seen once in three CI runs). Each count takes
		// about 15 s on the 2-core CI machine.
		{"go", "test", "./pkg/models", "-run", "^$", "-fuzz", "^FuzzParseQuery$", "-fuzztime=" + fuzzParseQueryInputs},
		{"go", "test", "./pkg/models", "-run", "^$", "-fuzz", "^FuzzLoadSettings$", "-fuzztime=" + fuzzLoadSettingsInputs},
		{"npm", "run", "typecheck"},
		{"npm", "run", "lint"},
		{"npm", "run", "test:ci"},
	}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return err
		}
	}
	mg.SerialDeps(Dist)
	return run("go", "run", "./cmd/devenv", "e2e")
}

// E2E builds the plugin and runs the browser tests (tests/, Playwright with Debian's Chromium)
// against a real Grafana with the plugin, the provisioning and the demo data: Docker Compose
// where a Docker engine runs, else ../shared/grafana; see cmd/devenv. Extra arguments go to
// `playwright test` through E2E_ARGS (e.g. E2E_ARGS="tests/dashboards.spec.ts").
func E2E() error {
	mg.SerialDeps(Dist)
	return run("go", append([]string{"run", "./cmd/devenv", "e2e"}, strings.Fields(os.Getenv("E2E_ARGS"))...)...)
}

// Demo runs Grafana with the plugin, the provisioned data source, dashboards and alert rule, and
// the demo data, until Ctrl-C: Docker Compose where a Docker engine runs, else ../shared/grafana
// with a private PostgreSQL cluster (see cmd/devenv).
func Demo() error {
	mg.SerialDeps(Dist)
	return run("go", "run", "./cmd/devenv", "demo")
}

// NpmInstall runs `npm ci` when node_modules is missing or older than package-lock.json.
func NpmInstall() error {
	lock, err := os.Stat("package-lock.json")
	if err != nil {
		return fmt.Errorf("package-lock.json is needed for a reproducible install: %w", err)
	}
	installed, err := os.Stat(filepath.Join("node_modules", ".package-lock.json"))
	if err == nil && !lock.ModTime().After(installed.ModTime()) {
		fmt.Println("node_modules is up to date with package-lock.json: skipping npm ci")
		return nil
	}
	return run("npm", "ci")
}

// Seed creates the schema and loads the demo data into the database at $DATABASE_URL.
func Seed() error {
	if os.Getenv("DATABASE_URL") == "" {
		return errors.New("set DATABASE_URL, e.g. DATABASE_URL=postgres://user:pass@localhost:5432/support?sslmode=disable")
	}
	return run("go", "run", "./cmd/seed", "-url", os.Getenv("DATABASE_URL"))
}

// Bench runs the benchmark (cmd/bench).
func Bench() error {
	files, _ := filepath.Glob(filepath.Join("cmd", "bench", "*.go"))
	if len(files) == 0 {
		return errors.New("cmd/bench has no Go files yet: there is no benchmark to run")
	}
	return run("go", "run", "./cmd/bench")
}

// checkGofmt fails when a Go file is not gofmt-formatted.
func checkGofmt() error {
	fmt.Println("+ gofmt -l Magefile.go cmd pkg")
	out, err := exec.Command("gofmt", "-l", "Magefile.go", "cmd", "pkg").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gofmt: %w: %s", err, out)
	}
	if files := strings.TrimSpace(string(out)); files != "" {
		return fmt.Errorf("these files need gofmt -w:\n%s", files)
	}
	return nil
}

// run prints the command, then runs it with live output. The database URL is printed as
// $DATABASE_URL so that its password never reaches a CI log.
func run(name string, args ...string) error {
	shown := strings.Join(append([]string{name}, args...), " ")
	if url := os.Getenv("DATABASE_URL"); url != "" {
		shown = strings.ReplaceAll(shown, url, "$DATABASE_URL")
	}
	fmt.Println("+ " + shown)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", shown, err)
	}
	return nil
}

// checkDist fails when dist/ lacks a file Grafana or the plugin catalog needs, including every
// shipped dashboard (the dashboard provider in provisioning/ loads them from there).
func checkDist() error {
	exe, err := pluginExecutable()
	if err != nil {
		return err
	}
	want := []string{"module.js", "plugin.json", "README.md", "CHANGELOG.md", "LICENSE",
		exe + "_linux_amd64", exe + "_linux_arm64"}
	if hasFiles(dashboardsDir) {
		dashboards, err := filesUnder(dashboardsDir)
		if err != nil {
			return err
		}
		want = append(want, dashboards...)
	}
	var missing []string
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(distDir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if maps, _ := filepath.Glob(filepath.Join(distDir, "*.map")); len(maps) == 0 {
		missing = append(missing, "*.map (source map)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s/ is incomplete, missing: %s", distDir, strings.Join(missing, ", "))
	}
	// Grafana shows the README on the plugin's page, where links to files of the repository
	// (docs/, provisioning/) lead nowhere: they must be absolute.
	readme, err := os.ReadFile(filepath.Join(distDir, "README.md"))
	if err != nil {
		return err
	}
	if rel := regexp.MustCompile(`\]\((?:[^)#h][^)]*|h[^t][^)]*)\)`).FindAllString(string(readme), -1); len(rel) > 0 {
		return fmt.Errorf("README.md has relative links, dead on Grafana's plugin page: %s", strings.Join(rel, ", "))
	}
	fmt.Printf("%s/ is complete (%d files checked)\n", distDir, len(want)+1)
	return nil
}

// pluginExecutable reads the backend executable's base name from the root plugin.json.
func pluginExecutable() (string, error) {
	raw, err := os.ReadFile("plugin.json")
	if err != nil {
		return "", err
	}
	var manifest struct {
		Executable string `json:"executable"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return "", fmt.Errorf("plugin.json: %w", err)
	}
	if manifest.Executable == "" {
		return "", errors.New("plugin.json has no executable")
	}
	return manifest.Executable, nil
}

// filesUnder lists the regular files under dir, as paths relative to the repository root.
func filesUnder(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	return files, err
}

func hasFiles(dir string) bool {
	files, err := filesUnder(dir)
	return err == nil && len(files) > 0
}
