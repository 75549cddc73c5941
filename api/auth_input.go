package api

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
)

// Error codes of Better Auth 1.7 (BASE_ERROR_CODES, and better-call's
// VALIDATION_ERROR for a body its schema refuses). scripts/compat checks
// them against the real library's handler.
const (
	codeValidation       = "VALIDATION_ERROR"
	codeInvalidEmail     = "INVALID_EMAIL"
	codePasswordTooShort = "PASSWORD_TOO_SHORT"
	codePasswordTooLong  = "PASSWORD_TOO_LONG"
	codeUserExists       = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
	codeBadCredentials   = "INVALID_EMAIL_OR_PASSWORD"
)

// invalidField is Better Auth's answer to a body field its schema refuses;
// the message names the field the way better-call does ("[body.email] ...").
func invalidField(field, problem string) error {
	return badRequest(codeValidation, fmt.Sprintf("[body.%s] %s", field, problem))
}

// parseAuthBody decodes an account route's body. A body that is not one
// JSON object, or a field of the wrong type, is VALIDATION_ERROR there, as
// Better Auth's schema check answers, rather than the contract's
// INVALID_BODY.
func parseAuthBody(c *fiber.Ctx, dst any) error {
	err := parseBody(c, dst)
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.Code == "INVALID_BODY" {
		return badRequest(codeValidation, apiErr.Message)
	}
	return err
}

// validate checks a sign-up and normalises its email. Better Auth's schema
// refuses a missing name, a malformed email and an empty password with
// VALIDATION_ERROR before it looks at password length; Vigil also refuses a
// blank, oversized or control-character name the same way.
func (r *signUpRequest) validate() error {
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case !hasVisibleRune(r.Name):
		return invalidField("name", "name is required")
	case !isCleanText(r.Name):
		return invalidField("name", "name holds control characters or invalid UTF-8")
	case utf8.RuneCountInString(r.Name) > maxNameLength:
		return invalidField("name", fmt.Sprintf("name is longer than %d characters", maxNameLength))
	}
	email, ok := normalizeEmail(r.Email)
	if !ok {
		return invalidField("email", "email is missing or not a valid address")
	}
	r.Email = email
	if r.Password == "" {
		return invalidField("password", "password is required")
	}
	return validatePassword(r.Password)
}

// validate checks a sign-in the way Better Auth does: both fields must be
// strings, the email well formed and the password not over the maximum;
// anything else is left to the credential check.
func (r *signInRequest) validate() (email, password string, err error) {
	switch {
	case r.Email == nil:
		return "", "", invalidField("email", "email is required")
	case r.Password == nil:
		return "", "", invalidField("password", "password is required")
	}
	email, ok := normalizeEmail(*r.Email)
	if !ok {
		return "", "", badRequest(codeInvalidEmail, "email is not a valid address")
	}
	if utf8.RuneCountInString(*r.Password) > betterauth.MaxPasswordLength {
		return "", "", passwordTooLong()
	}
	return email, *r.Password, nil
}

// normalizeEmail lower-cases and trims an address and reports whether it is
// a plain, deliverable-looking one.
func normalizeEmail(raw string) (string, bool) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" || len(email) > maxEmailLength {
		return "", false
	}
	addr, err := mail.ParseAddress(email)
	local, domain, _ := strings.Cut(email, "@")
	if err != nil || addr.Address != email || len(local) > maxLocalPartLength ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", false
	}
	return email, true
}

// isCleanText is persistence.CleanText, named for the checks here.
func isCleanText(s string) bool { return persistence.CleanText(s) }

// hasVisibleRune reports whether s shows anything: a name of zero-width
// spaces is no name.
func hasVisibleRune(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// cleanHeaderText keeps what can be stored of a header value the client
// chose, such as User-Agent: valid UTF-8 without control characters, cut
// to max bytes.
func cleanHeaderText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

func passwordTooLong() error {
	return badRequest(codePasswordTooLong,
		fmt.Sprintf("password must be at most %d characters", betterauth.MaxPasswordLength))
}

func validatePassword(p string) error {
	// Better Auth counts JavaScript string length; runes are the closest
	// measure that does not depend on UTF-16.
	switch n := utf8.RuneCountInString(p); {
	case n < betterauth.MinPasswordLength:
		return badRequest(codePasswordTooShort,
			fmt.Sprintf("password must be at least %d characters", betterauth.MinPasswordLength))
	case n > betterauth.MaxPasswordLength:
		return passwordTooLong()
	}
	return nil
}
