package store

import (
	"context"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

const orgColumns = `id, name, slug, created_at, updated_at`

func scanOrg(s scanner) (o identity.Organization, err error) {
	err = s.Scan(&o.ID, &o.Name, &o.Slug, timeScanner{&o.CreatedAt}, timeScanner{&o.UpdatedAt})
	return o, err
}

// CreateOrganization creates a practice. Invalid input is errs.Invalid; a
// slug already in use is errs.Conflict with a field problem on "slug".
func (tx *Tx) CreateOrganization(ctx context.Context, name, slug string) (_ identity.Organization, err error) {
	defer errs.Op(&err, "store.CreateOrganization")
	if err := identity.ValidateOrganization(name, slug); err != nil {
		return identity.Organization{}, err
	}
	id, err := newID()
	if err != nil {
		return identity.Organization{}, err
	}
	o := identity.Organization{ID: id, Name: name, Slug: slug, CreatedAt: tx.now, UpdatedAt: tx.now}
	_, err = tx.exec(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES (?, ?, ?, ?, ?)`,
		o.ID, o.Name, o.Slug, tx.d.timeArg(o.CreatedAt), tx.d.timeArg(o.UpdatedAt))
	if err = classify(err); errs.Is(err, errs.Conflict) {
		return identity.Organization{}, &errs.Error{
			Kind: errs.Conflict, Message: "error.conflict", Err: errors.Unwrap(err),
			Fields: []errs.FieldError{{Field: "slug", Message: "field.taken"}},
		}
	} else if err != nil {
		return identity.Organization{}, err
	}
	return o, nil
}

// CreateOrganization creates a practice in its own transaction; see
// Tx.CreateOrganization.
func (db *DB) CreateOrganization(ctx context.Context, name, slug string) (identity.Organization, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.Organization, error) { return tx.CreateOrganization(ctx, name, slug) })
}

// OrganizationByID returns the practice with the given id, or errs.NotFound.
func (tx *Tx) OrganizationByID(ctx context.Context, id string) (identity.Organization, error) {
	return organizationBy(ctx, tx.conn, "store.OrganizationByID", "id", id)
}

// OrganizationByID returns the practice with the given id, or errs.NotFound.
func (db *DB) OrganizationByID(ctx context.Context, id string) (identity.Organization, error) {
	return organizationBy(ctx, db.read(), "store.OrganizationByID", "id", id)
}

// OrganizationBySlug returns the practice with the given slug, or
// errs.NotFound.
func (tx *Tx) OrganizationBySlug(ctx context.Context, slug string) (identity.Organization, error) {
	return organizationBy(ctx, tx.conn, "store.OrganizationBySlug", "slug", slug)
}

// OrganizationBySlug returns the practice with the given slug, or
// errs.NotFound.
func (db *DB) OrganizationBySlug(ctx context.Context, slug string) (identity.Organization, error) {
	return organizationBy(ctx, db.read(), "store.OrganizationBySlug", "slug", slug)
}

// organizationBy looks a practice up by column, which is a constant.
func organizationBy(ctx context.Context, c conn, op, column, value string) (_ identity.Organization, err error) {
	defer errs.Op(&err, op)
	o, err := scanOrg(c.queryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE `+column+` = ?`, value))
	return o, classify(err)
}

// Organizations lists practices ordered by id. An invalid filter is
// errs.Invalid.
func (tx *Tx) Organizations(ctx context.Context, f identity.OrganizationFilter) ([]identity.Organization, error) {
	return organizations(ctx, tx.conn, f)
}

// Organizations lists practices ordered by id. An invalid filter is
// errs.Invalid.
func (db *DB) Organizations(ctx context.Context, f identity.OrganizationFilter) ([]identity.Organization, error) {
	return organizations(ctx, db.read(), f)
}

func organizations(ctx context.Context, c conn, f identity.OrganizationFilter) (_ []identity.Organization, err error) {
	defer errs.Op(&err, "store.Organizations")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q, args := page(`SELECT `+orgColumns+` FROM organizations WHERE 1 = 1`, nil, f.After, f.Limit)
	return list(ctx, c, q, args, scanOrg)
}
