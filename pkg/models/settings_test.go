package models

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func instance(t *testing.T, jsonData map[string]any, secure map[string]string) backend.DataSourceInstanceSettings {
	t.Helper()
	raw, err := json.Marshal(jsonData)
	require.NoError(t, err)
	return backend.DataSourceInstanceSettings{JSONData: raw, DecryptedSecureJSONData: secure}
}

// minimal returns the smallest valid jsonData plus extra keys.
func minimal(extra map[string]any) map[string]any {
	m := map[string]any{"helpdeskHost": "db.internal", "helpdeskUser": "grafana", "helpdeskDatabase": "support"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadSettingsDefaults(t *testing.T) {
	s, err := LoadSettings(instance(t, minimal(nil), map[string]string{"helpdeskPassword": "pw"}))
	require.NoError(t, err)

	helpdesk := StoreSettings{Host: "db.internal", Port: 5432, Database: "support", User: "grafana", Password: "pw", Schema: "public", SSLMode: "require"}
	assert.Equal(t, helpdesk, s.Helpdesk)
	assert.Equal(t, helpdesk, s.Orders)
	assert.True(t, s.OrdersUsesHelpdesk)
	assert.Equal(t, 10, s.MaxOpenConns)
	assert.Equal(t, 30*time.Second, s.QueryTimeout)
	assert.Equal(t, 732, s.MaxRangeDays)
	assert.Equal(t, 72*time.Hour, s.AttributionWindow)
	assert.Equal(t, "last_touch", s.AttributionModel)
	assert.Equal(t, []string{"cancelled", "refunded", "voided"}, s.ExcludedStatuses)
	assert.Equal(t, "USD", s.Currency)
	assert.Equal(t, "UTC", s.Timezone)
	assert.Equal(t, time.UTC.String(), s.Location.String())
	assert.Equal(t, time.Monday, s.WeekStart)
	assert.Equal(t, int64(5_000_000), s.VIPMinSpent)
	assert.Equal(t, 5, s.VIPMinOrders)
	assert.Equal(t, []string{"vip"}, s.VIPTags)
	assert.Equal(t, "closing_agent", s.CSATCredit)
	assert.Equal(t, map[string]time.Duration{
		"critical": time.Hour, "high": 4 * time.Hour, "normal": 24 * time.Hour, "low": 48 * time.Hour,
	}, s.SLATargets)
}

func TestLoadSettingsValues(t *testing.T) {
	tests := []struct {
		name   string
		extra  map[string]any
		secure map[string]string
		check  func(t *testing.T, s Settings)
	}{
		{"host with port", map[string]any{"helpdeskHost": "10.0.0.5:6432"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "10.0.0.5", s.Helpdesk.Host)
			assert.Equal(t, uint16(6432), s.Helpdesk.Port)
		}},
		{"unix socket directory", map[string]any{"helpdeskHost": "/var/run/postgresql"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "/var/run/postgresql", s.Helpdesk.Host)
			assert.Equal(t, uint16(5432), s.Helpdesk.Port)
		}},
		{"unix socket directory with port", map[string]any{"helpdeskHost": "/tmp/pg:5433"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "/tmp/pg", s.Helpdesk.Host)
			assert.Equal(t, uint16(5433), s.Helpdesk.Port)
		}},
		{"bracketed IPv6 with port", map[string]any{"helpdeskHost": "[::1]:5433"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "::1", s.Helpdesk.Host)
			assert.Equal(t, uint16(5433), s.Helpdesk.Port)
		}},
		{"bare IPv6", map[string]any{"helpdeskHost": "fe80::1"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "fe80::1", s.Helpdesk.Host)
			assert.Equal(t, uint16(5432), s.Helpdesk.Port)
		}},
		{"database defaults to the user", map[string]any{"helpdeskDatabase": ""}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "grafana", s.Helpdesk.Database)
		}},
		{"numbers as strings", map[string]any{"maxOpenConns": "4", "queryTimeoutSeconds": "12", "maxRangeDays": " 90 ", "attributionWindowHours": "24.0", "vipMinOrders": "3"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, 4, s.MaxOpenConns)
			assert.Equal(t, 12*time.Second, s.QueryTimeout)
			assert.Equal(t, 90, s.MaxRangeDays)
			assert.Equal(t, 24*time.Hour, s.AttributionWindow)
			assert.Equal(t, 3, s.VIPMinOrders)
		}},
		{"zero and negative clamp to defaults", map[string]any{"maxOpenConns": 0, "queryTimeoutSeconds": -5, "maxRangeDays": "0", "attributionWindowHours": -1}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, 10, s.MaxOpenConns)
			assert.Equal(t, 30*time.Second, s.QueryTimeout)
			assert.Equal(t, 732, s.MaxRangeDays)
			assert.Equal(t, 72*time.Hour, s.AttributionWindow)
		}},
		{"empty strings and nulls keep defaults", map[string]any{"maxOpenConns": "", "timezone": "", "currency": nil, "excludedStatuses": nil, "slaTargets": nil}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, 10, s.MaxOpenConns)
			assert.Equal(t, "UTC", s.Timezone)
			assert.Equal(t, "USD", s.Currency)
			assert.Equal(t, []string{"cancelled", "refunded", "voided"}, s.ExcludedStatuses)
			assert.Equal(t, time.Hour, s.SLATargets["critical"])
		}},
		{"enumerations", map[string]any{"attributionModel": "first_touch", "csatCredit": "participants", "weekStart": "Sunday", "helpdeskSslMode": "verify-full"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "first_touch", s.AttributionModel)
			assert.Equal(t, "created", s.AttributionAnchor)
			assert.Equal(t, "participants", s.CSATCredit)
			assert.Equal(t, time.Sunday, s.WeekStart)
			assert.Equal(t, "verify-full", s.Helpdesk.SSLMode)
			assert.Equal(t, "verify-full", s.Orders.SSLMode)
		}},
		{"linear model, closed anchor", map[string]any{"attributionModel": "linear", "attributionAnchor": "closed"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "linear", s.AttributionModel)
			assert.Equal(t, "closed", s.AttributionAnchor)
		}},
		{"timezone and currency", map[string]any{"timezone": "Europe/Paris", "currency": "eur"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "Europe/Paris", s.Location.String())
			assert.Equal(t, "EUR", s.Currency)
		}},
		{"vip rule", map[string]any{"vipMinSpent": "499.99", "vipTags": []string{"vip", " gold "}, "excludedStatuses": []string{}}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, int64(4_999_900), s.VIPMinSpent)
			assert.Equal(t, []string{"vip", "gold"}, s.VIPTags)
			assert.Equal(t, []string{}, s.ExcludedStatuses)
		}},
		{"lists as comma-separated text", map[string]any{"excludedStatuses": "cancelled, failed,", "vipMinSpent": 1000}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, []string{"cancelled", "failed"}, s.ExcludedStatuses)
			assert.Equal(t, int64(10_000_000), s.VIPMinSpent)
		}},
		{"sla targets: missing keys keep defaults", map[string]any{"slaTargets": map[string]any{"high": 7200, "normal": "3600", "urgent": 60}}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, map[string]time.Duration{
				"critical": time.Hour, "high": 2 * time.Hour, "normal": time.Hour, "low": 48 * time.Hour, "urgent": time.Minute,
			}, s.SLATargets)
		}},
		{"separate order store", map[string]any{"ordersHost": "shop-db:5433", "ordersDatabase": "shop", "ordersUser": "reader", "ordersSchema": "Shop-EU", "ordersSslMode": "disable"},
			map[string]string{"helpdeskPassword": "hp", "ordersPassword": "op", "ordersTlsCACert": "CA", "ordersTlsClientCert": "CERT", "ordersTlsClientKey": "KEY"},
			func(t *testing.T, s Settings) {
				assert.False(t, s.OrdersUsesHelpdesk)
				assert.Equal(t, StoreSettings{Host: "shop-db", Port: 5433, Database: "shop", User: "reader", Password: "op", Schema: "Shop-EU", SSLMode: "disable",
					TLSCACert: "CA", TLSClientCert: "CERT", TLSClientKey: "KEY"}, s.Orders)
				assert.Equal(t, "hp", s.Helpdesk.Password)
			}},
		{"order store sslmode defaults to require", map[string]any{"ordersHost": "shop", "ordersUser": "reader", "helpdeskSslMode": "disable"}, nil, func(t *testing.T, s Settings) {
			assert.Equal(t, "require", s.Orders.SSLMode)
			assert.Equal(t, "disable", s.Helpdesk.SSLMode)
		}},
		{"shared connection keeps its own schema and the helpdesk TLS", map[string]any{"helpdeskSchema": "support", "ordersSchema": "shop", "ordersUser": "grafana"},
			map[string]string{"helpdeskPassword": "hp", "ordersPassword": "ignored", "helpdeskTlsCACert": "CA"},
			func(t *testing.T, s Settings) {
				assert.True(t, s.OrdersUsesHelpdesk)
				assert.Equal(t, "support", s.Helpdesk.Schema)
				assert.Equal(t, "shop", s.Orders.Schema)
				assert.Equal(t, "hp", s.Orders.Password)
				assert.Equal(t, "CA", s.Orders.TLSCACert)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSettings(instance(t, minimal(tt.extra), tt.secure))
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	tests := []struct {
		name   string
		json   map[string]any
		secure map[string]string
		want   string
	}{
		{"no host", map[string]any{"helpdeskUser": "u"}, nil, "settings: helpdeskHost is required"},
		{"no user", map[string]any{"helpdeskHost": "db"}, nil, "settings: helpdeskUser is required"},
		{"url as host", minimal(map[string]any{"helpdeskHost": "postgres://u:p@db/x"}), nil, `helpdeskHost "…@db/x" must be a host name or host:port, not a URL`},
		{"password in the host", minimal(map[string]any{"helpdeskHost": "u:Secret-1@db"}), nil, `helpdeskHost "…@db" has an invalid port`},
		{"NUL in a list", minimal(map[string]any{"excludedStatuses": []string{"cancelled", "a\x00b"}}), nil, `excludedStatuses has a value with a NUL character (\u0000): remove it`},
		{"NUL in a tag", minimal(map[string]any{"vipTags": "vip,\x00"}), nil, `vipTags has a value with a NUL character`},
		{"connection string as host", minimal(map[string]any{"helpdeskHost": "host=db password=Secret-2"}), nil, `helpdeskHost "(a key=value connection string)" is not a host name`},
		{"bad port", minimal(map[string]any{"helpdeskHost": "db:99999"}), nil, `helpdeskHost "db:99999" has an invalid port: use a number from 1 to 65535`},
		{"several hosts", minimal(map[string]any{"helpdeskHost": "a,b"}), nil, `helpdeskHost "a,b" is not a host name, host:port or socket directory`},
		{"timezone", minimal(map[string]any{"timezone": "Europe/Pariss"}), nil, `timezone "Europe/Pariss" is not a known IANA time zone`},
		{"local timezone", minimal(map[string]any{"timezone": "Local"}), nil, `timezone "Local" is not a known IANA time zone`},
		{"schema", minimal(map[string]any{"helpdeskSchema": "a;b"}), nil, `helpdeskSchema "a;b" is not a valid schema name: use letters, digits, _ and -`},
		{"orders schema", minimal(map[string]any{"ordersSchema": `x"y`}), nil, `ordersSchema "x\"y" is not a valid schema name`},
		{"sslmode", minimal(map[string]any{"helpdeskSslMode": "prefer"}), nil, `helpdeskSslMode "prefer" is not supported: use disable, require, verify-ca or verify-full`},
		{"orders sslmode", minimal(map[string]any{"ordersHost": "s", "ordersUser": "u", "ordersSslMode": "allow"}), nil, `ordersSslMode "allow" is not supported`},
		{"orders user", minimal(map[string]any{"ordersHost": "s"}), nil, "settings: ordersUser is required"},
		{"orders database without host", minimal(map[string]any{"ordersDatabase": "shop"}), nil, "ordersDatabase is set but ordersHost is empty"},
		{"attribution model", minimal(map[string]any{"attributionModel": "split"}), nil, `attributionModel "split" is not supported: use last_touch, first_touch or linear`},
		{"attribution anchor", minimal(map[string]any{"attributionAnchor": "resolved"}), nil, `attributionAnchor "resolved" is not supported: use created or closed`},
		{"csat credit", minimal(map[string]any{"csatCredit": "everyone"}), nil, `csatCredit "everyone" is not supported: use closing_agent or participants`},
		{"week start", minimal(map[string]any{"weekStart": "saturday"}), nil, `weekStart "saturday" is not supported: use monday or sunday`},
		{"currency", minimal(map[string]any{"currency": "EURO"}), nil, `currency "EURO" is not an ISO 4217 code`},
		{"not a number", minimal(map[string]any{"queryTimeoutSeconds": "thirty"}), nil, `queryTimeoutSeconds "thirty" is not a whole number`},
		{"object as number", minimal(map[string]any{"maxOpenConns": map[string]any{}}), nil, `maxOpenConns "{}" is not a whole number`},
		{"fraction", minimal(map[string]any{"maxRangeDays": 1.5}), nil, `maxRangeDays "1.5" is not a whole number`},
		{"too large", minimal(map[string]any{"attributionWindowHours": 1e9}), nil, "attributionWindowHours 1000000000 is too large: at most 8784"},
		{"vip orders zero", minimal(map[string]any{"vipMinOrders": 0}), nil, "vipMinOrders must be greater than 0, got 0"},
		{"vip spent", minimal(map[string]any{"vipMinSpent": "lots"}), nil, `vipMinSpent "lots" is not a number`},
		{"vip spent negative", minimal(map[string]any{"vipMinSpent": -3}), nil, "vipMinSpent must be greater than 0, got -3"},
		{"vip spent decimals", minimal(map[string]any{"vipMinSpent": "1.00001"}), nil, `vipMinSpent "1.00001" has more than 4 decimals`},
		{"sla negative", minimal(map[string]any{"slaTargets": map[string]any{"High": -1}}), nil, "slaTargets.high must be greater than 0, got -1"},
		{"list of numbers", minimal(map[string]any{"vipTags": []int{1}}), nil, "settings: vipTags must be a list of text values, got something else"},
		{"host of wrong type", map[string]any{"helpdeskHost": 5}, nil, "settings: helpdeskHost must be text, got number"},
		{"sla of wrong type", minimal(map[string]any{"slaTargets": []int{1}}), nil, "settings: slaTargets must be an object of numbers, got array"},
		{"client cert without key", minimal(nil), map[string]string{"helpdeskTlsClientCert": "C"}, "helpdesk TLS client certificate and key must be given together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSettings(instance(t, tt.json, tt.secure))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, errors.Is(err, ErrSettings))
			assert.True(t, backend.IsDownstreamError(err))
		})
	}
}

func TestLoadSettingsInvalidJSON(t *testing.T) {
	_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte("{")})
	require.ErrorIs(t, err, ErrSettings)
	assert.Contains(t, err.Error(), "jsonData is not valid JSON")
}

func TestLoadSettingsNeverEchoesPasswords(t *testing.T) {
	secure := map[string]string{"helpdeskPassword": "s3cret-pw"}
	_, err := LoadSettings(instance(t, map[string]any{"helpdeskUser": "u"}, secure))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}
