-- 0040: the demo stores the simulator's ground truth (which listings really
-- violate, which orders were really late, which buyers are fraudulent) so
-- the report can print detection-quality figures computed from stored data.
-- Only report sections read it, and only for metrics marked Quality; no
-- detection engine may. A production database never holds rows here.
CREATE TABLE ground_truth (
	subject_kind TEXT NOT NULL,
	subject_id   TEXT NOT NULL,
	label        TEXT NOT NULL,
	value        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (subject_kind, subject_id, label)
);
CREATE INDEX ground_truth_label ON ground_truth (subject_kind, label, value);
