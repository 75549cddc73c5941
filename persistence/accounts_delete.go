package persistence

import (
	"context"
	"fmt"
)

// DeleteUser deletes a user. Their sessions, accounts, devices, links,
// commands, motion events, stream sessions and video rows go with them
// (every foreign key to "user" cascades). Objects in storage are not
// touched. Deleting a missing user is ErrNotFound.
func (a *Accounts) DeleteUser(ctx context.Context, id UserID) error {
	tag, err := a.pool.Exec(ctx, `DELETE FROM "user" WHERE "id" = $1`, id)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete user %s: %w", id, ErrNotFound)
	}
	return nil
}
