-- alerts v2: a flirt's kind (wink, smile, kiss, rose); NULL for other
-- alerts and for a flirt without a kind.
ALTER TABLE alerts ADD COLUMN flirt_kind text;
