package store_test

import (
	"testing"

	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestSQLiteMFA(t *testing.T) {
	storetest.RunMFA(t, func(t *testing.T) *store.DB { return storetest.NewSQLite(t) })
}

func TestPostgresMFA(t *testing.T) {
	storetest.RunMFA(t, func(t *testing.T) *store.DB { return storetest.NewPostgres(t) })
}
