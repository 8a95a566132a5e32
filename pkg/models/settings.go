package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Grafana images do not always ship a zoneinfo database.

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// ErrSettings marks every error found in a data source's settings.
var ErrSettings = errors.New("settings")

// StoreSettings is the connection of one store (SPEC 2).
type StoreSettings struct {
	Host     string // host name, IP address, or a unix-socket directory
	Port     uint16
	Database string
	User     string
	Password string
	Schema   string
	SSLMode  string
	// PEM content from secureJsonData (never file paths: the plugin does not read files).
	TLSCACert     string
	TLSClientCert string
	TLSClientKey  string
}

// Settings are one data source instance's settings (SPEC 3).
type Settings struct {
	Helpdesk, Orders StoreSettings
	// OrdersUsesHelpdesk: ordersHost is empty, so the order store reuses the helpdesk connection
	// (its schema is still its own).
	OrdersUsesHelpdesk bool
	MaxOpenConns       int
	QueryTimeout       time.Duration
	MaxRangeDays       int
	AttributionWindow  time.Duration
	AttributionModel   string // AttributionLastTouch | AttributionFirstTouch | AttributionLinear
	AttributionAnchor  string // AnchorCreated | AnchorClosed
	ExcludedStatuses   []string
	Currency           string
	Timezone           string
	Location           *time.Location
	WeekStart          time.Weekday
	VIPMinSpent        int64 // in 1/10000 currency units (MoneyScale)
	VIPMinOrders       int
	VIPTags            []string
	CSATCredit         string // CSATCreditClosingAgent | CSATCreditParticipants
	SLATargets         map[string]time.Duration
	SLAClock           string         // SLAClockCalendar | SLAClockBusiness
	BusinessHours      *BusinessHours // nil: every hour counts
}

// Accepted values of the enumerated settings.
const (
	AttributionLastTouch   = "last_touch"
	AttributionFirstTouch  = "first_touch"
	AttributionLinear      = "linear"
	AnchorCreated          = "created"
	AnchorClosed           = "closed"
	CSATCreditClosingAgent = "closing_agent"
	CSATCreditParticipants = "participants"

	SSLDisable    = "disable"
	SSLRequire    = "require"
	SSLVerifyCA   = "verify-ca"
	SSLVerifyFull = "verify-full"

	// MoneyScale is the number of money units per currency unit in the engine (10^4).
	MoneyScale = 10_000
	// DefaultSchema is the schema of a store whose schema setting is empty.
	DefaultSchema = "public"
	defaultPort   = 5432
)

func defaultSLATargets() map[string]time.Duration {
	return map[string]time.Duration{
		"critical": time.Hour,
		"high":     4 * time.Hour,
		"normal":   24 * time.Hour,
		"low":      48 * time.Hour,
	}
}

// jsonSettings mirrors jsonData. newJSONSettings fills in the defaults before json.Unmarshal.
type jsonSettings struct {
	HelpdeskHost     string `json:"helpdeskHost"`
	HelpdeskDatabase string `json:"helpdeskDatabase"`
	HelpdeskUser     string `json:"helpdeskUser"`
	HelpdeskSchema   string `json:"helpdeskSchema"`
	HelpdeskSSLMode  string `json:"helpdeskSslMode"`
	OrdersHost       string `json:"ordersHost"`
	OrdersDatabase   string `json:"ordersDatabase"`
	OrdersUser       string `json:"ordersUser"`
	OrdersSchema     string `json:"ordersSchema"`
	OrdersSSLMode    string `json:"ordersSslMode"`

	MaxOpenConns           number            `json:"maxOpenConns"`
	QueryTimeoutSeconds    number            `json:"queryTimeoutSeconds"`
	MaxRangeDays           number            `json:"maxRangeDays"`
	AttributionWindowHours number            `json:"attributionWindowHours"`
	AttributionModel       string            `json:"attributionModel"`
	AttributionAnchor      string            `json:"attributionAnchor"`
	ExcludedStatuses       list              `json:"excludedStatuses"`
	Currency               string            `json:"currency"`
	Timezone               string            `json:"timezone"`
	WeekStart              string            `json:"weekStart"`
	VIPMinSpent            number            `json:"vipMinSpent"`
	VIPMinOrders           number            `json:"vipMinOrders"`
	VIPTags                list              `json:"vipTags"`
	CSATCredit             string            `json:"csatCredit"`
	SLATargets             map[string]number `json:"slaTargets"`
	SLAClock               string            `json:"slaClock"`
	BusinessHours          json.RawMessage   `json:"businessHours"`
}

