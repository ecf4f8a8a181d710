-- People's demographic PHI. Every value column holds a phi ciphertext (AES-256-GCM
-- under the person's data key, bound to org, table, column and user); email and
-- phone also carry keyed blind indexes for exact-match lookup. No plaintext PHI
-- ever reaches this table: phi.Text refuses to be a SQL argument.

CREATE TABLE user_profiles (
    user_id        TEXT COLLATE "C" PRIMARY KEY,
    org_id         TEXT COLLATE "C" NOT NULL,
    legal_name     BYTEA,
    preferred_name BYTEA,
    email          BYTEA,
    phone          BYTEA,
    birth_date     BYTEA,
    email_index    BYTEA,
    phone_index    BYTEA,
    updated_at     TIMESTAMPTZ NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    CHECK ((email IS NULL) = (email_index IS NULL)),
    CHECK ((phone IS NULL) = (phone_index IS NULL))
);

-- One person per email address in a practice.
CREATE UNIQUE INDEX user_profiles_email ON user_profiles (org_id, email_index) WHERE email_index IS NOT NULL;
CREATE INDEX user_profiles_phone ON user_profiles (org_id, phone_index) WHERE phone_index IS NOT NULL;
