package bench

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTargetsOffLoopbackAreRefusedUnlessAllowed(t *testing.T) {
	for _, tc := range []struct {
		url    string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:3000", false, true},
		{"http://127.9.9.9:3000", false, true},
		{"http://localhost:3000", false, true},
		{"http://[::1]:3000", false, true},
		{"http://10.0.0.5:3000", false, false},
		{"http://example.com", false, false},
		{"http://169.254.169.254", false, false},
		{"http://example.com", true, true},
		{"ftp://127.0.0.1", false, false},
		{"127.0.0.1:3000", false, false},
	} {
		err := checkURL("-url", tc.url, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("checkURL(%q, remote %v) = %v, want ok %v", tc.url, tc.remote, err, tc.ok)
		}
	}
}

func TestRunRefusesBeforeSendingAnything(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"commands", "-url", "http://192.168.1.10:3000", "-json", ""}, "not on loopback"},
		{[]string{"sfu", "-metrics", "http://10.1.1.1:9464/metrics", "-json", ""}, "not on loopback"},
		{[]string{"sfu", "-whip", "http://10.1.1.1/whip", "-whep", "http://10.1.1.1/whep",
			"-metrics", "", "-json", ""}, "not on loopback"},
	} {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error saying %q", tc.args, err, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("%v: printed a result: %s", tc.args, out.String())
		}
	}
}

func TestUnknownScenarioOrFlagIsUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"commands", "-nope"}, {"auth", "extra"}} {
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), args, &out, &errOut); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: got %v, want ErrUsage", args, err)
		}
		if errOut.Len() == 0 {
			t.Errorf("%v: nothing told the user why", args)
		}
	}
}

func TestLatencyQuantilesComeFromTheHistogram(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	l := h.latency("x")
	if l.Count != 1000 || l.P50 < 499 || l.P50 > 501 || l.P99 < 989 || l.P99 > 991 ||
		l.Max < 999 || l.Max > 1001 {
		t.Fatalf("latency %+v", l)
	}
}

func TestTokensStayOutOfTheRecordedCommand(t *testing.T) {
	got := commandLine([]string{"sfu", "-whip-token", "secret1", "-whep-token=secret2", "-viewers", "3"})
	if strings.Contains(got, "secret") || !strings.Contains(got, "-viewers 3") {
		t.Fatalf("recorded %q", got)
	}
}
