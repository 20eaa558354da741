-- Delivery bookkeeping of reminders: when the claim happened and what the mail provider answered.
ALTER TABLE reminders ADD COLUMN claimed_at timestamptz;
ALTER TABLE reminders ADD COLUMN message_id text;
