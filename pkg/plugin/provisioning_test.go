package plugin_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

// The provisioning files, docker-compose.yaml, the Dockerfile and plugin.json are at the
// repository root.
const (
	repoRoot           = "../.."
	dataSourceUID      = "support-analytics"
	grafanaPluginsPath = "/var/lib/grafana/plugins/"
)

// settingsKeys are the jsonData keys of SPEC section 3. The plugin ignores any other key, so
// a misspelt one in a provisioning file would silently fall back to the default.
var settingsKeys = []string{
	"helpdeskHost", "helpdeskDatabase", "helpdeskUser", "helpdeskSchema", "helpdeskSslMode",
	"ordersHost", "ordersDatabase", "ordersUser", "ordersSchema", "ordersSslMode",
	"maxOpenConns", "queryTimeoutSeconds", "maxRangeDays",
	"attributionWindowHours", "attributionModel", "attributionAnchor", "excludedStatuses",
	"currency", "timezone", "weekStart",
	"vipMinSpent", "vipMinOrders", "vipTags", "csatCredit", "slaTargets",
	"slaClock", "businessHours",
}

// secureKeys are SPEC section 3's passwords plus the TLS material (PEM content) the settings
// accept for each store.
var secureKeys = []string{
	"helpdeskPassword", "ordersPassword",
	"helpdeskTlsCACert", "helpdeskTlsClientCert", "helpdeskTlsClientKey",
	"ordersTlsCACert", "ordersTlsClientCert", "ordersTlsClientKey",
}

// envReference is a value Grafana replaces with an environment variable when it provisions.
var envReference = regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

// composeDefault is docker compose's "${NAME:-default}" interpolation.
var composeDefault = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}`)

// dataSourcesFile is Grafana's data source provisioning format. Decoding it with known fields
// only turns a misspelt field into a test failure.
type dataSourcesFile struct {
	APIVersion        int              `yaml:"apiVersion"`
	DeleteDatasources []map[string]any `yaml:"deleteDatasources"`
	Prune             bool             `yaml:"prune"`
	Datasources       []struct {
		OrgID           int               `yaml:"orgId"`
		Name            string            `yaml:"name"`
		Type            string            `yaml:"type"`
		UID             string            `yaml:"uid"`
		Access          string            `yaml:"access"`
		URL             string            `yaml:"url"`
		User            string            `yaml:"user"`
		Database        string            `yaml:"database"`
		BasicAuth       bool              `yaml:"basicAuth"`
		BasicAuthUser   string            `yaml:"basicAuthUser"`
		WithCredentials bool              `yaml:"withCredentials"`
		IsDefault       bool              `yaml:"isDefault"`
		Version         int               `yaml:"version"`
		Editable        bool              `yaml:"editable"`
		JSONData        map[string]any    `yaml:"jsonData"`
		SecureJSONData  map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

// dashboardsFile is Grafana's dashboard provider provisioning format.
type dashboardsFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		OrgID                 int    `yaml:"orgId"`
		Folder                string `yaml:"folder"`
		FolderUID             string `yaml:"folderUid"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// composeFile is the part of docker-compose.yaml the provisioning depends on.
type composeFile struct {
	Services map[string]struct {
		Environment map[string]string `yaml:"environment"`
	} `yaml:"services"`
}

func TestProvisioningFilesParse(t *testing.T) {
	files := provisioningFiles(t, "")
	require.NotEmpty(t, files)
	for _, path := range files {
		var doc yaml.Node
		assert.NoError(t, yaml.Unmarshal(readFile(t, path), &doc), path)
	}
}

func TestProvisionedDataSources(t *testing.T) {
	pluginID := pluginJSON(t).ID
	env := grafanaEnvironment(t)
	var found bool
	for _, path := range provisioningFiles(t, "datasources") {
		var file dataSourcesFile
		decodeStrict(t, path, &file)
		assert.Equal(t, 1, file.APIVersion, path)
		for _, ds := range file.Datasources {
			if ds.Type != pluginID {
				continue
			}
			found = found || ds.UID == dataSourceUID
			t.Run(ds.Name, func(t *testing.T) {
				for key := range ds.JSONData {
					assert.Contains(t, settingsKeys, key, "%s: jsonData key %q is not a setting", path, key)
				}
				for key, value := range ds.SecureJSONData {
					assert.Contains(t, secureKeys, key, "%s: secureJsonData key %q is not a secure setting", path, key)
					assert.Regexp(t, envReference, value, "%s: %s must come from an environment variable", path, key)
				}
				settings := loadSettings(t, ds.JSONData, ds.SecureJSONData, env)
				assert.Equal(t, env["POSTGRES_PASSWORD"], settings.Helpdesk.Password)
			})
		}
	}
	assert.True(t, found, "no provisioned data source of type %s with uid %s", pluginID, dataSourceUID)
}

