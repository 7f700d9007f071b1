-- chat v2: a message's subject (NULL for most chat lines), and whether the
-- sender or the recipient removed it from their own view. The sender's IP
-- is dropped on purpose (see the README).
ALTER TABLE messages
    ADD COLUMN subject              text,
    ADD COLUMN deleted_by_sender    boolean NOT NULL DEFAULT false,
    ADD COLUMN deleted_by_recipient boolean NOT NULL DEFAULT false;
