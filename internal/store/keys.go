package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

var _ phi.KeyStore = (*KeyDB)(nil)

// KeyDB is the keystore: the wrapped data keys of package phi, in a database
// of their own. Backups of the main database must not hold the keys, or
// destroying a key (crypto-shredding) would leave the data readable in every
// backup taken before. On SQLite it is a second file (keys.db beside the
// data); on PostgreSQL a second database (ASTRAL_KEYS_DATABASE_URL). It is
// safe for concurrent use.
type KeyDB struct {
	db *DB
}

// OpenKeyStore connects to the keystore database, like Open. It does not
// migrate; call Migrate. Errors are those of Open.
func OpenKeyStore(ctx context.Context, driver, dsn string, opts Options) (_ *KeyDB, err error) {
	defer errs.Op(&err, "store.OpenKeyStore")
	db, err := Open(ctx, driver, dsn, opts)
	if err != nil {
		return nil, err
	}
	return &KeyDB{db: db}, nil
}

// Migrate applies the keystore's pending migrations (migrations/keys),
// recorded in key_schema_migrations, with the guarantees of DB.Migrate.
func (k *KeyDB) Migrate(ctx context.Context) (applied []string, err error) {
	defer errs.Op(&err, "store.KeyDB.Migrate")
	return k.db.migrate(ctx, keyMigrations)
}

// MigrationStatus lists the keystore's migrations, like DB.MigrationStatus.
func (k *KeyDB) MigrationStatus(ctx context.Context) (_ []MigrationState, err error) {
	defer errs.Op(&err, "store.KeyDB.MigrationStatus")
	return k.db.migrationStatus(ctx, keyMigrations)
}

// Close closes the keystore's pools.
func (k *KeyDB) Close() error { return k.db.Close() }

// Ping checks that the keystore answers, for readiness probes.
func (k *KeyDB) Ping(ctx context.Context) error { return k.db.Ping(ctx) }

// Driver returns DriverSQLite or DriverPostgres.
func (k *KeyDB) Driver() string { return k.db.Driver() }

// SQL returns the writable pool, for tests and tools only; see DB.SQL.
func (k *KeyDB) SQL() *sql.DB { return k.db.SQL() }

// Rebind rewrites a ? query for this engine; see DB.Rebind.
func (k *KeyDB) Rebind(query string) string { return k.db.Rebind(query) }

const keyColumns = `id, org_id, patient_id, kind, kek_version, wrapped, created_at, rewrapped_at, destroyed_at`

func scanKey(s scanner) (k phi.StoredKey, err error) {
	var kind string
	err = s.Scan(&k.ID, &k.OrgID, &k.PatientID, &kind, &k.Wrapped.Version, &k.Wrapped.Ciphertext,
		timeScanner{&k.CreatedAt}, nullTimeScanner{&k.RewrappedAt}, nullTimeScanner{&k.DestroyedAt})
	k.Kind = phi.KeyKind(kind)
	if len(k.Wrapped.Ciphertext) == 0 {
		k.Wrapped.Ciphertext = nil
	}
	return k, err
}

// validKeyOwner checks an owner and kind as the schema does, so a bad call is
// errs.Invalid with a reason rather than a constraint name.
func validKeyOwner(orgID, patientID string, kind phi.KeyKind) error {
	switch {
	case !kind.Valid():
		return errors.New("unknown key kind")
	case orgID == "" || len(orgID) > 64 || len(patientID) > 64:
		return errors.New("org or patient id empty or too long")
	case (kind == phi.KindPatient) != (patientID != ""):
		return errors.New("only patient keys name a patient")
	}
	return nil
}

func validWrapped(w phi.WrappedKey) error {
	if w.Version < 1 || len(w.Ciphertext) == 0 {
		return errors.New("wrapped key without version or bytes")
	}
	return nil
}