func TestProvisionedDashboards(t *testing.T) {
	pluginDir := grafanaPluginsPath + pluginJSON(t).ID
	dockerfile := strings.Split(string(readFile(t, filepath.Join(repoRoot, "Dockerfile"))), "\n")
	assert.Contains(t, dockerfile, "ARG PLUGIN_DIR="+pluginDir, "the Dockerfile installs the plugin elsewhere")
	var providers int
	for _, path := range provisioningFiles(t, "dashboards") {
		var file dashboardsFile
		decodeStrict(t, path, &file)
		assert.Equal(t, 1, file.APIVersion, path)
		for _, p := range file.Providers {
			providers++
			assert.Equal(t, "file", p.Type, path)
			assert.Equal(t, "Support Analytics", p.Folder, path)
			// The path is a folder of the installed plugin, under Grafana's plugins directory as
			// the environment gives it (Grafana's images set GF_PATHS_PLUGINS; the e2e Grafana and
			// other installs set it to theirs), that the build fills from the same folder of the
			// repository (`mage ci` checks that dist/ has each of its files).
			assert.True(t, strings.HasPrefix(p.Options.Path, "${GF_PATHS_PLUGINS}/"), "%s: %s does not follow GF_PATHS_PLUGINS", path, p.Options.Path)
			for _, env := range []map[string]string{
				{"GF_PATHS_PLUGINS": strings.TrimSuffix(grafanaPluginsPath, "/")}, // Docker
				{"GF_PATHS_PLUGINS": "/tmp/grafana-e2e-3000/plugins"},             // ../shared/grafana/start
			} {
				expanded := os.Expand(p.Options.Path, func(name string) string {
					v, ok := env[name]
					assert.True(t, ok, "%s: %s uses $%s", path, p.Options.Path, name)
					return v
				})
				assert.True(t, strings.HasPrefix(expanded, env["GF_PATHS_PLUGINS"]+"/"+pluginJSON(t).ID+"/"), "%s: %s", path, expanded)
			}
			docker := strings.ReplaceAll(p.Options.Path, "${GF_PATHS_PLUGINS}", strings.TrimSuffix(grafanaPluginsPath, "/"))
			rel, inPlugin := strings.CutPrefix(docker, pluginDir+"/")
			require.True(t, inPlugin, "%s: %s is not inside %s", path, docker, pluginDir)
			dashboards, err := filepath.Glob(filepath.Join(repoRoot, rel, "*.json"))
			require.NoError(t, err)
			assert.NotEmpty(t, dashboards, "%s: no dashboards in %s/ of the repository", path, rel)
		}
	}
	assert.Positive(t, providers, "no dashboard provider")
}

// loadSettings runs the provisioned settings, with Grafana's environment interpolation, through
// the plugin's own settings parser.
func loadSettings(t *testing.T, jsonData map[string]any, secure, env map[string]string) models.Settings {
	t.Helper()
	expand := func(s string) string {
		return os.Expand(s, func(name string) string {
			value, ok := env[name]
			assert.True(t, ok, "the grafana service in docker-compose.yaml does not set %s", name)
			return value
		})
	}
	raw, err := json.Marshal(jsonData)
	require.NoError(t, err)
	decrypted := make(map[string]string, len(secure))
	for key, value := range secure {
		decrypted[key] = expand(value)
	}
	settings, err := models.LoadSettings(backend.DataSourceInstanceSettings{
		JSONData:                []byte(expand(string(raw))),
		DecryptedSecureJSONData: decrypted,
	})
	require.NoError(t, err)
	return settings
}

// grafanaEnvironment is the grafana service's environment in docker-compose.yaml, each
// "${NAME:-default}" taken at its default.
func grafanaEnvironment(t *testing.T) map[string]string {
	t.Helper()
	var compose composeFile
	require.NoError(t, yaml.Unmarshal(readFile(t, filepath.Join(repoRoot, "docker-compose.yaml")), &compose))
	grafana, ok := compose.Services["grafana"]
	require.True(t, ok, "docker-compose.yaml has no grafana service")
	env := make(map[string]string, len(grafana.Environment))
	for name, value := range grafana.Environment {
		env[name] = composeDefault.ReplaceAllString(value, "$1")
	}
	return env
}

func pluginJSON(t *testing.T) (manifest struct{ ID string }) {
	t.Helper()
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(repoRoot, "plugin.json")), &manifest))
	require.NotEmpty(t, manifest.ID)
	return manifest
}

// provisioningFiles lists the YAML files under provisioning/<sub>.
func provisioningFiles(t *testing.T, sub string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(repoRoot, "provisioning", sub), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && slices.Contains([]string{".yaml", ".yml"}, filepath.Ext(path)) {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	return files
}

func decodeStrict(t *testing.T, path string, out any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(out), path)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

// The README gives the same read-only role as docs/RELIABILITY.md, whose text the fault tests run.
func TestReadmeGivesTheTestedReadOnlyRole(t *testing.T) {
	readme := string(readFile(t, filepath.Join(repoRoot, "README.md")))
	m := regexp.MustCompile("(?s)## Security notes\n.*?```sql\n(.*?)```").FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md has a Security notes section with a sql block")
	assert.Equal(t, readOnlyRoleSQL(t), m[1])
}
