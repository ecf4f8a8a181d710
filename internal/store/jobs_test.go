package store_test

import (
	"testing"

	"github.com/astralcore/astral/internal/store/storetest"
)

func TestJobsSQLite(t *testing.T) {
	storetest.RunJobs(t, storetest.SQLiteOpener)
}

func TestJobsPostgres(t *testing.T) {
	storetest.RunJobs(t, storetest.PostgresOpener)
}
