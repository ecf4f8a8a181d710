package mfa

import (
	"context"

	"golang.org/x/crypto/argon2"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/errs"
)

// RegenerateBackupCodes makes BackupCodeCount new backup codes for user
// userID of practice orgID, replacing every earlier code, used or not, and
// returns them formatted for people ("7KQ2-M9XD-4HTV-B0RN"). They are shown
// once: only their argon2id hashes are stored. A user not in the practice is
// errs.Invalid; a cancelled context while waiting to hash is errs.Unavailable.
func (s *Service) RegenerateBackupCodes(ctx context.Context, orgID, userID string) (_ []config.Secret, err error) {
	defer errs.Op(&err, "mfa.RegenerateBackupCodes")
	taken := map[string]bool{}
	codes := make([]config.Secret, 0, BackupCodeCount)
	rows := make([]BackupCode, 0, BackupCodeCount)
	for range BackupCodeCount {
		code, err := newBackupCode(taken)
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "mfa.newBackupCode")
		}
		lookup := code[:backupLookupLen]
		taken[lookup] = true
		hash, err := s.hashLimited(ctx, func() (string, error) { return hashBackupSecret(code[backupLookupLen:], s.params) })
		if err != nil {
			return nil, err
		}
		id, err := newRowID()
		if err != nil {
			return nil, err
		}
		rows = append(rows, BackupCode{ID: id, OrgID: orgID, UserID: userID, Lookup: lookup, Hash: hash})
		codes = append(codes, config.Secret(formatBackupCode(code)))
	}
	if err := s.store.ReplaceBackupCodes(ctx, orgID, userID, rows); err != nil {
		return nil, err
	}
	return codes, nil
}

// VerifyBackupCode accepts one of the user's unused backup codes, typed in
// any case, with or without dashes and spaces, and marks it used: of two
// concurrent uses of one code exactly one succeeds. A malformed, wrong or
// used code is ErrCodeInvalid (errs.Invalid on field "code"). Each check
// runs one argon2id computation, even for an unknown lookup id, so timing
// tells little.
func (s *Service) VerifyBackupCode(ctx context.Context, orgID, userID, code string) (err error) {
	defer errs.Op(&err, "mfa.VerifyBackupCode")
	norm, ok := normalizeBackupCode(code)
	if !ok {
		return codeInvalid("malformed backup code")
	}
	lookup, secret := norm[:backupLookupLen], norm[backupLookupLen:]
	stored, err := s.store.UnusedBackupCode(ctx, orgID, userID, lookup)
	if errs.Is(err, errs.NotFound) {
		// Spend the same work as a real check, then refuse.
		_, _ = s.hashLimited(ctx, func() (string, error) {
			argon2.IDKey([]byte(secret), dummySalt[:], s.params.Time, s.params.Memory, s.params.Threads, backupKeyLen)
			return "", nil
		})
		return codeInvalid("unknown or used backup code")
	}
	if err != nil {
		return err
	}
	var match bool
	_, err = s.hashLimited(ctx, func() (string, error) {
		var err error
		match, err = checkBackupSecret(secret, stored.Hash)
		return "", err
	})
	if err != nil {
		return errs.Wrap(err, errs.Internal, "mfa.checkBackupSecret")
	}
	if !match {
		return codeInvalid("wrong backup code")
	}
	err = s.store.UseBackupCode(ctx, orgID, userID, stored.ID)
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound) {
		return codeInvalid("backup code used (concurrent)")
	}
	return err
}

// BackupCodesLeft returns how many unused backup codes the user has.
func (s *Service) BackupCodesLeft(ctx context.Context, orgID, userID string) (_ int, err error) {
	defer errs.Op(&err, "mfa.BackupCodesLeft")
	return s.store.CountBackupCodes(ctx, orgID, userID)
}

// dummySalt salts the decoy computation for unknown lookup ids.
var dummySalt = [backupSaltLen]byte{'a', 's', 't', 'r', 'a', 'l', '.', 'd', 'u', 'm', 'm', 'y'}

// hashLimited runs fn, an argon2id computation, once a slot of the
// MaxConcurrentHashes semaphore is free. Each computation holds Memory KiB;
// the cap keeps a flood of attempts from exhausting the process.
func (s *Service) hashLimited(ctx context.Context, fn func() (string, error)) (string, error) {
	select {
	case s.hashes <- struct{}{}:
	case <-ctx.Done():
		return "", errs.Wrap(ctx.Err(), errs.Unavailable, "mfa.hashLimited")
	}
	defer func() { <-s.hashes }()
	return fn()
}
