-- 0170: evaluations of the detection engine on a labelled set (anxin eval
-- --store, or a set uploaded in the console). The report's detection-quality
-- figures are read from the latest one, so that they are measured on text
-- the engine never saw and not only on the simulator's own ground truth.
-- summary is the JSON of the whole evaluation (evaluate.Summary), decoded
-- in Go, so neither dialect needs JSON operators.
CREATE TABLE eval_results (
	id                TEXT PRIMARY KEY,
	name              TEXT NOT NULL,
	engine            TEXT NOT NULL,
	items             INTEGER NOT NULL,
	violations        INTEGER NOT NULL,
	summary           TEXT NOT NULL,
	created_by        TEXT NOT NULL,
	created_at        BIGINT NOT NULL
);
CREATE INDEX eval_results_created ON eval_results (created_at);
