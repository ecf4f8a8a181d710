// Package phi protects protected health information: envelope encryption
// with AES-256-GCM under per-patient data keys, typed PHI values that refuse
// to print, keyed blind indexes for exact-match lookups, and the KeyProvider
// interface that key-encryption-key adapters implement.
package phi
