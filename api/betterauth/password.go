package betterauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// Better Auth's scrypt parameters (better-auth/crypto, password.ts). They are
// part of the stored format: a hash made with other values would not verify
// in the TypeScript backend, so they are constants, not settings.
const (
	scryptN      = 16384
	scryptR      = 16
	scryptP      = 1
	scryptKeyLen = 64
	saltLen      = 16
)

// Password length bounds of Better Auth's email/password plugin defaults.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

var (
	// ErrMalformedHash means a stored hash is in no format Vigil knows.
	ErrMalformedHash = errors.New("malformed password hash")
	// ErrMismatch means the password does not match the stored hash.
	ErrMismatch = errors.New("password does not match")
)

// Hasher computes and checks password hashes. Each scrypt call with Better
// Auth's parameters allocates 32 MiB (128·N·r bytes), so the number running at
// once is bounded: a burst of sign-ins queues instead of exhausting memory.
type Hasher struct {
	slots chan struct{}
}

// NewHasher returns a Hasher that runs at most concurrency hashes at once;
// zero or less means one per CPU.
func NewHasher(concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Hasher{slots: make(chan struct{}, concurrency)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns password hashed in Better Auth's format, "saltHex:keyHex".
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	var salt [saltLen]byte
	rand.Read(salt[:]) // never fails since Go 1.24
	saltHex := hex.EncodeToString(salt[:])
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key, err := deriveKey(password, saltHex)
	if err != nil {
		return "", err
	}
	return saltHex + ":" + hex.EncodeToString(key), nil
}

// Verify reports whether password matches stored. Besides Better Auth's
// scrypt format it accepts bcrypt hashes ("$2a$", "$2b$", "$2y$"), the format
// of accounts carried over from before Better Auth; NeedsRehash tells the
// caller to replace such a hash after a successful sign-in.
func (h *Hasher) Verify(ctx context.Context, stored, password string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	if isBcrypt(stored) {
		err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(password))
		switch {
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return ErrMismatch
		case err != nil:
			return fmt.Errorf("%w: %v", ErrMalformedHash, err)
		}
		return nil
	}
	saltHex, keyHex, ok := strings.Cut(stored, ":")
	if !ok || saltHex == "" {
		return ErrMalformedHash
	}
	want, err := hex.DecodeString(keyHex)
	if err != nil || len(want) != scryptKeyLen {
		return ErrMalformedHash
	}
	got, err := deriveKey(password, saltHex)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether stored is in a legacy format that should be
// replaced by a Better Auth scrypt hash.
func NeedsRehash(stored string) bool { return isBcrypt(stored) }

// IsKnownFormat reports whether stored looks like a hash Verify can check.
func IsKnownFormat(stored string) bool {
	if isBcrypt(stored) {
		_, err := bcrypt.Cost([]byte(stored))
		return err == nil
	}
	saltHex, keyHex, ok := strings.Cut(stored, ":")
	if !ok || saltHex == "" {
		return false
	}
	key, err := hex.DecodeString(keyHex)
	return err == nil && len(key) == scryptKeyLen
}

func isBcrypt(stored string) bool {
	return strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") ||
		strings.HasPrefix(stored, "$2y$")
}

// deriveKey runs scrypt the way Better Auth does: the password is NFKC
// normalised and the salt is the hex text itself, not the bytes it encodes.
func deriveKey(password, saltHex string) ([]byte, error) {
	key, err := scrypt.Key([]byte(norm.NFKC.String(password)), []byte(saltHex),
		scryptN, scryptR, scryptP, scryptKeyLen)
	if err != nil {
		return nil, fmt.Errorf("scrypt: %w", err)
	}
	return key, nil
}
