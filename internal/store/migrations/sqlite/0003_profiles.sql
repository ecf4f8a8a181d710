-- People's demographic PHI. Every value column holds a phi ciphertext (AES-256-GCM
-- under the person's data key, bound to org, table, column and user); email and
-- phone also carry keyed blind indexes for exact-match lookup. No plaintext PHI
-- ever reaches this table: phi.Text refuses to be a SQL argument.

CREATE TABLE user_profiles (
    user_id        TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    legal_name     BLOB,
    preferred_name BLOB,
    email          BLOB,
    phone          BLOB,
    birth_date     BLOB,
    email_index    BLOB,
    phone_index    BLOB,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    CHECK ((email IS NULL) = (email_index IS NULL)),
    CHECK ((phone IS NULL) = (phone_index IS NULL))
) STRICT;

-- One person per email address in a practice.
CREATE UNIQUE INDEX user_profiles_email ON user_profiles (org_id, email_index) WHERE email_index IS NOT NULL;
CREATE INDEX user_profiles_phone ON user_profiles (org_id, phone_index) WHERE phone_index IS NOT NULL;
