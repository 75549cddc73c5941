package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// benchPassword is the password of the users a run signs up; they live
// only for the run.
const benchPassword = "vigil-bench-password"

// env is what scenarios share: the target, an HTTP client, the metrics
// scraper, and the cleanups to run at the end.
type env struct {
	opts    options
	base    string
	client  *http.Client
	stderr  io.Writer
	metrics *scraper

	mu       sync.Mutex // guards cleanups
	cleanups []func() error
}

func newEnv(o options, stderr io.Writer) *env {
	e := &env{opts: o, base: strings.TrimSuffix(o.url, "/"), client: newHTTPClient(),
		stderr: stderr}
	if o.metricsURL != "" {
		e.metrics = &scraper{url: o.metricsURL, client: e.client}
	}
	return e
}

// onCleanup registers f to run when the scenario ends, last first.
func (e *env) onCleanup(f func() error) {
	e.mu.Lock()
	e.cleanups = append(e.cleanups, f)
	e.mu.Unlock()
}

func (e *env) cleanup() error {
	e.mu.Lock()
	fs := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	var errs []error
	for i := len(fs) - 1; i >= 0; i-- {
		errs = append(errs, fs[i]())
	}
	return errors.Join(errs...)
}

// apiError is an answer outside 2xx.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// call sends a JSON request with an optional bearer token and decodes a
// 2xx JSON answer into out (when out is not nil).
func (e *env) call(ctx context.Context, method, path, bearer string, body, out any) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// user is a user the run signed up.
type user struct {
	ID, Email, Token string
}

// signUp makes a user for this run and registers its deletion.
func (e *env) signUp(ctx context.Context) (user, error) {
	var out struct {
		Token string
		User  struct{ ID, Email string }
	}
	email := "bench-" + randomHex(8) + "@example.com"
	err := e.call(ctx, "POST", "/api/auth/sign-up/email", "",
		map[string]string{"name": "vigil bench", "email": email, "password": benchPassword}, &out)
	if err != nil {
		return user{}, fmt.Errorf("sign up: %w", err)
	}
	u := user{ID: out.User.ID, Email: out.User.Email, Token: out.Token}
	e.onCleanup(func() error { return e.deleteUser(u) })
	return u, nil
}

// deleteUser deletes a user and everything it owns. It gets its own
// deadline: the run's context may have ended already.
func (e *env) deleteUser(u user) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := e.call(ctx, "POST", "/api/auth/delete-user", u.Token,
		map[string]string{"password": benchPassword}, nil)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", u.Email, err)
	}
	return nil
}

// device is a registered device.
type device struct {
	ID, Token string
}

func (e *env) register(ctx context.Context, u user, name, role string) (device, error) {
	var out struct {
		Device      struct{ ID string }
		DeviceToken string
	}
	err := e.call(ctx, "POST", "/devices/register", u.Token,
		map[string]string{"name": name, "role": role}, &out)
	if err != nil {
		return device{}, fmt.Errorf("register %s: %w", name, err)
	}
	return device{ID: out.Device.ID, Token: out.DeviceToken}, nil
}

func (e *env) link(ctx context.Context, u user, camera, client device) error {
	return e.call(ctx, "POST", "/device-links", u.Token,
		map[string]string{"cameraDeviceId": camera.ID, "clientDeviceId": client.ID}, nil)
}

// progress is a progress bar on stderr, or nothing when turned off.
func (e *env) progress(max int64, what string) *progressbar.ProgressBar {
	if !e.opts.progress {
		return progressbar.DefaultSilent(max, what)
	}
	return progressbar.NewOptions64(max, progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish())
}

// wait sleeps for d, or until ctx ends, moving a progress bar each second.
func (e *env) wait(ctx context.Context, d time.Duration, what string) error {
	bar := e.progress(int64(d/time.Second), what)
	defer bar.Finish()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(time.Second, time.Until(end))):
		}
		_ = bar.Add(1)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
