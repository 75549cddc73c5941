package main

import (
	"context"
	"fmt"

	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
)

// backfill gives every user that has only a legacy password hash on its row
// a Better Auth credential account carrying that hash. Sign-in verifies
// scrypt and bcrypt hashes and upgrades bcrypt to scrypt on first success.
// Running it twice, or on two machines at once, creates nothing twice.
func backfill(ctx context.Context) error {
	_, log, pool, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		return err
	}
	err = m.CheckCurrent(ctx)
	m.Close()
	if err != nil {
		return fmt.Errorf("%w: run `vigil migrate up` first", err)
	}

	acc := persistence.NewAccounts(pool)
	users, err := acc.LegacyUsers(ctx)
	if err != nil {
		return err
	}
	var created, skipped int
	for _, u := range users {
		if !betterauth.IsKnownFormat(u.Hash) {
			log.Warn("skipping user with an unreadable legacy hash", "userID", u.ID)
			skipped++
			continue
		}
		ok, err := acc.AddCredentialAccount(ctx, u.ID, u.Hash)
		if err != nil {
			return err
		}
		if ok {
			created++
		}
	}
	fmt.Printf("credential accounts created: %d, skipped (unreadable hash): %d, already present: %d\n",
		created, skipped, len(users)-created-skipped)
	return nil
}