func newJSONSettings() jsonSettings {
	return jsonSettings{
		HelpdeskSchema:         DefaultSchema,
		HelpdeskSSLMode:        SSLRequire,
		OrdersSchema:           DefaultSchema,
		MaxOpenConns:           "10",
		QueryTimeoutSeconds:    "30",
		MaxRangeDays:           "732",
		AttributionWindowHours: "72",
		AttributionModel:       AttributionLastTouch,
		AttributionAnchor:      AnchorCreated,
		ExcludedStatuses:       list{"cancelled", "refunded", "voided"},
		Currency:               "USD",
		Timezone:               "UTC",
		WeekStart:              "monday",
		VIPMinSpent:            "500",
		VIPMinOrders:           "5",
		VIPTags:                list{"vip"},
		CSATCredit:             CSATCreditClosingAgent,
		SLATargets:             map[string]number{},
	}
}

// LoadSettings parses, defaults and validates an instance's settings. Every error wraps ErrSettings
// and is a downstream error: the user fixes it in the data source's configuration.
func LoadSettings(s backend.DataSourceInstanceSettings) (Settings, error) {
	raw := newJSONSettings()
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &raw); err != nil {
			return Settings{}, jsonError(err)
		}
	}
	out, err := raw.settings(s.DecryptedSecureJSONData)
	if err != nil {
		return Settings{}, err
	}
	return out, nil
}

// jsonError names the offending key instead of Go types.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field == "" {
		return settingsError("jsonData is not valid JSON: %v", err)
	}
	want := map[reflect.Kind]string{reflect.String: "text", reflect.Slice: "a list of text values", reflect.Map: "an object of numbers"}[typeErr.Type.Kind()]
	return settingsError("%s must be %s, got %s", typeErr.Field, want, typeErr.Value)
}

func settingsError(format string, args ...any) error {
	return backend.DownstreamError(fmt.Errorf("%w: %s", ErrSettings, fmt.Sprintf(format, args...)))
}

