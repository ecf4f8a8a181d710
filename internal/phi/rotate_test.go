package phi_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

func TestRewrapResumes(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	type record struct {
		owner phi.Owner
		aad   phi.AAD
		ct    []byte
		text  string
	}
	var records []record
	for i := range 30 {
		owner := phi.Owner{OrgID: orgA, PatientID: fmt.Sprintf("patient-%02d", i)}
		aad := noteAAD(fmt.Sprintf("row-%02d", i))
		text := fmt.Sprintf("note %d", i)
		records = append(records, record{owner, aad, mustSeal(t, e.ring, owner, aad, text), text})
	}
	index, err := e.ring.BlindIndex(ctx, orgA, "users", "email", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	const keys = 31 // 30 patients and the index key

	// Rotate, then a rewrap that dies after 10 keys (the provider drops).
	if _, err := e.provider.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	e.provider.set(func(p *fakeProvider) { p.rewraps = 10 })
	n, err := e.ring.RewrapAll(ctx, nil)
	if n != 10 || !errs.Is(err, errs.Unavailable) {
		t.Fatalf("interrupted RewrapAll = %d, %v; want 10, errs.Unavailable", n, err)
	}
	if st, err := e.ring.KeyStatus(ctx); err != nil || st[1] != keys-10 || st[2] != 10 {
		t.Fatalf("KeyStatus = %v, %v; want %d on 1, 10 on 2", st, err, keys-10)
	}
	if err := e.ring.Retire(ctx, 2); !errs.Is(err, errs.Conflict) {
		t.Errorf("Retire(2) with keys on 1 = %v, want errs.Conflict", err)
	}

	// A second run, cancelled after 5 more keys, like a killed process.
	e.provider.set(func(p *fakeProvider) { p.rewraps = -1 })
	cctx, cancel := context.WithCancel(ctx)
	n, err = e.ring.RewrapAll(cctx, func(done, total int) {
		if total != keys-10 {
			t.Errorf("progress total = %d, want %d", total, keys-10)
		}
		if done == 5 {
			cancel()
		}
	})
	cancel()
	if n != 5 || err == nil {
		t.Fatalf("cancelled RewrapAll = %d, %v; want 5 and an error", n, err)
	}

	// Run again: finishes the job; then once more: nothing left.
	var last [2]int
	n, err = e.ring.RewrapAll(ctx, func(done, total int) { last = [2]int{done, total} })
	if err != nil || n != keys-15 || last != [2]int{keys - 15, keys - 15} {
		t.Fatalf("resumed RewrapAll = %d, %v, progress %v; want %d", n, err, last, keys-15)
	}
	if n, err := e.ring.RewrapAll(ctx, nil); n != 0 || err != nil {
		t.Errorf("RewrapAll with nothing to do = %d, %v", n, err)
	}
	if st, err := e.ring.KeyStatus(ctx); err != nil || len(st) != 1 || st[2] != keys {
		t.Fatalf("KeyStatus = %v, %v; want all %d on version 2", st, err, keys)
	}

	// Retire version 1: every record still opens, through a cold cache that
	// must unwrap each key under version 2.
	if err := e.ring.Retire(ctx, 2); err != nil {
		t.Fatalf("Retire(2): %v", err)
	}
	cold := e.fresh()
	for _, r := range records {
		mustOpen(t, cold, r.ct, r.aad, r.text)
	}
	again, err := cold.BlindIndex(ctx, orgA, "users", "email", "a@example.org")
	if err != nil || !bytes.Equal(again, index) {
		t.Errorf("blind index after rotation = %x, %v; want %x", again, err, index)
	}
	if err := e.ring.Retire(ctx, 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("Retire(0) = %v, want errs.Invalid", err)
	}
}

func TestRewrapBesideTraffic(t *testing.T) {
	e := newEnv(t, phi.KeyringOptions{})
	ctx := context.Background()
	for i := range 20 {
		mustSeal(t, e.ring, phi.Owner{OrgID: orgA, PatientID: fmt.Sprint("p", i)}, noteAAD("r"), "x")
	}
	if _, err := e.provider.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	// Two rewrappers and new keys being created at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 2 {
		wg.Go(func() {
			n, err := e.fresh().RewrapAll(ctx, nil)
			if err != nil {
				t.Errorf("RewrapAll: %v", err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Go(func() {
		for i := range 10 {
			mustSeal(t, e.ring, phi.Owner{OrgID: orgA, PatientID: fmt.Sprint("new", i)}, noteAAD("r"), "x")
		}
	})
	wg.Wait()
	if total != 20 {
		t.Errorf("rewrapped %d keys in all, want 20 (each once)", total)
	}
	if st, _ := e.ring.KeyStatus(ctx); len(st) != 1 || st[2] != 30 {
		t.Errorf("KeyStatus = %v, want 30 on version 2", st)
	}
}
