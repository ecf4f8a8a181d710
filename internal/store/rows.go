package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// newID returns a new row id: a UUIDv7 as text. Version 7 ids start with the
// time, so they sort roughly by creation and index well.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "store.newID")
	}
	return id.String(), nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs a query and scans every row with scan. It returns an empty,
// non-nil slice when nothing matches, and classified errors.
func list[T any](ctx context.Context, c conn, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}

// page appends keyset pagination to a query ordered by id.
func page(query string, args []any, after string, limit int) (string, []any) {
	if after != "" {
		query += ` AND id > ?`
		args = append(args, after)
	}
	return query + ` ORDER BY id LIMIT ?`, append(args, identity.EffectiveLimit(limit))
}
