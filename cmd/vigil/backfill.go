package main

import (
	"context"
	"fmt"
	"log/slog"

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

	res, err := runBackfill(ctx, log, persistence.NewAccounts(pool))
	if err != nil {
		return err
	}
	fmt.Printf("credential accounts created: %d, skipped (unreadable hash): %d, already present: %d\n",
		res.created, res.skipped, res.present)
	return nil
}

type backfillResult struct{ created, skipped, present int }

func runBackfill(ctx context.Context, log *slog.Logger, acc *persistence.Accounts) (backfillResult, error) {
	var res backfillResult
	users, err := acc.LegacyUsers(ctx)
	if err != nil {
		return res, err
	}
	for _, u := range users {
		if !betterauth.IsKnownFormat(u.Hash) {
			log.Warn("skipping user with an unreadable legacy hash", "userID", u.ID)
			res.skipped++
			continue
		}
		ok, err := acc.AddCredentialAccount(ctx, u.ID, u.Hash)
		if err != nil {
			return res, err
		}
		if ok {
			res.created++
		} else {
			res.present++
		}
	}
	return res, nil
}
