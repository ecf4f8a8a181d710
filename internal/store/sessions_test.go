package store_test

import (
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestSQLiteSessions(t *testing.T) {
	storetest.RunSessions(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestPostgresSessions(t *testing.T) {
	storetest.RunSessions(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}
