package api

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzSignUpDecoding feeds arbitrary bodies through the sign-up decoder and
// validator: they must never panic, every refusal must be a client error
// with a code, and anything accepted must satisfy the limits.
func FuzzSignUpDecoding(f *testing.F) {
	f.Add([]byte(`{"name":"Ann","email":"ann@example.com","password":"password123"}`))
	f.Add([]byte(`{"name":"","email":"A <a@b.c>","password":1}`))
	f.Add([]byte(`{"name":"\u0000","email":"a@b","password":"` + "\xff\xfe" + `"}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"rememberMe":"yes"}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req signUpRequest
		err := decodeJSON(body, &req)
		if err == nil {
			err = req.validate()
		}
		if err != nil {
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Code == "" {
				t.Fatalf("refusal %v is not a 400 with a code", err)
			}
			return
		}
		if req.Name == "" || utf8.RuneCountInString(req.Name) > maxNameLength {
			t.Fatalf("accepted name %q", req.Name)
		}
		if len(req.Email) > maxEmailLength {
			t.Fatalf("accepted email %q", req.Email)
		}
		if n := utf8.RuneCountInString(req.Password); n < 8 || n > 128 {
			t.Fatalf("accepted a password of %d runes", n)
		}
		if _, ok := normalizeEmail(req.Email); !ok {
			t.Fatalf("accepted email %q does not normalise again", req.Email)
		}
	})
}

// FuzzSignInDecoding does the same for sign-in bodies.
func FuzzSignInDecoding(f *testing.F) {
	f.Add([]byte(`{"email":"ann@example.com","password":"password123","rememberMe":false}`))
	f.Add([]byte(`{"email":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req signInRequest
		err := decodeJSON(body, &req)
		var password string
		if err == nil {
			_, password, err = req.validate()
		}
		var apiErr *Error
		if err != nil && (!errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Code == "") {
			t.Fatalf("refusal %v is not a 400 with a code", err)
		}
		if err == nil && utf8.RuneCountInString(password) > 128 {
			t.Fatalf("accepted a password of %d runes", utf8.RuneCountInString(password))
		}
	})
}