func (raw jsonSettings) settings(secure map[string]string) (Settings, error) {
	var out Settings
	var err error
	if out.Helpdesk, err = raw.helpdesk(secure); err != nil {
		return out, err
	}
	if out.Orders, out.OrdersUsesHelpdesk, err = raw.orders(secure, out.Helpdesk); err != nil {
		return out, err
	}
	steps := []func(*Settings) error{raw.limits, raw.attribution, raw.calendar, raw.money, raw.vip, raw.csat, raw.sla, raw.businessHours}
	for _, step := range steps {
		if err := step(&out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (raw jsonSettings) helpdesk(secure map[string]string) (StoreSettings, error) {
	if strings.TrimSpace(raw.HelpdeskHost) == "" {
		return StoreSettings{}, settingsError("helpdeskHost is required")
	}
	return storeSettings("helpdesk", connFields{
		host: raw.HelpdeskHost, database: raw.HelpdeskDatabase, user: raw.HelpdeskUser,
		schema: raw.HelpdeskSchema, sslMode: raw.HelpdeskSSLMode,
	}, secure)
}

func (raw jsonSettings) orders(secure map[string]string, helpdesk StoreSettings) (StoreSettings, bool, error) {
	schema, err := schemaName("ordersSchema", raw.OrdersSchema)
	if err != nil {
		return StoreSettings{}, false, err
	}
	if strings.TrimSpace(raw.OrdersHost) != "" {
		sslMode := raw.OrdersSSLMode
		if strings.TrimSpace(sslMode) == "" {
			sslMode = SSLRequire
		}
		st, err := storeSettings("orders", connFields{
			host: raw.OrdersHost, database: raw.OrdersDatabase, user: raw.OrdersUser,
			schema: raw.OrdersSchema, sslMode: sslMode,
		}, secure)
		return st, false, err
	}
	// A database or user of its own without a host would be silently ignored: say so instead.
	for _, f := range []struct{ key, value, helpdesk string }{
		{"ordersDatabase", raw.OrdersDatabase, helpdesk.Database},
		{"ordersUser", raw.OrdersUser, helpdesk.User},
	} {
		if v := strings.TrimSpace(f.value); v != "" && v != f.helpdesk {
			return StoreSettings{}, false, settingsError("%s is set but ordersHost is empty: set ordersHost too (it may be the helpdesk host)", f.key)
		}
	}
	st := helpdesk
	st.Schema = schema
	return st, true, nil
}

type connFields struct{ host, database, user, schema, sslMode string }

// storeSettings validates one store's connection; prefix is "helpdesk" or "orders", as in the keys.
func storeSettings(prefix string, f connFields, secure map[string]string) (StoreSettings, error) {
	var st StoreSettings
	var err error
	if st.Host, st.Port, err = parseHost(prefix+"Host", f.host); err != nil {
		return st, err
	}
	st.User = strings.TrimSpace(f.user)
	if st.User == "" {
		return st, settingsError("%sUser is required", prefix)
	}
	// PostgreSQL's own default database is the user's name; spelled out so no client default applies.
	st.Database = strings.TrimSpace(f.database)
	if st.Database == "" {
		st.Database = st.User
	}
	if st.Schema, err = schemaName(prefix+"Schema", f.schema); err != nil {
		return st, err
	}
	if st.SSLMode, err = oneOf(prefix+"SslMode", f.sslMode, SSLDisable, SSLRequire, SSLVerifyCA, SSLVerifyFull); err != nil {
		return st, err
	}
	st.Password = secure[prefix+"Password"]
	st.TLSCACert = secure[prefix+"TlsCACert"]
	st.TLSClientCert = secure[prefix+"TlsClientCert"]
	st.TLSClientKey = secure[prefix+"TlsClientKey"]
	if (st.TLSClientCert == "") != (st.TLSClientKey == "") {
		return st, settingsError("%s TLS client certificate and key must be given together", prefix)
	}
	return st, nil
}

var badHostChars = regexp.MustCompile(`[\s,'"\\=]`)

// parseHost accepts "host", "host:port", "[v6]:port", a bare IPv6 address, or a unix-socket
// directory ("/var/run/postgresql", optionally "/dir:5433").
func parseHost(key, value string) (string, uint16, error) {
	v := strings.TrimSpace(value)
	shown := hostForMessages(v)
	switch {
	case v == "":
		return "", 0, settingsError("%s is required", key)
	case strings.Contains(v, "://"):
		return "", 0, settingsError("%s %q must be a host name or host:port, not a URL", key, shown)
	case badHostChars.MatchString(v):
		return "", 0, settingsError("%s %q is not a host name, host:port or socket directory", key, shown)
	}
	host, port := v, ""
	switch {
	case strings.HasPrefix(v, "/"):
		if i := strings.LastIndex(v, ":"); i > strings.LastIndex(v, "/") {
			host, port = v[:i], v[i+1:]
		}
	case strings.HasPrefix(v, "[") || strings.Count(v, ":") == 1:
		h, p, err := net.SplitHostPort(v)
		if err != nil {
			if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
				return "", 0, settingsError("%s %q is not a host name or host:port", key, shown)
			}
			h = strings.Trim(v, "[]")
		}
		host, port = h, p
	}
	if host == "" {
		return "", 0, settingsError("%s %q has no host name", key, shown)
	}
	if port == "" {
		return host, defaultPort, nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", 0, settingsError("%s %q has an invalid port: use a number from 1 to 65535", key, shown)
	}
	return host, uint16(n), nil
}

// hostForMessages is a host setting as errors may repeat it (they reach logs and every viewer of a
// panel): a password pasted into the host field, in a URL, user:password@host or a key=value
// connection string, is left out.
func hostForMessages(v string) string {
	if strings.Contains(v, "=") {
		return "(a key=value connection string)"
	}
	if i := strings.LastIndex(v, "@"); i >= 0 {
		return "…@" + v[i+1:]
	}
	return v
}

// Quoting makes any name safe in SQL; the restriction keeps names typeable and free of surprises.
var schemaPattern = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_$-]*$`)

func schemaName(key, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return DefaultSchema, nil
	}
	if !schemaPattern.MatchString(v) || len(v) > 63 {
		return "", settingsError("%s %q is not a valid schema name: use letters, digits, _ and - (at most 63 bytes)", key, v)
	}
	return v, nil
}

func oneOf(key, value string, allowed ...string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", settingsError("%s %q is not supported: use %s", key, value, orList(allowed))
}

func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// intRule bounds a whole-number setting. Values of 0 or below fall back to the default when clamp
// is set: 0 would break a pool or a timeout, and old configurations store 0 for "unset".
type intRule struct {
	key        string
	def, max   int
	clampBelow bool
}

func (r intRule) parse(n number) (int, error) {
	if n == "" {
		return r.def, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, settingsError("%s %q is not a whole number", r.key, string(n))
	}
	switch {
	case f <= 0 && r.clampBelow:
		return r.def, nil
	case f <= 0:
		return 0, settingsError("%s must be greater than 0, got %s", r.key, string(n))
	case f > float64(r.max):
		return 0, settingsError("%s %s is too large: at most %d", r.key, string(n), r.max)
	}
	return int(f), nil
}

var (
	ruleMaxOpenConns      = intRule{key: "maxOpenConns", def: 10, max: 1000, clampBelow: true}
	ruleQueryTimeout      = intRule{key: "queryTimeoutSeconds", def: 30, max: 24 * 3600, clampBelow: true}
	ruleMaxRangeDays      = intRule{key: "maxRangeDays", def: 732, max: 36600, clampBelow: true}
	ruleAttributionWindow = intRule{key: "attributionWindowHours", def: 72, max: 24 * 366, clampBelow: true}
	ruleVIPMinOrders      = intRule{key: "vipMinOrders", def: 5, max: 1_000_000}
)

func (raw jsonSettings) limits(out *Settings) error {
	var err error
	var seconds int
	if out.MaxOpenConns, err = ruleMaxOpenConns.parse(raw.MaxOpenConns); err != nil {
		return err
	}
	if seconds, err = ruleQueryTimeout.parse(raw.QueryTimeoutSeconds); err != nil {
		return err
	}
	out.QueryTimeout = time.Duration(seconds) * time.Second
	out.MaxRangeDays, err = ruleMaxRangeDays.parse(raw.MaxRangeDays)
	return err
}

func (raw jsonSettings) attribution(out *Settings) error {
	hours, err := ruleAttributionWindow.parse(raw.AttributionWindowHours)
	if err != nil {
		return err
	}
	out.AttributionWindow = time.Duration(hours) * time.Hour
	out.AttributionModel, err = oneOf("attributionModel", defaultIfBlank(raw.AttributionModel, AttributionLastTouch),
		AttributionLastTouch, AttributionFirstTouch, AttributionLinear)
	if err != nil {
		return err
	}
	out.AttributionAnchor, err = oneOf("attributionAnchor", defaultIfBlank(raw.AttributionAnchor, AnchorCreated),
		AnchorCreated, AnchorClosed)
	return err
}

func (raw jsonSettings) calendar(out *Settings) error {
	tz := defaultIfBlank(raw.Timezone, "UTC")
	loc, err := time.LoadLocation(tz)
	// "Local" would be the Grafana server's zone, which is not what a dashboard means.
	if err != nil || tz == "Local" {
		return settingsError("timezone %q is not a known IANA time zone (e.g. Europe/Paris, UTC)", tz)
	}
	out.Timezone, out.Location = tz, loc
	week, err := oneOf("weekStart", defaultIfBlank(raw.WeekStart, "monday"), "monday", "sunday")
	if err != nil {
		return err
	}
	out.WeekStart = time.Monday
	if week == "sunday" {
		out.WeekStart = time.Sunday
	}
	return nil
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

func (raw jsonSettings) money(out *Settings) error {
	c := strings.ToUpper(defaultIfBlank(raw.Currency, "USD"))
	if !currencyPattern.MatchString(c) {
		return settingsError("currency %q is not an ISO 4217 code: use 3 letters such as USD or EUR", raw.Currency)
	}
	out.Currency = c
	out.ExcludedStatuses = raw.ExcludedStatuses.clean()
	return noNUL("excludedStatuses", out.ExcludedStatuses)
}

func (raw jsonSettings) vip(out *Settings) error {
	spent, err := parseAmount("vipMinSpent", defaultIfBlank(string(raw.VIPMinSpent), "500"))
	if err != nil {
		return err
	}
	out.VIPMinSpent = spent
	if out.VIPMinOrders, err = ruleVIPMinOrders.parse(raw.VIPMinOrders); err != nil {
		return err
	}
	out.VIPTags = raw.VIPTags.clean()
	return noNUL("vipTags", out.VIPTags)
}

// noNUL refuses a list value PostgreSQL cannot take as a parameter (text holds no NUL byte): it
// would fail every query with an encoding error instead of this one message.
func noNUL(key string, values []string) error {
	for _, v := range values {
		if strings.ContainsRune(v, 0) {
			return settingsError("%s has a value with a NUL character (\\u0000): remove it", key)
		}
	}
	return nil
}

// parseAmount reads a decimal currency amount exactly into MoneyScale units.
func parseAmount(key, s string) (int64, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, settingsError("%s %q is not a number", key, s)
	}
	if r.Sign() <= 0 {
		return 0, settingsError("%s must be greater than 0, got %s", key, s)
	}
	r.Mul(r, big.NewRat(MoneyScale, 1))
	if !r.IsInt() {
		return 0, settingsError("%s %q has more than 4 decimals", key, s)
	}
	if !r.Num().IsInt64() || r.Num().Int64() > math.MaxInt64/2 {
		return 0, settingsError("%s %s is too large", key, s)
	}
	return r.Num().Int64(), nil
}

func (raw jsonSettings) csat(out *Settings) error {
	var err error
	out.CSATCredit, err = oneOf("csatCredit", defaultIfBlank(raw.CSATCredit, CSATCreditClosingAgent),
		CSATCreditClosingAgent, CSATCreditParticipants)
	return err
}

func (raw jsonSettings) sla(out *Settings) error {
	out.SLATargets = defaultSLATargets()
	for priority, n := range raw.SLATargets {
		key := strings.ToLower(strings.TrimSpace(priority))
		if n == "" || key == "" {
			continue
		}
		rule := intRule{key: "slaTargets." + key, max: 366 * 24 * 3600}
		seconds, err := rule.parse(n)
		if err != nil {
			return err
		}
		out.SLATargets[key] = time.Duration(seconds) * time.Second
	}
	return nil
}

func defaultIfBlank(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

// number holds a numeric setting's literal text ("" when unset). Grafana config editors sometimes
// store numbers as strings, so both "30" and 30 are accepted.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		return nil
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*n = number(strings.TrimSpace(str))
	default:
		// Anything else is kept as text and rejected with the key's name when parsed.
		*n = number(s)
	}
	return nil
}

// list is a list of strings, also accepted as one comma-separated string.
type list []string

func (l *list) UnmarshalJSON(b []byte) error {
	if strings.TrimSpace(string(b)) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = strings.Split(s, ",")
		return nil
	}
	var items []string
	if err := json.Unmarshal(b, &items); err != nil {
		return &json.UnmarshalTypeError{Value: "something else", Type: reflect.TypeOf(items)}
	}
	*l = items
	return nil
}

func (l list) clean() []string {
	out := []string{}
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
