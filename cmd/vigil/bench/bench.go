// Package bench is `vigil bench`: load scenarios run against a running
// Vigil that reproduce the figures in docs/benchmarks.md. Each scenario
// signs up its own user, makes the devices it needs, measures, prints a
// table, writes JSON, and deletes its user (and with it every device,
// link, command, event and stream it made) through
// POST /api/auth/delete-user.
//
// It aims at loopback only unless -allow-remote is given: a load test is
// for a server of one's own.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ErrUsage means the arguments were wrong; the usage has been printed.
var ErrUsage = errors.New("usage")

// scenario is one kind of load. flags registers its own flags; run
// measures. run's cleanups are registered on the env and run even when it
// fails.
type scenario interface {
	summary() string
	flags(fs *flag.FlagSet)
	run(ctx context.Context, e *env) (*Result, error)
}

func scenarios() map[string]scenario {
	return map[string]scenario{
		"connections": &connections{},
		"commands":    &commands{},
		"motion":      &motion{},
		"sfu":         &sfu{},
		"auth":        &auth{},
	}
}

// Run runs `vigil bench SCENARIO [flags]`: args start at the scenario's
// name. The table goes to stdout, progress and errors to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	all := scenarios()
	if len(args) == 0 || all[args[0]] == nil {
		printUsage(stderr, all)
		return ErrUsage
	}
	name, sc := args[0], all[args[0]]
	fs := flag.NewFlagSet("vigil bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	o.register(fs, name)
	sc.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil bench %s: unexpected argument %q\n", name, fs.Arg(0))
		return ErrUsage
	}
	if err := o.check(); err != nil {
		return err
	}

	e := newEnv(o, stderr)
	started := time.Now().UTC()
	res, err := sc.run(ctx, e)
	if cerr := e.cleanup(); cerr != nil {
		fmt.Fprintln(stderr, "vigil bench: cleanup:", cerr)
		err = errors.Join(err, cerr)
	}
	if res == nil {
		return err
	}
	res.Scenario, res.StartedAt = name, started
	if res.Target == "" {
		res.Target = o.url
	}
	res.Command = commandLine(args)
	res.Params = flagValues(fs)
	res.WriteTable(stdout)
	if o.jsonPath != "" {
		if werr := res.WriteJSON(o.jsonPath); werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(stderr, "vigil bench: wrote %s\n", o.jsonPath)
	}
	return err
}

func printUsage(w io.Writer, all map[string]scenario) {
	fmt.Fprintln(w, "usage: vigil bench SCENARIO [flags]   (vigil bench SCENARIO -h lists its flags)")
	fmt.Fprintln(w, "\nscenarios:")
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, all[n].summary())
	}
}

// options are the flags every scenario has.
type options struct {
	url         string
	metricsURL  string
	jsonPath    string
	allowRemote bool
	progress    bool
}

func (o *options) register(fs *flag.FlagSet, name string) {
	fs.StringVar(&o.url, "url", "http://127.0.0.1:3000", "the Vigil server's base URL")
	fs.StringVar(&o.metricsURL, "metrics", "http://127.0.0.1:9464/metrics",
		"the server's Prometheus endpoint (VIGIL_METRICS_ADDR); empty: server figures are not read")
	fs.StringVar(&o.jsonPath, "json", "bench-"+name+".json", "where to write the JSON result; empty: nowhere")
	fs.BoolVar(&o.allowRemote, "allow-remote", false,
		"allow a server that is not on loopback (only ever one of your own)")
	fs.BoolVar(&o.progress, "progress", true, "show a progress bar on stderr")
}

// check refuses a target off loopback unless allowed.
func (o *options) check() error {
	if err := checkURL("-url", o.url, o.allowRemote); err != nil {
		return err
	}
	if o.metricsURL != "" {
		return checkURL("-metrics", o.metricsURL, o.allowRemote)
	}
	return nil
}

// checkURL checks that raw is an http(s) URL and, unless remote is
// allowed, that its host is a loopback address or localhost.
func checkURL(flagName, raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an http or https URL, got %q", flagName, raw)
	}
	if allowRemote || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%s %s is not on loopback; give -allow-remote to load a server of your own elsewhere",
		flagName, raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// flagValues are the flags as set, for the JSON result; tokens are only
// said to be set.
func flagValues(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		out[f.Name] = f.Value.String()
		if strings.Contains(f.Name, "token") && out[f.Name] != "" {
			out[f.Name] = "(set)"
		}
	})
	return out
}

// commandLine is the run's command line with token values hidden.
func commandLine(args []string) string {
	out := append([]string{"vigil", "bench"}, args...)
	for i := 2; i < len(out); i++ {
		name, _, inline := strings.Cut(strings.TrimLeft(out[i], "-"), "=")
		if !strings.HasPrefix(out[i], "-") || !strings.Contains(name, "token") {
			continue
		}
		if inline {
			out[i] = out[i][:strings.Index(out[i], "=")+1] + "…"
		} else if i+1 < len(out) {
			out[i+1] = "…"
		}
	}
	return strings.Join(out, " ")
}

// newHTTPClient is a client for many concurrent requests to one server.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 1024
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}
