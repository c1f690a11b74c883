-- 0700: one sanction model. Until now four paths restricted a merchant and
-- only the first was read at publish: governance's merchant rows in
-- gov_enforcements, IP's ip_sanctions, sampling's violations (a bare
-- merchant.restrict webhook) and the deposit floor (a flag on
-- merchant_deposits); quality campaigns sent a bare merchant.restrict too.
-- Every restriction on a merchant or an influencer now lives in sanctions,
-- whatever its source, with the origin it came from, its statement of
-- reasons and the DSA fields; the publish gate and the stream check read
-- only this table. Existing data moves here: governance's rows keep their
-- ids (reinstatement jobs refer to them) and statements; the other sources
-- had no statement, so each migrated sanction gets one, written from what
-- the old rows recorded. Listing and content actions stay in
-- gov_enforcements: they act on a record, not on a subject.
CREATE TABLE sanctions (
	id              TEXT PRIMARY KEY,
	subject_type    TEXT NOT NULL,
	subject_id      TEXT NOT NULL,
	type            TEXT NOT NULL,
	source          TEXT NOT NULL,
	origin_type     TEXT NOT NULL,
	origin_id       TEXT NOT NULL,
	cause           TEXT NOT NULL DEFAULT '',
	statement_id    TEXT NOT NULL,
	status          TEXT NOT NULL,
	reasons         TEXT NOT NULL,
	appeal_deadline BIGINT,
	starts_at       BIGINT NOT NULL,
	ends_at         BIGINT,
	ended_at        BIGINT,
	end_reason      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	UNIQUE (source, origin_type, origin_id, subject_type, subject_id, type)
);
CREATE INDEX sanctions_subject ON sanctions (subject_id, status);
CREATE INDEX sanctions_list ON sanctions (created_at, id);
CREATE INDEX sanctions_statement ON sanctions (statement_id);

-- An appeal may be against one sanction rather than a whole statement.
ALTER TABLE gov_appeals ADD COLUMN sanction_id TEXT NOT NULL DEFAULT '';

-- Governance: merchant and influencer rows, with their statements' facts.
INSERT INTO sanctions (id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, ends_at, ended_at, end_reason, created_at)
SELECT e.id, e.target_type, e.target_id,
	CASE e.action WHEN 'penalise_influencer' THEN 'restrict_streaming' ELSE e.action END,
	'governance',
	CASE WHEN e.cause <> '' THEN 'points_node' ELSE 'decision' END,
	CASE WHEN e.cause <> '' THEN e.statement_id
		ELSE COALESCE(NULLIF(json_extract(s.body, '$.decision_id'), ''), e.statement_id) END,
	e.cause, e.statement_id, e.status,
	json_object('facts', COALESCE(json_extract(s.body, '$.facts'), ''), 'automation', COALESCE(json_extract(s.body, '$.automation'), 'fully'),
		'ground', COALESCE(json_extract(s.body, '$.decision_ground'), 'incompatible_with_terms'), 'legal_ground', COALESCE(json_extract(s.body, '$.legal_ground'), '')),
	s.appeal_deadline, e.starts_at, e.ends_at, e.reversed_at, CASE e.status WHEN 'reversed' THEN 'decision_overturned' WHEN 'lifted' THEN 'points_below_node' ELSE '' END,
	e.created_at
FROM gov_enforcements e JOIN gov_statements s ON s.id = e.statement_id
WHERE e.target_type IN ('merchant', 'influencer')
ON CONFLICT DO NOTHING;
DELETE FROM gov_enforcements WHERE target_type IN ('merchant', 'influencer') AND id IN (SELECT id FROM sanctions);

-- IP: repeat-infringement sanctions.
INSERT INTO sanctions (id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, ends_at, created_at)
SELECT id, 'merchant', merchant_id, action, 'ip', 'notice', notice_id, 'repeat_infringement', 'sor_' || id, 'active',
	json_object('facts', 'Repeat infringement: upheld counterfeit notices in 365 days reached the threshold on notice ' || notice_id || '.',
		'automation', 'partially', 'ground', 'incompatible_with_terms', 'terms_ground', 'Intellectual property rules: repeat infringers'),
	created_at + 2592000000, created_at, CASE WHEN days > 0 THEN created_at + days * CAST(86400000 AS BIGINT) END, created_at
FROM ip_sanctions WHERE true
ON CONFLICT DO NOTHING;
DROP TABLE ip_sanctions;

