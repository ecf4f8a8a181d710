package store_test

import (
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestAccountsSQLite(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestAccountsPostgres(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}
