-- 0401: the Ed25519 key that signs case exports for authorities. One active
-- key; its public half is published so a bundle can be verified offline.
-- The private key sits in the database like other operational secrets
-- (webhook secrets); deployments that need an HSM replace the signer.
CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,
	public_key  TEXT NOT NULL,
	private_key TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