-- Sampling: every failed first sample restricted publishing for 7 days; a
-- passing retest cleared it.
INSERT INTO sanctions (id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, ends_at, ended_at, end_reason, created_at)
SELECT 'san_' || id, 'merchant', merchant_id, 'restrict_listing', 'sampling', 'sample', sample_id, reason, 'sor_' || id,
	CASE WHEN cleared_at IS NULL THEN 'active' ELSE 'lifted' END,
	json_object('facts', 'Sample ' || sample_id || ' of listing ' || listing_id || ' failed its lab test (' || reason || ').',
		'automation', 'not', 'ground', 'incompatible_with_terms', 'terms_ground', 'Product quality rules: failed random sampling'),
	at + 2592000000, at, at + 604800000, cleared_at, CASE WHEN cleared_at IS NULL THEN '' ELSE 'retest_passed' END, at
FROM sampling_violations WHERE true
ON CONFLICT DO NOTHING;

-- Quality campaigns: a return rate above the campaign's maximum.
INSERT INTO sanctions (id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, ends_at, created_at)
SELECT 'san_q' || campaign_id || '_' || merchant_id, 'merchant', merchant_id, 'restrict_listing', 'quality', 'campaign', campaign_id, 'quality_campaign',
	'sor_q' || campaign_id || '_' || merchant_id, 'active',
	json_object('facts', 'The return rate in campaign ' || campaign_id || ' was ' || CAST(CAST(return_rate * 10000 AS INTEGER) AS TEXT) || ' bp over ' || CAST(orders AS TEXT) || ' orders, above the campaign maximum.',
		'automation', 'fully', 'ground', 'incompatible_with_terms', 'terms_ground', 'Category quality campaign rules'),
	at + 2592000000, at, at + 604800000, at
FROM quality_campaign_actions WHERE true
ON CONFLICT DO NOTHING;

-- Deposit floor: a merchant restricted now, until the deposit is topped up.
INSERT INTO sanctions (id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, created_at)
SELECT 'san_d' || merchant_id || '_' || CAST(COALESCE(restricted_at, updated_at) AS TEXT), 'merchant', merchant_id, 'restrict_listing', 'deposit', 'deposit',
	merchant_id || ':' || CAST(COALESCE(restricted_at, updated_at) AS TEXT), 'deposit_below_floor',
	'sor_d' || merchant_id || '_' || CAST(COALESCE(restricted_at, updated_at) AS TEXT), 'active',
	json_object('facts', 'The deposit fell below the floor of ' || CAST(floor_fen AS TEXT) || ' fen for the shop''s categories.',
		'automation', 'fully', 'ground', 'incompatible_with_terms', 'terms_ground', 'Deposit rules: the deposit floor'),
	COALESCE(restricted_at, updated_at) + 2592000000, COALESCE(restricted_at, updated_at), COALESCE(restricted_at, updated_at)
FROM merchant_deposits WHERE restricted = 1
ON CONFLICT DO NOTHING;

-- A statement of reasons for every migrated sanction that had none.
INSERT INTO gov_statements (id, version, previous_id, merchant_id, target_type, target_id, outcome, appeal_deadline, body, created_at)
SELECT x.statement_id, 1, '', x.subject_id, x.subject_type, x.subject_id, 2, x.appeal_deadline,
	json_object('id', x.statement_id, 'version', 1, 'merchant_id', x.subject_id, 'target_type', x.subject_type, 'target_id', x.subject_id,
		'outcome', 'block', 'actions', json_array(json_object('type', x.type, 'starts_at', strftime('%Y-%m-%dT%H:%M:%SZ', x.starts_at / 1000, 'unixepoch'))),
		'decision_ground', 'incompatible_with_terms', 'rule_ids', json_array(),
		'category', CASE x.source WHEN 'ip' THEN 'intellectual_property_infringements' WHEN 'sampling' THEN 'unsafe_and_illegal_products' ELSE 'scope_of_platform_service' END,
		'user_facing_reason', json_extract(x.reasons, '$.facts'), 'facts', json_extract(x.reasons, '$.facts'), 'evidence', json_array(),
		'source', CASE x.source WHEN 'ip' THEN 'notice' ELSE 'own_initiative' END, 'automation', json_extract(x.reasons, '$.automation'),
		'appeal_deadline', strftime('%Y-%m-%dT%H:%M:%SZ', x.appeal_deadline / 1000, 'unixepoch'), 'appeal_status', 'none',
		'how_to_appeal', 'Appeal this sanction: POST /v1/sanctions/' || x.id || '/appeals.',
		'created_at', strftime('%Y-%m-%dT%H:%M:%SZ', x.created_at / 1000, 'unixepoch')),
	x.created_at
FROM sanctions x WHERE x.source <> 'governance' AND NOT EXISTS (SELECT 1 FROM gov_statements s WHERE s.id = x.statement_id);
