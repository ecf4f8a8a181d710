package store_test

import (
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestWebAuthnSQLite(t *testing.T) {
	storetest.RunWebAuthn(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestWebAuthnPostgres(t *testing.T) {
	storetest.RunWebAuthn(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}
