package config

import (
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
		"BETTER_AUTH_TRUSTED_ORIGINS":    {"BETTER_AUTH_TRUSTED_ORIGINS": "ftp://x"},
		"MINIO_USE_SSL":                  {"MINIO_USE_SSL": "maybe"},
		"AUTH_RATE_LIMIT_WINDOW":         {"AUTH_RATE_LIMIT_WINDOW": "10"},
		"VIGIL_ENV":                      {"VIGIL_ENV": "staging"},
		"MEDIA_SUBSCRIBERS_PER_ROOM_BAD": {"MEDIA_MAX_SUBSCRIBERS_PER_ROOM": "-1"},
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

func TestNormalizeOrigin(t *testing.T) {
	got, err := NormalizeOrigin("HTTPS://App.Example.com:8443/path")
	if err != nil || got != "https://app.example.com:8443" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestStorageAndAdminSettings(t *testing.T) {
	storage := map[string]string{"MINIO_ENDPOINT": "minio", "MINIO_PORT": "9000",
		"MINIO_ACCESS_KEY": "ak", "MINIO_SECRET_KEY": "sk"}
	cases := []struct {
		name     string
		override map[string]string
		bad      string // the setting the error must name; "" means valid
	}{
		{"storage off", nil, ""},
		{"storage on", storage, ""},
		{"public endpoint host", map[string]string{"MINIO_PUBLIC_ENDPOINT": "s3.example.com:443"}, ""},
		{"public endpoint URL", map[string]string{"MINIO_PUBLIC_ENDPOINT": "https://s3.example.com"}, ""},
		{"public endpoint with path", map[string]string{"MINIO_PUBLIC_ENDPOINT": "https://x/y"},
			"MINIO_PUBLIC_ENDPOINT"},
		{"endpoint with scheme", map[string]string{"MINIO_ENDPOINT": "http://minio:9000"}, "MINIO_ENDPOINT"},
		{"no access key", map[string]string{"MINIO_ACCESS_KEY": ""}, "MINIO_ACCESS_KEY"},
		{"no secret key", map[string]string{"MINIO_SECRET_KEY": ""}, "MINIO_SECRET_KEY"},
		{"bucket upper case", map[string]string{"MINIO_BUCKET": "Vigil"}, "MINIO_BUCKET"},
		{"bucket ends in dash", map[string]string{"MINIO_BUCKET": "vigil-"}, "MINIO_BUCKET"},
		{"bucket short", map[string]string{"MINIO_BUCKET": "vg"}, "MINIO_BUCKET"},
		{"port", map[string]string{"MINIO_PORT": "70000"}, "MINIO_PORT"},
		{"admin", map[string]string{"ADMIN_USERNAME": "ops", "ADMIN_PASSWORD": "a:long:password"}, ""},
		{"admin without password", map[string]string{"ADMIN_USERNAME": "ops"}, "ADMIN_PASSWORD"},
		{"password without admin", map[string]string{"ADMIN_PASSWORD": "a-long-password"}, "ADMIN_USERNAME"},
		{"admin name with colon", map[string]string{"ADMIN_USERNAME": "o:ps",
			"ADMIN_PASSWORD": "a-long-password"}, "ADMIN_USERNAME"},
		{"short admin password", map[string]string{"ADMIN_USERNAME": "ops", "ADMIN_PASSWORD": "short"},
			"ADMIN_PASSWORD"},
		{"short admin password in development", map[string]string{"ADMIN_USERNAME": "ops",
			"ADMIN_PASSWORD": "short", "VIGIL_ENV": "development"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := valid()
			if tc.name != "storage off" {
				for k, v := range storage {
					env[k] = v
				}
			}
			for k, v := range tc.override {
				env[k] = v
			}
			c, err := FromLookup(lookupFrom(env))
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
				t.Fatalf("error %v, want one naming %s", err, tc.bad)
			case tc.bad == "" && c.Storage.Configured() != (tc.name != "storage off"):
				t.Fatalf("Configured() = %v", c.Storage.Configured())
			}
		})
	}
}
