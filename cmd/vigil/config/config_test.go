package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func valid() map[string]string {
	return map[string]string{
		"DATABASE_URL":       "postgres://localhost/vigil",
		"BETTER_AUTH_SECRET": strings.Repeat("s", 32),
	}
}

func TestDefaultsAndLegacyBaseURL(t *testing.T) {
	env := valid()
	env["BETTER_AUTH_URL"] = "https://cams.example.com"
	c, err := FromLookup(lookupFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3000 || c.Media.Mode != "single_server_sfu" || c.Media.Provider != "pion" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.BaseURL.String() != "https://cams.example.com" {
		t.Fatalf("BETTER_AUTH_URL fallback not used: %v", c.BaseURL)
	}
	if c.AuthRateWindow != 10*time.Second {
		t.Fatalf("rate window %v", c.AuthRateWindow)
	}
	env["BETTER_AUTH_BASE_URL"] = "http://localhost:4000"
	c, _ = FromLookup(lookupFrom(env))
	if c.BaseURL.String() != "http://localhost:4000" {
		t.Fatalf("BETTER_AUTH_BASE_URL must win over BETTER_AUTH_URL: %v", c.BaseURL)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	cases := map[string]map[string]string{
		"DATABASE_URL":                   {"DATABASE_URL": ""},
		"BETTER_AUTH_SECRET":             {"BETTER_AUTH_SECRET": "short"},
		"PORT":                           {"PORT": "eighty"},
		"MEDIA_MODE":                     {"MEDIA_MODE": "p2p"},
		"MEDIA_PROVIDER":                 {"MEDIA_PROVIDER": "livekit"},
		"MEDIA_MAX_PUBLISHERS":           {"MEDIA_MAX_PUBLISHERS": "0"},
		"MEDIA_ICE_IPS":                  {"MEDIA_ICE_IPS": "localhost"},
		"TRUSTED_PROXIES":                {"TRUSTED_PROXIES": "10.0.0.0/33"},
		"BETTER_AUTH_BASE_URL":           {"BETTER_AUTH_BASE_URL": "localhost:3000"},
		"BETTER_AUTH_TRUSTED_ORIGINS":    {"BETTER_AUTH_TRUSTED_ORIGINS": "https://a.*.com"},
		"MINIO_USE_SSL":                  {"MINIO_USE_SSL": "maybe"},
		"AUTH_RATE_LIMIT_WINDOW":         {"AUTH_RATE_LIMIT_WINDOW": "10"},
		"VIGIL_ENV":                      {"VIGIL_ENV": "staging"},
		"MEDIA_SUBSCRIBERS_PER_ROOM_BAD": {"MEDIA_MAX_SUBSCRIBERS_PER_ROOM": "-1"},
		"COMMAND_TTL_DEFAULT":            {"COMMAND_TTL_DEFAULT": "2h"},
		"RECORDING_ENABLED":              {"RECORDING_ENABLED": "sometimes"},
		"RECORDING_SEGMENT":              {"RECORDING_SEGMENT": "4s"},
		"RECORDING_SEGMENT_UNIT":         {"RECORDING_SEGMENT": "60"},
		"RECORDING_MAX_DISK":             {"RECORDING_MAX_DISK": "0"},
		"RECORDING_MAX_DISK_UNIT":        {"RECORDING_MAX_DISK": "1GiB"},
		"COMMAND_TTL_MAX":                {"COMMAND_TTL_MAX": "1500ms"},
		"MOTION_OPEN_TIMEOUT":            {"MOTION_OPEN_TIMEOUT": "soon"},
		"TURN_TTL":                       {"TURN_TTL": "30s"},
		"STREAM_REQUEST_TIMEOUT":         {"STREAM_REQUEST_TIMEOUT": "0s"},
		"STREAM_OFFLINE_GRACE":           {"STREAM_OFFLINE_GRACE": "500ms"},
		"STREAM_OFFLINE_GRACE_LONG":      {"STREAM_OFFLINE_GRACE": "1h"},
		"TURN_EMBEDDED_LISTEN":           {"TURN_EMBEDDED_LISTEN": "127.0.0.1:3478"},
	}
	for name, override := range cases {
		t.Run(name, func(t *testing.T) {
			env := valid()
			for k, v := range override {
				env[k] = v
			}
			_, err := FromLookup(lookupFrom(env))
			if err == nil {
				t.Fatal("accepted")
			}
			for k := range override {
				if !strings.Contains(err.Error(), k) {
					t.Fatalf("error %q does not name %s", err, k)
				}
			}
		})
	}
}

func TestDevelopmentAllowsShortSecret(t *testing.T) {
	env := valid()
	env["BETTER_AUTH_SECRET"] = "dev"
	env["VIGIL_ENV"] = "development"
	if _, err := FromLookup(lookupFrom(env)); err != nil {
		t.Fatal(err)
	}
}

func TestTrustedProxiesAcceptAddressesAndRanges(t *testing.T) {
	env := valid()
	env["TRUSTED_PROXIES"] = "127.0.0.1, 10.0.0.0/8,::1"
	c, err := FromLookup(lookupFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 3 || c.TrustedProxies[0].String() != "127.0.0.1/32" {
		t.Fatalf("got %v", c.TrustedProxies)
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	env := valid()
	env["BETTER_AUTH_BASE_URL"] = "http://ops:hunter2@localhost:3000"
	_, err := FromLookup(lookupFrom(env))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v; want a refusal that does not show the password", err)
	}
	env["BETTER_AUTH_BASE_URL"] = "http://admin:hunter2@[::1"
	_, err = FromLookup(lookupFrom(env))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
}

func TestEnvFileParseErrorHidesValues(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/.env"
	if err := os.WriteFile(path, []byte("DATABASE_URL=\"postgres://u:S3cr3t@h/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || strings.Contains(err.Error(), "S3cr3t") {
		t.Fatalf("got %v", err)
	}
}

func TestTrustedOriginsTakeBetterAuthForms(t *testing.T) {
	env := valid()
	env["BETTER_AUTH_TRUSTED_ORIGINS"] = "https://*.example.com, myapp://, capacitor://localhost"
	if _, err := FromLookup(lookupFrom(env)); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedTURNSettingsNameTheOneAtFault(t *testing.T) {
	for _, tc := range []struct {
		listen, relay, want string
	}{
		{"3478", "", "TURN_EMBEDDED_LISTEN"},
		{":3478", "", "TURN_EMBEDDED_RELAY_IP"},
		{":3478", "nowhere", "TURN_EMBEDDED_RELAY_IP"},
	} {
		env := valid()
		env["TURN_SECRET"], env["TURN_EMBEDDED_LISTEN"] = "s3cret", tc.listen
		if tc.relay != "" {
			env["TURN_EMBEDDED_RELAY_IP"] = tc.relay
		}
		_, err := FromLookup(lookupFrom(env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("listen %q relay %q: error %v, want one naming %s", tc.listen, tc.relay, err, tc.want)
		}
	}
	env := valid()
	env["TURN_SECRET"], env["TURN_EMBEDDED_LISTEN"] = "s3cret", "127.0.0.1:3478"
	c, err := FromLookup(lookupFrom(env))
	if err != nil || c.Media.TURNTTL != 6*time.Hour || c.Media.StreamRequestTimeout != time.Minute {
		t.Fatalf("loopback TURN refused or defaults wrong: %v %+v", err, c)
	}
}