// CreateKey stores k as a live key; see phi.KeyStore.
func (k *KeyDB) CreateKey(ctx context.Context, key phi.StoredKey) (_ phi.StoredKey, err error) {
	defer errs.Op(&err, "store.CreateKey")
	if err := validKeyOwner(key.OrgID, key.PatientID, key.Kind); err != nil {
		return phi.StoredKey{}, errs.Wrap(err, errs.Invalid, "store.CreateKey")
	}
	if err := validWrapped(key.Wrapped); err != nil || len(key.ID) != 36 {
		return phi.StoredKey{}, errs.Wrap(errors.Join(err, errors.New("bad key id or wrapped key")), errs.Invalid, "store.CreateKey")
	}
	err = k.db.InTx(ctx, func(tx *Tx) error {
		key.CreatedAt, key.RewrappedAt, key.DestroyedAt = tx.now, nil, nil
		_, err := tx.exec(ctx, `INSERT INTO data_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
			key.ID, key.OrgID, key.PatientID, string(key.Kind), key.Wrapped.Version, key.Wrapped.Ciphertext,
			tx.d.timeArg(key.CreatedAt))
		return classify(err)
	})
	if errs.Is(err, errs.Conflict) {
		return phi.StoredKey{}, &errs.Error{Kind: errs.Conflict, Message: "error.conflict", Err: errors.Unwrap(err)}
	}
	return key, err
}

// LiveKey returns the owner's live key of the kind; see phi.KeyStore.
func (k *KeyDB) LiveKey(ctx context.Context, orgID, patientID string, kind phi.KeyKind) (_ phi.StoredKey, err error) {
	defer errs.Op(&err, "store.LiveKey")
	key, err := scanKey(k.db.read().queryRow(ctx, `SELECT `+keyColumns+` FROM data_keys
		WHERE org_id = ? AND patient_id = ? AND kind = ? AND destroyed_at IS NULL`, orgID, patientID, string(kind)))
	return key, classify(err)
}

// KeyByID returns the key with the id, live or destroyed; see phi.KeyStore.
func (k *KeyDB) KeyByID(ctx context.Context, id string) (_ phi.StoredKey, err error) {
	defer errs.Op(&err, "store.KeyByID")
	key, err := scanKey(k.db.read().queryRow(ctx, `SELECT `+keyColumns+` FROM data_keys WHERE id = ?`, id))
	return key, classify(err)
}

// RewrapKey swaps a live key's wrapped form if it is still at oldVersion;
// see phi.KeyStore. The old wrapped bytes are overwritten in place where the
// engine allows (SQLite secure_delete).
func (k *KeyDB) RewrapKey(ctx context.Context, id string, oldVersion int, wrapped phi.WrappedKey) (err error) {
	defer errs.Op(&err, "store.RewrapKey")
	if err := validWrapped(wrapped); err != nil {
		return errs.Wrap(err, errs.Invalid, "store.RewrapKey")
	}
	return k.db.InTx(ctx, func(tx *Tx) error {
		if err := k.secureDelete(ctx, tx); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE data_keys SET kek_version = ?, wrapped = ?, rewrapped_at = ?
			WHERE id = ? AND kek_version = ? AND destroyed_at IS NULL`,
			wrapped.Version, wrapped.Ciphertext, tx.d.timeArg(tx.now), id, oldVersion)
		if err != nil {
			return classify(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return classify(err)
		}
		var one int
		if err := tx.queryRow(ctx, `SELECT 1 FROM data_keys WHERE id = ?`, id).Scan(&one); err != nil {
			return classify(err) // NotFound
		}
		return &errs.Error{Kind: errs.Conflict, Message: "error.conflict",
			Err: fmt.Errorf("key %s is destroyed or no longer at KEK version %d", id, oldVersion)}
	})
}

// DestroyKey erases the owner's live key; see phi.KeyStore. On SQLite the
// wrapped bytes are overwritten on disk (secure_delete) and the write-ahead
// log is checkpointed and truncated afterwards, best effort, so the old
// bytes do not linger in it. On PostgreSQL the old row version stays on disk
// until VACUUM reclaims it; autovacuum does, or an operator runs VACUUM
// data_keys after an erasure.
func (k *KeyDB) DestroyKey(ctx context.Context, orgID, patientID string, kind phi.KeyKind) (_ phi.StoredKey, err error) {
	defer errs.Op(&err, "store.DestroyKey")
	if err := validKeyOwner(orgID, patientID, kind); err != nil {
		return phi.StoredKey{}, errs.Wrap(err, errs.Invalid, "store.DestroyKey")
	}
	key, err := inTx1(ctx, k.db, func(tx *Tx) (phi.StoredKey, error) {
		if err := k.secureDelete(ctx, tx); err != nil {
			return phi.StoredKey{}, err
		}
		// One statement, so two concurrent shreds cannot both destroy: the
		// loser finds no live key. The empty (not NULL) value is what the
		// schema requires of a destroyed key.
		key, err := scanKey(tx.queryRow(ctx, `UPDATE data_keys SET wrapped = ?, destroyed_at = ?
			WHERE org_id = ? AND patient_id = ? AND kind = ? AND destroyed_at IS NULL
			RETURNING `+keyColumns, []byte{}, tx.d.timeArg(tx.now), orgID, patientID, string(kind)))
		return key, classify(err)
	})
	if err != nil {
		return phi.StoredKey{}, err
	}
	if k.db.d.name == DriverSQLite {
		if _, err := k.db.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			k.db.log.WarnContext(ctx, "store: checkpoint after destroying a key failed", "err", err)
		}
	}
	return key, nil
}

// secureDelete makes SQLite overwrite deleted and replaced content with
// zeros, for the rest of this connection's life. PostgreSQL has no such
// setting.
func (k *KeyDB) secureDelete(ctx context.Context, tx *Tx) error {
	if tx.d.name != DriverSQLite {
		return nil
	}
	_, err := tx.r.ExecContext(ctx, `PRAGMA secure_delete = ON`)
	return classify(err)
}

// LiveKeysBelow lists live keys below a KEK version; see phi.KeyStore.
func (k *KeyDB) LiveKeysBelow(ctx context.Context, version int, afterID string, limit int) (_ []phi.StoredKey, err error) {
	defer errs.Op(&err, "store.LiveKeysBelow")
	if limit < 1 || limit > 1000 {
		return nil, errs.Wrap(errors.New("limit out of range 1-1000"), errs.Invalid, "store.LiveKeysBelow")
	}
	return list(ctx, k.db.read(), `SELECT `+keyColumns+` FROM data_keys
		WHERE destroyed_at IS NULL AND kek_version < ? AND id > ? ORDER BY id LIMIT ?`,
		[]any{version, afterID, limit}, scanKey)
}

// LiveKeyVersions counts live keys per KEK version; see phi.KeyStore.
func (k *KeyDB) LiveKeyVersions(ctx context.Context) (_ map[int]int, err error) {
	defer errs.Op(&err, "store.LiveKeyVersions")
	rows, err := k.db.read().query(ctx, `SELECT kek_version, COUNT(*) FROM data_keys
		WHERE destroyed_at IS NULL GROUP BY kek_version`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	counts := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, classify(err)
		}
		counts[v] = n
	}
	return counts, classify(rows.Err())
}
