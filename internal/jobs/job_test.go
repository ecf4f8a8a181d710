package jobs_test

import (
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/jobs"
)

func TestNewJobValidate(t *testing.T) {
	tests := []struct {
		name  string
		nj    jobs.NewJob
		field string // "" for valid
	}{
		{"minimal", jobs.NewJob{Kind: "email.send"}, ""},
		{"full", jobs.NewJob{Kind: "a-b_c.9", OrgID: "o", Payload: []byte(`{"id":"x"}`), MaxAttempts: 100, UniqueKey: "k"}, ""},
		{"array payload", jobs.NewJob{Kind: "k", Payload: []byte(`[1,2]`)}, ""},
		{"no kind", jobs.NewJob{}, "kind"},
		{"upper case kind", jobs.NewJob{Kind: "Email"}, "kind"},
		{"space in kind", jobs.NewJob{Kind: "a b"}, "kind"},
		{"bad payload", jobs.NewJob{Kind: "k", Payload: []byte("nope")}, "payload"},
		{"max attempts", jobs.NewJob{Kind: "k", MaxAttempts: 101}, "max_attempts"},
		{"long key", jobs.NewJob{Kind: "k", UniqueKey: string(make([]byte, jobs.MaxKey+1))}, "unique_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.nj.WithDefaults().Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			_, _, _, fields := errs.Public(err)
			if !errs.Is(err, errs.Invalid) || len(fields) != 1 || fields[0].Field != tt.field {
				t.Errorf("Validate = %v with fields %+v, want one problem on %s", err, fields, tt.field)
			}
		})
	}
	if nj := (jobs.NewJob{Kind: "k"}).WithDefaults(); nj.MaxAttempts != jobs.DefaultMaxAttempts || string(nj.Payload) != "{}" {
		t.Errorf("WithDefaults = %+v", nj)
	}
}

func TestBackoff(t *testing.T) {
	none := func(time.Duration) time.Duration { return 0 }
	most := func(d time.Duration) time.Duration { return d - 1 }
	tests := []struct {
		attempt int
		jitter  func(time.Duration) time.Duration
		want    time.Duration
	}{
		{1, nil, 10 * time.Second},
		{2, nil, 20 * time.Second},
		{4, nil, 80 * time.Second},
		{9, nil, 2560 * time.Second},
		{10, nil, time.Hour},
		{1000, nil, time.Hour},
		{1, none, 5 * time.Second},
		{3, none, 20 * time.Second},
		{1, most, 10*time.Second - 1},
		{1000, none, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := jobs.Backoff(tt.attempt, 10*time.Second, time.Hour, tt.jitter); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := jobs.New(nil, jobs.Options{Timeout: time.Minute, Lease: time.Minute}); !errs.Is(err, errs.Invalid) {
		t.Errorf("New with Lease = Timeout: %v, want Invalid", err)
	}
	q, err := jobs.New(nil, jobs.Options{})
	if err != nil || len(q.Worker()) == 0 {
		t.Fatalf("New with defaults = %v, %v", q, err)
	}
	q2, _ := jobs.New(nil, jobs.Options{})
	if q.Worker() == q2.Worker() {
		t.Error("two queues share a worker name")
	}
}

func TestRegisterPanics(t *testing.T) {
	q, err := jobs.New(nil, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q.Register("ok", nopHandler)
	for name, fn := range map[string]func(){
		"duplicate":   func() { q.Register("ok", nopHandler) },
		"empty kind":  func() { q.Register("", nopHandler) },
		"bad kind":    func() { q.Register("Bad Kind", nopHandler) },
		"nil handler": func() { q.Register("nil", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			fn()
		}()
	}
}
