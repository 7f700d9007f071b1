-- Retroactive blocks: hide every alert from someone the member currently
-- blocks; show again what no current block hides.
UPDATE alerts a
SET hidden_by_block_id = NULL
WHERE a.hidden_by_block_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM current_blocks b
      WHERE b.blocker_id = a.member_id AND b.blocked_id = a.from_member_id);

UPDATE alerts a
SET hidden_by_block_id = b.block_id,
    updated_at = greatest(a.updated_at, b.blocked_at)
FROM current_blocks b
WHERE b.blocker_id = a.member_id AND b.blocked_id = a.from_member_id
  AND a.hidden_by_block_id IS DISTINCT FROM b.block_id;
