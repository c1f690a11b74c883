-- 0420: hash lists exchanged with other platforms, and real PDQ.
--
-- Until now hash_bank.pdq held Anxin's own 256-bit DCT hash, which was not
-- PDQ: its distance to the PDQ of the same image is that of an unrelated
-- image. PDQ cannot be computed from it without the image, so the rows
-- stored so far keep their value under the signal type anxin_dct256_v0 and
-- are no longer searched; re-hash their images with POST /v1/images:hash
-- and add them again (or, where a client had sent hashes made by a real PDQ
-- hasher, promote them with "anxin hashbank legacy -promote").
--
-- tags, source and source_ref keep the labels and the provenance (the
-- collaboration or list, and the sharer's id) of imported hashes.
ALTER TABLE hash_bank ADD COLUMN signal_type TEXT NOT NULL DEFAULT 'pdq';
ALTER TABLE hash_bank ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE hash_bank ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE hash_bank ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';
UPDATE hash_bank SET signal_type = 'anxin_dct256_v0';
